"""The catalog format: parse errors name their line, first match wins, backups inherit, globs ignore case."""

from __future__ import annotations

import pytest

from amrit_assets.catalog.model import CatalogError, Column, parse_catalog


def col(table: str, column: str, column_type: str = "varchar(50)", db: str = "db_iemr") -> Column:
    return Column(db, table, column, column_type)


def test_every_error_is_reported_at_once_with_its_line():
    text = "\n".join(
        [
            "@verified db_iemr 368e374",
            "db_iemr.t_bencall.PhoneNo      telephone",  # 2: unknown strategy
            "db_iemr.t_bencall.Remarks      scrub_text(nmes=FirstName)",  # 3: unknown parameter
            "db_iemr.t_bencall              keep",  # 4: selector without a column
            "db_iemr.m_user.FirstName       name(part=nickname)",  # 5: value out of range
            "db_iemr.t_bencall.DOB          date_shift(days=many)",  # 6: not a number
            "inherit db_iemr.t_bencall_*    t_bencall",  # 7: missing 'from'
            "db_iemr.t_bencall.CallID       keep",  # fine
        ]
    )
    with pytest.raises(CatalogError) as err:
        parse_catalog(text, "amrit.catalog")
    msg = str(err.value)
    for line in (2, 3, 4, 5, 6, 7):
        assert f"amrit.catalog:{line}:" in msg
    assert "amrit.catalog:8:" not in msg
    assert "unknown strategy 'telephone'" in msg
    assert "no parameter 'nmes'" in msg
    assert "bad selector" in msg


def test_first_matching_rule_wins_so_overrides_go_above_patterns():
    catalog = parse_catalog(
        "db_iemr.m_institution.ContactPerson1  name(part=full)   # a person\n"
        "*.*.Contact*                           keep\n"
        "*.*.ContactPerson1                     null\n"
    )
    res = catalog.resolve(col("m_institution", "ContactPerson1"))
    assert (res.strategy, res.params, res.rule.line, res.rule.reason) == ("name", {"part": "full"}, 1, "a person")
    assert catalog.resolve(col("m_supplier", "ContactPerson1")).rule.line == 2


def test_globs_ignore_case_and_type_globs_restrict():
    catalog = parse_catalog("*.*.*phone*:*char*  phone\n*.*.*:*int*  keep\n")
    assert catalog.resolve(col("t_bencall", "PhoneNo", "VARCHAR(15)")).strategy == "phone"
    assert catalog.resolve(col("T_BENCALL", "PHONENO", "varchar(15)")).strategy == "phone"
    assert catalog.resolve(col("i_benphonemap", "PhoneTypeID", "smallint(6)")).strategy == "keep"
    assert catalog.resolve(col("t_bencall", "PhoneNo", "text")) is None


def test_backup_tables_inherit_their_parents_rules_but_not_catch_alls():
    catalog = parse_catalog(
        "inherit db_iemr.t_bencall_bkp_* from t_bencall\n"
        "db_iemr.t_bencall.PhoneNo    phone\n"
        "db_iemr.t_bencall.*          keep\n"
        "*.*.*                        null\n"
    )
    res = catalog.resolve(col("t_bencall_bkp_21032024", "PhoneNo"))
    assert (res.strategy, res.via_parent) == ("phone", "t_bencall")
    assert catalog.resolve(col("t_bencall_bkp_21032024", "CallID")).rule.line == 3
    # the catch-all matches the backup table directly, never "via" its parent
    res = catalog.resolve(col("t_other", "x"))
    assert (res.strategy, res.via_parent) == ("null", None)


def test_a_column_no_rule_matches_is_unresolved_not_kept():
    catalog = parse_catalog("db_iemr.t_bencall.PhoneNo  phone\n")
    assert catalog.resolve(col("t_bencall", "caller_whatsapp_no")) is None


def test_verified_versions_and_comments_are_read():
    catalog = parse_catalog("@verified db_iemr 368e374   # baseline\n# only a comment\n\n*.*.x keep # why\n")
    assert catalog.verified == {"db_iemr": "368e374"}
    assert [r.reason for r in catalog.rules] == ["why"]


def test_type_catch_alls_take_only_reviewed_columns_of_the_same_kind_of_type():
    catalog = parse_catalog("*.*.*Phone*:*char*  phone\n*.*.*:*int*  keep\n*.*.*:date  keep\n")
    catalog.reviewed = {"db_iemr.t_bencall.bencallid": "bigint", "db_iemr.t_bencall.calldate": "date"}
    assert catalog.resolve(col("t_bencall", "BenCallID", "bigint(20)")).strategy == "keep", "reviewed; display width ignored"
    assert catalog.resolve(col("T_BENCALL", "CallDate", "date")).strategy == "keep", "names ignore case"
    assert catalog.resolve(col("t_bencall", "alt_contact", "bigint(20)")) is None, "new: only a catch-all matches"
    assert catalog.resolve(col("t_bencall", "CallDate", "datetime")) is None, "its type changed since the review"
    assert catalog.resolve(col("t_bencall", "AltPhone", "varchar(15)")).strategy == "phone", "a name rule needs no review"
    assert catalog.without_review().resolve(col("t_bencall", "alt_contact", "bigint(20)")).strategy == "keep"
