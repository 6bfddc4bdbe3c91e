"""The schema gate's verdict, as plain functions: coverage, versions, introduced-by, dropped names, stub."""

from __future__ import annotations

import pytest

from amrit_assets.catalog.gate import (
    FlywayMigration,
    SchemaNotVerified,
    check_dump_version,
    dropped_names,
    evaluate_gate,
    highest_version,
    introduced_by,
    is_after,
    same_version,
    schema_fingerprint,
    version_key,
)
from amrit_assets.catalog.model import Column, parse_catalog

CATALOG = """
@verified db_iemr 1
db_iemr.t_bencall.PhoneNo         phone
db_iemr.t_bencall.Remarks         scrub_text
db_iemr.t_old.*                   truncate
*identity.i_householddetails.beneficiaryId   null
*.*.CreatedBy:*char*              username
*.*.*:*int*                       keep
*.*.*:datetime*                   keep
"""

BASE = [
    Column("db_iemr", "t_bencall", "BenCallID", "bigint(20)", key="PRI"),
    Column("db_iemr", "t_bencall", "PhoneNo", "varchar(15)"),
    Column("db_iemr", "t_bencall", "Remarks", "varchar(300)"),
    Column("db_iemr", "t_bencall", "CreatedBy", "varchar(50)"),
    Column("db_iemr", "t_old", "Name", "varchar(50)"),
]
NEW_TABLE = [
    Column("db_iemr", "t_caller_details", "CallerDetailsID", "bigint(20)", key="PRI"),
    Column("db_iemr", "t_caller_details", "caller_whatsapp_no", "varchar(15)"),
    Column("db_iemr", "t_caller_details", "guardian_fullname", "varchar(100)"),
    Column("db_iemr", "t_caller_details", "CreatedDate", "datetime"),
]
V1 = [FlywayMigration("1", "baseline")]
V2 = V1 + [FlywayMigration("2", "add caller details", "V2__add_caller_details.sql")]


def catalog(text: str = CATALOG, verified: str = "1"):
    return parse_catalog(text.replace("@verified db_iemr 1", f"@verified db_iemr {verified}"), "test.catalog")


# --- versions --------------------------------------------------------------------------------------


def test_versions_compare_numerically_as_flyway_does():
    assert is_after("10", "9") and not is_after("9", "10")
    assert is_after("1.10", "1.9")
    assert same_version("1", "1.0") and same_version("2_1", "2.1")
    assert not same_version("1", None) and same_version(None, None)
    assert highest_version(["9", "10", "2"]) == "10"
    assert highest_version([]) is None
    assert not is_after("368e374", "1"), "a commit id has no Flyway order"
    assert version_key("368e374") < version_key("1"), "a number beats a non-numeric version, as inspect.schema_version does"


# --- the verdict -----------------------------------------------------------------------------------


def test_gate_passes_when_every_column_resolves_at_the_verified_version():
    verdict = evaluate_gate(catalog(), "db_iemr", BASE, V1)
    assert verdict.passed, verdict.message()
    assert verdict.columns_checked == 5 and verdict.tables_checked == 2
    assert verdict.stub() == "" and verdict.warnings == []
    assert "all 5 columns resolved" in verdict.headline()


def test_new_columns_fail_with_list_version_and_suggested_stub():
    verdict = evaluate_gate(catalog(), "db_iemr", BASE + NEW_TABLE, V2)
    assert not verdict.passed
    assert [c.column for c in verdict.unresolved] == ["caller_whatsapp_no", "guardian_fullname"]
    assert verdict.introduced == {
        "db_iemr.t_caller_details.caller_whatsapp_no": "V2 (add caller details)",
        "db_iemr.t_caller_details.guardian_fullname": "V2 (add caller details)",
    }
    stub = verdict.stub()
    lines = [line for line in stub.splitlines() if not line.startswith("#")]
    assert len(lines) == 2, "one line per unresolved column"
    assert all("# SUGGESTED — review" in line for line in lines)
    assert any(line.startswith("db_iemr.t_caller_details.caller_whatsapp_no") and " phone " in line for line in lines)
    assert any(line.startswith("db_iemr.t_caller_details.guardian_fullname") and "name(part=full)" in line for line in lines)
    assert "# introduced by V2 (add caller details)" in stub
    assert "NOT decided" in stub
    message = verdict.message()
    assert "2 column(s) of db_iemr not resolved" in message and "t_caller_details" in message
    # the version moved too: the catalog says how to re-verify
    assert "amrit-anon catalog resolve --write" in verdict.version_problem
    assert "'@verified db_iemr 2'" in verdict.version_problem


