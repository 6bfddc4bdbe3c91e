"""Column-name rules read from sql/demo/name_rules.tsv: order, conditions, expansions, and keys the resolver knows."""

from __future__ import annotations

import pytest

from amrit_assets.demo.generator import build_world
from amrit_assets.demo.generator.base import GenerationError
from amrit_assets.demo.generator.frames import _frame_for
from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.name_rules import load_name_rules, name_rule
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.demo.generator.resolver import Resolver
from amrit_assets.demo.generator.values import Ctx
from amrit_assets.demo.generator.vocabulary import DRUGS, LAB_TESTS

TYPES = {
    "int": ("int", "int(11)", None),
    "bigint": ("bigint", "bigint(20)", None),
    "varchar": ("varchar", "varchar(50)", 50),
    "bit": ("bit", "bit(1)", None),
    "decimal": ("decimal", "decimal(5,2)", None),
}


def _col(name: str, kind: str = "varchar") -> Column:
    dt, ct, ml = TYPES[kind]
    return Column(name, dt, ct, True, "", ml, 5, 2)


def _rule(name: str, kind: str = "varchar", driver: str = "ben", table: str = "t_x") -> str:
    col = _col(name, kind)
    return name_rule(col, TableSpec("db_iemr", table, driver), TableInfo("db_iemr", table, [col], [], [], {}))


def test_first_matching_rule_wins_and_conditions_narrow_it():
    assert _rule("IsDeleted", "bit") == "const:0"  # before the BIT catch-all
    assert _rule("is1097", "bit") == "call:is1097"
    assert _rule("SomeFlagColumn", "bit") == ""  # the BIT catch-all stops the chain: the filler decides
    assert _rule("Reserved", "varchar") == "const:0"
    assert _rule("Weight_kg", "int") == "int:35,90"
    assert _rule("Weight_kg", "decimal") == "dec:35,90,1"
    assert _rule("InsName", "varchar") == "text:insurer"
    assert _rule("InsName", "int") == ""
    assert _rule("Status", "varchar", driver="ben") == "const:Active"
    assert _rule("Status", "varchar", driver="visit") == ""
    assert _rule("Status", "int", driver="ben") == ""
    assert _rule("Category", driver="call") == "call:category"
    assert _rule("Category", driver="visit") == ""
    assert _rule("DesignationName", driver="staff", table="m_user") == "who:designation"
    assert _rule("DesignationName", driver="copy", table="dim_user") == "who:designation"
    assert _rule("DesignationName", driver="ben") == "fill"
    assert _rule("DesignationID", "int", driver="ben") == ""
    assert _rule("BP_Systolic_Reading", "int") == "int:100,165"  # a substring rule
    assert _rule("NurseID", "int") == "staff:user_id"
    assert _rule("NurseID", "varchar") == ""
    assert _rule("no_such_column_anywhere") == ""


def test_vocabulary_placeholders_expand():
    assert _rule("DrugName") == "choice:" + "|".join(d[0] for d in DRUGS)
    assert _rule("DrugStrength") == "choice:" + "|".join(sorted({d[1] for d in DRUGS}))
    assert _rule("TestName") == "choice:" + "|".join(LAB_TESTS)
    assert not any("{" in r.key for r in load_name_rules())


def test_every_rule_key_builds_a_generator():
    """Each key makes values for a table it can apply to: a typo in the file (kind or attribute) fails here."""
    world = build_world(30, 1)
    ctx = Ctx(world, world.rng, {}, {"ben": [str(i + 1) for i in range(30)] + ["\\N"]})
    specs = {d: TableSpec("db_iemr", "m_user" if d == "staff" else "t_x", d) for d in ("ben", "staff", "call")}
    frames = {d: _frame_for(s, world, world.rng, ctx.db_keys) for d, s in specs.items()}
    rules = load_name_rules()
    assert len(rules) > 80
    for rule in rules:
        if not rule.key:
            continue
        driver = "staff" if "staff_table" in rule.when_text else "call" if "driver=call" in rule.when_text else "ben"
        spec, frame = specs[driver], frames[driver]
        for kind in ("varchar", "int"):
            col = _col("x", kind)
            resolver = Resolver(ctx, spec, TableInfo("db_iemr", "t_x", [col], [], [], {}), {})
            values = resolver.from_key(rule.key, col)(frame)
            assert len(values) == frame.n and all(isinstance(v, str) for v in values), rule.key


def test_unknown_condition_is_refused(tmp_path):
    bad = tmp_path / "rules.tsv"
    bad.write_text("pattern\twhen\tkey\nfoo\tsometimes\tconst:1\n")
    with pytest.raises(GenerationError, match="unknown condition"):
        load_name_rules(bad)
