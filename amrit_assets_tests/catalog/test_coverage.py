"""The real catalog against the real AMRIT schema (from the project's DDL), and the coverage checks."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from amrit_assets.catalog.coverage import (
    CoverageError,
    CoverageReport,
    check_coverage,
    columns_from_ddl,
    diff_resolved,
    resolved_form,
    suggest_strategy,
)
from amrit_assets.catalog.model import Catalog, Column, load_catalog, parse_catalog
from amrit_assets.demo.schema import BASELINE_VERSIONS
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import CATALOG_DIR, ROOT, SCHEMA_DIR

SHARED = ROOT.parent / "shared" / "amrit-schema"
GLOB = re.compile(r"[*?\[]")


def shared_tsv(name: str) -> list[dict[str, str]]:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"the AMRIT data dictionary is not beside the checkout ({path} missing)")
    with path.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG_DIR / "amrit.catalog")


@pytest.fixture(scope="module")
def columns() -> list[Column]:
    return columns_from_ddl(SCHEMA_DIR, list(DATABASES))


@pytest.fixture(scope="module")
def report(catalog: Catalog, columns: list[Column]) -> CoverageReport:
    return check_coverage(catalog, columns)


# --- the real catalog --------------------------------------------------------------------------

def test_the_catalog_resolves_every_amrit_column_and_is_valid(report: CoverageReport):
    assert [c.qualified for c in report.unresolved] == []
    assert report.errors == []
    assert len(report.resolved) == 17058
    assert sum(report.counts.values()) == 17058
    assert report.catalog.verified == BASELINE_VERSIONS


def test_the_ddl_carries_exactly_the_dictionarys_columns(columns: list[Column]):
    dictionary = {(r["db"], r["table"], r["column"], r["is_view"] == "1") for r in shared_tsv("columns.tsv")}
    assert {(c.db, c.table, c.column, c.is_view) for c in columns} == dictionary


def test_every_high_confidence_pii_candidate_is_anonymized_or_explicitly_kept(report: CoverageReport):
    """A [high] candidate may only be kept by a per-column line (no globs) that says why."""
    resolved = {r.column.qualified.lower(): r for r in report.resolved}
    offenders = []
    for row in shared_tsv("pii_candidates.tsv"):
        if not row["reason"].startswith("[high]"):
            continue
        res = resolved[f"{row['db']}.{row['table']}.{row['column']}".lower()]
        explicit = not GLOB.search(f"{res.rule.db}.{res.rule.table}.{res.rule.column}") and res.rule.reason
        if res.strategy == "keep" and not explicit:
            offenders.append(f"{res.column.qualified} ({row['category']}) kept by line {res.rule.line}")
    assert offenders == []


def test_identifier_columns_get_the_bijection_of_their_kind(report: CoverageReport):
    """link_keys.tsv says which columns hold registration ids and public beneficiary ids (emptied tables aside)."""
    resolved = {r.column.qualified.lower(): r.strategy for r in report.resolved}
    expected = {"BEN_REG_ID": "benregid", "BENEFICIARY_ID": "beneficiary_id"}
    wrong = []
    for row in shared_tsv("link_keys.tsv"):
        want = expected.get(row["key_kind"])
        got = resolved[f"{row['db']}.{row['table']}.{row['column']}".lower()]
        if want and row["object"] == "table" and got not in (want, "truncate"):
            wrong.append(f"{row['db']}.{row['table']}.{row['column']} {row['column_type']}: {got}")
    # INT(11) cannot hold a 12-digit BeneficiaryID; the catalog empties those two copies, saying why.
    assert wrong == [
        "db_identity.i_householddetails.beneficiaryId int(11): null",
        "db_1097_identity.i_householddetails.beneficiaryId int(11): null",
    ]


def test_view_columns_are_derived_and_table_columns_never_are(report: CoverageReport):
    assert all((r.strategy == "derived") == r.column.is_view for r in report.resolved)


def test_resolved_forms_are_deterministic_and_committed(report: CoverageReport):
    shuffled = CoverageReport(report.catalog, list(reversed(report.resolved)), [], dict(report.counts))
    for db in DATABASES:
        form = resolved_form(report, db)
        assert form == resolved_form(shuffled, db)
        committed = CATALOG_DIR / "resolved" / f"{db}.tsv"
        assert committed.read_text() == form, (
            f"{committed} is stale: run python -m amrit_assets.catalog.cli resolve --from-ddl --write"
        )
        assert f"# @verified {db} {BASELINE_VERSIONS[db]}" in form


# --- coverage checks on small catalogs ---------------------------------------------------------

def c(table: str, column: str, column_type: str = "varchar(50)", *, view: bool = False) -> Column:
    return Column("db_iemr", table, column, column_type, is_view=view)


BENCALL = [c("t_bencall", "BenCallID", "bigint(20)"), c("t_bencall", "PhoneNo", "varchar(15)"), c("t_bencall", "Remarks", "varchar(500)")]


def test_an_unresolved_column_fails_closed_with_a_stub(catalog: Catalog, columns: list[Column]):
    new = c("t_bencall", "caller_whatsapp_no", "varchar(15)")
    report = check_coverage(catalog, [x for x in columns if x.table == "t_bencall"] + [new])
    assert report.unresolved == [new] and not report.ok
    message = str(CoverageError(report))
    assert "db_iemr.t_bencall.caller_whatsapp_no" in message
    assert re.search(r"db_iemr\.t_bencall\.caller_whatsapp_no\s+phone\s+# SUGGESTED — review", message)


def test_rules_that_decide_nothing_are_errors_naming_their_line():
    catalog = parse_catalog(
        "@verified db_iemr 1\n"
        "db_iemr.t_bencall.PhoneNo   phone\n"
        "db_iemr.t_bencal.Remarks    scrub_text\n"  # typo: matches nothing
        "*.*.*Phone*                 phone\n"  # shadowed by line 2 for every column it matches
        "db_iemr.t_bencall.*         keep\n"
        "inherit db_iemr.t_nosuch_* from t_bencall\n",
        "test.catalog",
    )
    report = check_coverage(catalog, BENCALL)
    assert len(report.unused_rules) == 3
    assert "test.catalog:3:" in report.unused_rules[0] and "matches no column" in report.unused_rules[0]
    assert "test.catalog:4:" in report.unused_rules[1] and "line 2" in report.unused_rules[1]
    assert "test.catalog:6:" in report.unused_rules[2]


def test_rules_for_databases_not_checked_are_not_called_unused():
    catalog = parse_catalog("@verified db_iemr 1\n@verified db_identity 1\n*.*.PhoneNo phone\n*.*.* keep\n")
    only_identity = [Column("db_identity", "i_beneficiarycontacts", "EmailId", "varchar(75)")]
    assert check_coverage(catalog, only_identity).unused_rules == []


def test_parameters_and_types_are_checked_in_context():
    catalog = parse_catalog(
        "db_iemr.t_bencall.BenCallID  date_shift(by=BeneficiaryRegID)\n"  # no such column, and a bigint
        "db_iemr.t_bencall.Remarks    scrub_text(names=PatientName)\n"  # no such column
        "db_iemr.t_x.flag             phone\n"  # phone on a bit column
        "db_iemr.t_x.note             derived\n"  # table column cannot be derived
        "db_iemr.v_x.*                keep\n"  # a view column must be derived
        "db_iemr.t_y.a                truncate\n"  # half a table cannot be truncated
        "db_iemr.t_y.b                email\n"  # the replacement address does not fit in 30 characters
        "*.*.*                        keep\n"
    )
    columns = BENCALL + [
        c("t_x", "flag", "bit(1)"), c("t_x", "note"), c("v_x", "v", "", view=True), c("t_y", "a"), c("t_y", "b", "varchar(30)"),
    ]
    errors = "\n".join(check_coverage(catalog, columns).param_errors)
    assert "has no column BeneficiaryRegID" in errors
    assert "date_shift does not fit type bigint(20)" in errors
    assert "has no column PatientName" in errors
    assert "phone does not fit type bit(1)" in errors
    assert "derived on a table column" in errors
    assert "keep on a view column" in errors
    assert "truncate empties the whole table" in errors
    assert "email needs 32 characters, varchar(30) would truncate" in errors


def test_suggestions_follow_name_and_type():
    assert " phone " in suggest_strategy(c("t_bencall", "caller_whatsapp_no", "varchar(15)"))
    assert " benregid " in suggest_strategy(c("t_new", "BeneficiaryRegID", "bigint(20)"))
    assert " date_shift " in suggest_strategy(c("t_new", "mother_dob", "datetime"))
    assert " scrub_text " in suggest_strategy(c("t_new", "mystery", "text"))
    assert " null " in suggest_strategy(c("t_new", "mystery", "int(11)"))
    assert " derived " in suggest_strategy(c("v_new", "anything", "", view=True))
    for stub in (suggest_strategy(c("t_new", "x_phone", "bit(1)")), suggest_strategy(c("t_new", "Age", "int(11)"))):
        assert "# SUGGESTED — review" in stub


def test_diff_reports_what_a_reviewer_must_see_and_ignores_moved_lines():
    catalog_v1 = parse_catalog("@verified db_iemr 1\ndb_iemr.t_bencall.PhoneNo phone\n*.*.* keep\n")
    catalog_v2 = parse_catalog("@verified db_iemr 2\n# moved\ndb_iemr.t_bencall.PhoneNo phone\ndb_iemr.t_bencall.Remarks scrub_text\n*.*.* keep\n")
    old = resolved_form(check_coverage(catalog_v1, BENCALL), "db_iemr")
    new = resolved_form(check_coverage(catalog_v2, BENCALL + [c("t_bencall", "SMS_Ph", "varchar(12)")]), "db_iemr")
    assert diff_resolved(old, new) == [
        "verified db_iemr: 1 -> 2",
        "~ db_iemr.t_bencall.Remarks\tkeep -> scrub_text",
        "+ db_iemr.t_bencall.SMS_Ph\tvarchar(12)\tkeep",
    ]
    assert diff_resolved(old, old) == []


def test_ddl_columns_know_keys_views_and_nullability(columns: list[Column]):
    by = {c.qualified: c for c in columns}
    pk = by["db_identity.m_beneficiaryregidmapping.BenRegId"]
    assert (pk.key, pk.nullable, pk.is_view, pk.column_type) == ("PRI", False, False, "bigint(20)")
    assert by["db_identity.m_beneficiaryregidmapping.BeneficiaryID"].key == "UNI"
    view_col = by["db_identity.v_benadvancesearch.FirstName"]
    assert view_col.is_view and view_col.column_type == ""


def test_a_ddl_line_the_parser_does_not_understand_is_an_error(tmp_path: Path):
    (tmp_path / "db_x.sql").write_text("CREATE TABLE `t` (\n  `a` int(11) NULL DEFAULT 1,\n) ENGINE=InnoDB;\n")
    with pytest.raises(ValueError, match="db_x.sql:2"):
        columns_from_ddl(tmp_path, ["db_x"])