def test_the_same_gate_passes_once_the_catalog_covers_the_columns_and_is_reverified():
    covered = CATALOG.replace(
        "db_iemr.t_bencall.PhoneNo         phone",
        "db_iemr.t_bencall.PhoneNo         phone\n"
        "db_iemr.t_caller_details.caller_whatsapp_no  phone\n"
        "db_iemr.t_caller_details.guardian_fullname   name(part=full)",
    )
    only_rules = evaluate_gate(catalog(covered), "db_iemr", BASE + NEW_TABLE, V2)
    assert not only_rules.unresolved and only_rules.version_problem is not None and not only_rules.passed
    verdict = evaluate_gate(catalog(covered, verified="2"), "db_iemr", BASE + NEW_TABLE, V2)
    assert verdict.passed, verdict.message()


def test_version_problems_fail_even_when_every_column_resolves():
    no_line = evaluate_gate(parse_catalog(CATALOG.replace("@verified db_iemr 1", ""), "c"), "db_iemr", BASE, V1)
    assert not no_line.passed and "no '@verified db_iemr <version>' line" in no_line.version_problem
    no_history = evaluate_gate(catalog(), "db_iemr", BASE, None)
    assert not no_history.passed and "flyway_schema_history" in no_history.version_problem
    older = evaluate_gate(catalog(verified="3"), "db_iemr", BASE, V2)
    assert not older.passed and "is at Flyway version 2, but the catalog was verified against 3" in older.version_problem
    assert evaluate_gate(catalog(verified="1.0"), "db_iemr", BASE, V1).passed, "1.0 is Flyway's 1"


def test_preview_ignores_the_version_but_not_the_coverage():
    ok = evaluate_gate(catalog(), "db_iemr", BASE, V2, require_verified_version=False)
    assert ok.passed
    bad = evaluate_gate(catalog(), "db_iemr", BASE + NEW_TABLE, V2, require_verified_version=False)
    assert not bad.passed and bad.version_problem is None


def test_a_changed_type_the_strategy_no_longer_fits_fails():
    changed = [c if c.column != "PhoneNo" else Column("db_iemr", "t_bencall", "PhoneNo", "date") for c in BASE]
    verdict = evaluate_gate(catalog(), "db_iemr", changed, V1)
    assert not verdict.passed and not verdict.unresolved
    assert len(verdict.changed) == 1 and "phone does not fit type date" in verdict.changed[0]


# --- introduced by ---------------------------------------------------------------------------------


def test_introduced_by_several_candidates_lists_them_and_none_says_unknown():
    col = NEW_TABLE[1]
    three = V2 + [FlywayMigration("3", "more")]
    assert introduced_by([col], three, "1")[col.qualified] == "one of V2 (add caller details), V3 (more)"
    assert introduced_by([col], V1, "1")[col.qualified].startswith("unknown")


