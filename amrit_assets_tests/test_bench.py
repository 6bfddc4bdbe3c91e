"""The benchmark command at a tiny size: the report's shape and its counts, never its timings."""

from __future__ import annotations

import json

import pytest

from amrit_assets import bench
from amrit_assets.resources.mysql import ServerAddress, connect

pytestmark = pytest.mark.integration

SIZE, BASE_MAX = 120, 60  # two copies: the set-based scale-up runs too


@pytest.fixture(scope="module")
def report(server: ServerAddress) -> bench.BenchReport:
    return bench.run(server, [SIZE], seed=3, base_max=BASE_MAX, log=lambda _m: None)


def test_phases_and_ratio(report: bench.BenchReport) -> None:
    (s,) = report.sizes
    assert [p.phase for p in s.phases] == ["resolve+plan", "maps", "anonymize", "bare UPDATE", "free text"]
    assert all(p.seconds > 0 and p.rows > 0 and p.rows_per_s > 0 for p in s.phases)
    assert s.ratio > 0 and s.copies == 2 and s.base_beneficiaries == BASE_MAX


def test_rows_match_table_sizes(report: bench.BenchReport, server: ServerAddress) -> None:
    (s,) = report.sizes
    assert s.big_table_rows["db_identity.i_beneficiarydetails"] == SIZE
    phases = {p.phase: p for p in s.phases}
    assert phases["anonymize"].rows == phases["bare UPDATE"].rows == sum(t.rows for t in s.tables)
    assert all(t.identical for t in s.tables), "both phases must start from the same data"
    conn = connect(server)
    with conn.cursor() as cur:
        for t in s.tables:
            db, table = t.table.split(".", 1)
            cur.execute(f"SELECT COUNT(*) FROM `{db}`.`{table}`")
            assert cur.fetchone()[0] == (0 if t.truncated else t.rows), t.table
    conn.close()
    by_name = {t.table: t for t in s.tables}
    assert by_name["db_identity.i_beneficiarydetails"].rows == SIZE


def test_scaled_copies_stay_linked_and_shaped(report: bench.BenchReport, server: ServerAddress) -> None:
    conn = connect(server)
    with conn.cursor() as cur:  # after anonymize: ids were remapped consistently, phones still 10 digits
        cur.execute(
            "SELECT COUNT(*) FROM db_iemr.t_benvisitdetail v LEFT JOIN db_identity.m_beneficiaryregidmapping m"
            " ON m.BenRegId = v.BeneficiaryRegID WHERE m.BenRegId IS NULL"
        )
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT COUNT(*) FROM db_identity.i_beneficiarycontacts WHERE PhoneNum1 NOT REGEXP '^[6-9][0-9]{9}$'")
        assert cur.fetchone()[0] == 0
    conn.close()


def test_report_text_and_json(report: bench.BenchReport) -> None:
    text = bench.format_report(report)
    assert "ratio anonymize / bare UPDATE" in text and "bare UPDATE" in text
    data = json.loads(json.dumps(report.to_json()))
    assert data["sizes"][0]["size"] == SIZE and data["sizes"][0]["ratio"] > 0
    assert {p["phase"] for p in data["sizes"][0]["phases"]} == {"resolve+plan", "maps", "anonymize", "bare UPDATE", "free text"}


def test_growth_is_seconds_ratio_over_rows_ratio() -> None:
    def size(n: int, secs: float) -> bench.SizeReport:
        return bench.SizeReport(n, n, 1, {}, 0.0, [bench.Phase("anonymize", secs, n), bench.Phase("bare UPDATE", secs / 2, n)], [])

    (g, _) = bench.BenchReport([size(10, 1.0), size(100, 20.0)]).growth()
    assert (g["phase"], g["rows_x"], g["seconds_x"], g["growth"]) == ("anonymize", 10.0, 20.0, 2.0)
