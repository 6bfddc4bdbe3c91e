"""Column-name rules: a column's lower-case name (and a few facts about it) to a generator key.

The rules are data, kept in ``sql/demo/name_rules.tsv`` next to ``column_kinds.tsv``: one rule a
line, tried in file order, the first match wins. ``pattern`` must match the whole name (Python
``re.fullmatch``); ``when`` (optional, comma-separated, all must hold) narrows a rule to ``text``,
``int`` or ``bool`` (BIT / TINYINT(1)) columns, to a table ``driver=<driver>``, or to the staff
tables (``staff_table``: m_user and its reporting copy); ``key`` is the generator key, ``-`` for
"no rule" (stop here, let the type filler decide). ``{drugs}``, ``{drug_strengths}`` and
``{lab_tests}`` expand to the vocabularies' values.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from amrit_assets.demo.generator.base import NAME_RULES_FILE, GenerationError
from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.demo.generator.vocabulary import DRUGS, LAB_TESTS

Condition = Callable[[Column, TableSpec, TableInfo], bool]

CONDITIONS: dict[str, Condition] = {
    "text": lambda col, spec, info: col.is_text,
    "int": lambda col, spec, info: col.is_int,
    "bool": lambda col, spec, info: col.data_type == "bit" or col.column_type.startswith("tinyint(1)"),
    "staff_table": lambda col, spec, info: spec.driver == "staff" or info.name == "dim_user",
}

EXPANSIONS = {
    "{drugs}": "|".join(d[0] for d in DRUGS),
    "{drug_strengths}": "|".join(sorted({d[1] for d in DRUGS})),
    "{lab_tests}": "|".join(LAB_TESTS),
}


@dataclass(frozen=True)
class NameRule:
    pattern: re.Pattern[str]
    when: tuple[Condition, ...]
    key: str  # "" = no rule
    when_text: str = ""  # as written in the file


def _condition(text: str) -> Condition:
    if text.startswith("driver="):
        driver = text.removeprefix("driver=")
        return lambda col, spec, info: spec.driver == driver
    if text not in CONDITIONS:
        raise GenerationError(f"{NAME_RULES_FILE.name}: unknown condition {text!r}")
    return CONDITIONS[text]


def _expand(key: str) -> str:
    for placeholder, value in EXPANSIONS.items():
        key = key.replace(placeholder, value)
    return key


@cache
def load_name_rules(path: Path = NAME_RULES_FILE) -> tuple[NameRule, ...]:
    """The rules, in file order (read once per process)."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return tuple(
        NameRule(
            re.compile(r["pattern"]),
            tuple(_condition(c.strip()) for c in r["when"].split(",") if c.strip()),
            "" if r["key"] == "-" else _expand(r["key"]),
            r["when"],
        )
        for r in rows
    )


def name_rule(col: Column, spec: TableSpec, info: TableInfo) -> str:
    """The first rule matching the column's name and facts; "" when none does."""
    n = col.lname
    for rule in load_name_rules():
        if rule.pattern.fullmatch(n) and all(cond(col, spec, info) for cond in rule.when):
            return rule.key
    return ""