def test_introduced_by_migration_files_names_the_exact_file():
    col = NEW_TABLE[1]
    history = [FlywayMigration(str(v)) for v in range(1, 12)]
    files = [
        (FlywayMigration("1", "baseline", "V1__baseline.sql"), "CREATE TABLE t_caller_details (x int);"),  # before verified
        (FlywayMigration("9", "other", "V9__other.sql"), "ALTER TABLE t_bencall ADD caller_whatsapp_no_old int;"),
        (FlywayMigration("10", "whatsapp", "V10__whatsapp.sql"), "ALTER TABLE `t_caller_details` ADD COLUMN `caller_whatsapp_no` varchar(15);"),
        (FlywayMigration("12", "pending", "V12__pending.sql"), "ALTER TABLE t_caller_details ADD caller_whatsapp_no int;"),
    ]
    assert introduced_by([col], history, "1", files)[col.qualified] == "V10 (whatsapp), V10__whatsapp.sql"


# --- dropped names ---------------------------------------------------------------------------------


def test_exact_rules_naming_gone_columns_or_tables_are_warnings():
    cat = catalog()
    without = [c for c in BASE if c.column != "Remarks" and c.table != "t_old"]
    dropped = dropped_names(cat, "db_iemr", without)
    assert [(d.selector, d.missing) for d in dropped] == [("db_iemr.t_bencall.Remarks", "column"), ("db_iemr.t_old.*", "table")]
    verdict = evaluate_gate(cat, "db_iemr", without, V1)
    assert verdict.passed, "a rule that matches nothing leaks nothing"
    assert verdict.warnings == [
        "test.catalog:4: 'db_iemr.t_bencall.Remarks scrub_text' names a column that no longer exists",
        "test.catalog:5: 'db_iemr.t_old.* truncate' names a table that no longer exists",
    ]


def test_a_rule_for_several_databases_is_not_called_dropped_from_one_of_them():
    cat = catalog()
    household = [Column("db_1097_identity", "i_householddetails", "houseNo", "varchar(20)")]
    assert dropped_names(cat, "db_1097_identity", household) == [], "db_identity may still have the column"
    assert dropped_names(cat, "db_1097_identity", []) == []


# --- metadata and fingerprints ---------------------------------------------------------------------


def test_metadata_holds_names_counts_and_versions_only():
    meta = evaluate_gate(catalog(), "db_iemr", BASE + NEW_TABLE, V2).metadata()
    assert meta["unresolved_count"] == 2 and meta["schema_version"] == "2" and meta["verified_version"] == "1"
    assert meta["unresolved"] == ["db_iemr.t_caller_details.caller_whatsapp_no", "db_iemr.t_caller_details.guardian_fullname"]
    assert set(meta) == {
        "database", "schema_version", "verified_version", "catalog", "columns_checked", "tables_checked",
        "unresolved_count", "unresolved", "introduced_by", "stub", "changed", "version_problem", "warnings",
    }


def test_fingerprint_changes_with_any_column_type_but_not_order():
    assert schema_fingerprint(BASE) == schema_fingerprint(list(reversed(BASE)))
    changed = BASE[:-1] + [Column("db_iemr", "t_old", "Name", "varchar(60)")]
    assert schema_fingerprint(BASE) != schema_fingerprint(changed)


def test_dump_refuses_a_version_the_catalog_is_not_verified_against():
    check_dump_version("db_iemr", "1", "1")
    for live, verified in (("2", "1"), (None, "1"), ("1", None)):
        with pytest.raises(SchemaNotVerified, match="materialize source_schema"):
            check_dump_version("db_iemr", live, verified)


# --- fail closed for every type, on a real server -------------------------------------------------

DRIFT_DB = "db_1097_identity"  # the smallest of the four: the server builds fast


@pytest.fixture(scope="module")
def amrit_1097():
    from amrit_assets.demo.schema import build_from_ddl
    from amrit_assets.resources.embedded import EmbeddedServer

    with EmbeddedServer("gate-types") as srv:
        build_from_ddl(srv.address, (DRIFT_DB,))
        yield srv.address


def live_gate(addr, ddl: list[str]):
    """The real catalog's gate on the live database after ``ddl``, which is undone afterwards."""
    from amrit_assets.catalog.coverage import columns_from_server
    from amrit_assets.catalog.gate import read_flyway_history
    from amrit_assets.catalog.model import load_catalog
    from amrit_assets.paths import CATALOG_DIR
    from amrit_assets.resources.mysql import connect

    conn = connect(addr, DRIFT_DB)
    try:
        with conn.cursor() as cur:
            for statement in ddl:
                cur.execute(statement)
        return evaluate_gate(
            load_catalog(CATALOG_DIR / "amrit.catalog"), DRIFT_DB, columns_from_server(conn, [DRIFT_DB]), read_flyway_history(conn, DRIFT_DB)
        )
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS t_kin_visit")
            for statement in ddl:
                if statement.startswith("ALTER TABLE i_beneficiarydetails ADD COLUMN"):
                    cur.execute(f"ALTER TABLE i_beneficiarydetails DROP COLUMN {statement.split()[5]}")
        conn.close()


@pytest.mark.integration
def test_the_real_schema_passes_at_amrit_s_real_flyway_version(amrit_1097):
    verdict = live_gate(amrit_1097, [])
    assert verdict.passed, verdict.message()
    assert verdict.live_version == verdict.verified_version == "5"


@pytest.mark.integration
@pytest.mark.parametrize(
    "column, column_type, proposed",
    [
        ("alt_contact", "BIGINT", "phone"),
        ("caregiver_dob", "DATE", "date_shift"),
        ("birth_date", "DATETIME", "date_shift"),
        ("kin_contact", "BIGINT", "phone"),
        ("wellness_quotient", "DOUBLE", "null"),  # a name no rule expects: emptied, never kept
        ("caregiver_name", "VARCHAR(100)", "name(part=full)"),
    ],
)
def test_a_new_column_of_any_type_fails_the_gate_with_a_proposed_strategy(amrit_1097, column, column_type, proposed):
    verdict = live_gate(amrit_1097, [f"ALTER TABLE i_beneficiarydetails ADD COLUMN {column} {column_type} NULL"])
    assert not verdict.passed
    assert [c.qualified for c in verdict.unresolved] == [f"{DRIFT_DB}.i_beneficiarydetails.{column}"]
    [line] = [line for line in verdict.stub().splitlines() if not line.startswith("#")]
    assert line.split()[:2] == [f"{DRIFT_DB}.i_beneficiarydetails.{column}", proposed] and "# SUGGESTED — review" in line
    assert verdict.version_problem is None, "the version is the verified one: only the new column fails"


@pytest.mark.integration
def test_a_new_table_of_numbers_and_dates_fails_the_gate(amrit_1097):
    verdict = live_gate(
        amrit_1097, ["CREATE TABLE t_kin_visit (SlotKey BIGINT PRIMARY KEY, VisitCount INT, VisitedOn DATETIME, Score DOUBLE)"]
    )
    assert not verdict.passed
    assert sorted(c.column for c in verdict.unresolved) == ["Score", "SlotKey", "VisitCount", "VisitedOn"]
    stub = [line.split()[1] for line in verdict.stub().splitlines() if not line.startswith("#")]
    assert "keep" not in stub, "the stub never proposes keep"


@pytest.mark.integration
def test_a_reviewed_column_whose_type_changed_fails_the_gate(amrit_1097):
    verdict = live_gate(amrit_1097, ["ALTER TABLE i_beneficiarydetails MODIFY TitleId BIGINT NULL"])
    try:
        assert [c.qualified for c in verdict.unresolved] == [f"{DRIFT_DB}.i_beneficiarydetails.TitleId"]
    finally:
        live_gate(amrit_1097, ["ALTER TABLE i_beneficiarydetails MODIFY TitleId INT(11) NULL"])


def test_a_version_only_problem_names_no_stub():
    verdict = evaluate_gate(catalog(verified="3"), "db_iemr", BASE, V2)
    assert not verdict.passed and not verdict.unresolved and verdict.stub() == ""
    assert "stub" not in verdict.version_problem and "no column is unresolved" in verdict.version_problem
    assert "resolved/db_iemr.tsv" in verdict.version_problem
