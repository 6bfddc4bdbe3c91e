"""Original vs masked on two real servers: counts per column from keyed hashes, never a value.

The "UAT" side here is written by the test (not by the engine), so every outcome is known: changed,
kept, emptied, scrubbed, and the failures the comparison must report.
"""

from __future__ import annotations

import json
import re

import pytest

from amrit_assets.common.resolve import resolve_live
from amrit_assets.audit import masking
from amrit_assets.audit.masking import compare_database, expectation, plan_table
from amrit_assets.catalog.model import parse_catalog
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import connect

pytestmark = pytest.mark.integration
DB = "mtest"

CATALOG = """
mtest.people.first_name      name(part=first)
mtest.people.phone           phone
mtest.people.notes           scrub_text
mtest.people.flag            null
mtest.leaky.nm               name(part=first)
mtest.otp.*                  truncate
mtest.reg.BenRegID           benregid
mtest.*.*                    keep
"""

DDL = (
    "CREATE TABLE people (id INT PRIMARY KEY, first_name VARCHAR(40) NULL, phone VARCHAR(20) NULL, city VARCHAR(40) NULL,"
    " notes TEXT NULL, created DATETIME NULL, flag INT NOT NULL DEFAULT 0) DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE leaky (id INT PRIMARY KEY, nm VARCHAR(40) NULL, town VARCHAR(40) CHARACTER SET latin1 NULL)",
    "CREATE TABLE nopk (a INT NULL, b VARCHAR(10) NULL)",
    "CREATE TABLE otp (id INT PRIMARY KEY, code VARCHAR(6) NULL)",
    "CREATE TABLE reg (BenRegID BIGINT PRIMARY KEY, x VARCHAR(10) NULL)",
    "CREATE TABLE empty_t (id INT PRIMARY KEY)",
    "CREATE VIEW v_people AS SELECT id, city FROM people",
)

NAMES = ["Asha", "Ravi", None, "", "Meena", "Kiran", "Suresh", "Lakshmi", "Arjun", "Divya"]
PHONES = [f"98{i:08d}" for i in range(1, 11)]
PHONES[4] = None


def _source_rows():
    for i in range(10):
        notes = "call 9876543210 tomorrow" if i < 4 else ("no issues" if i < 9 else None)
        yield (i + 1, NAMES[i], PHONES[i], "Pune", notes, "2024-01-02 03:04:05", 1 if i < 5 else 0)


def _uat_rows():
    for i, (id_, name, phone, city, notes, created, flag) in enumerate(_source_rows()):
        name = name if not name else f"X{name}"
        phone = None if phone is None else f"70{i:08d}"
        if notes and "9876543210" in notes and i != 3:  # row 4 keeps a phone number: scrubbable, unchanged
            notes = notes.replace("9876543210", "[phone]")
        yield (id_, name, phone, city, notes, created, 0)


def _fill(addr, uat: bool) -> None:
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
        cur.execute(f"CREATE DATABASE {DB} DEFAULT CHARACTER SET utf8mb4")
        cur.execute(f"USE {DB}")
        for ddl in DDL:
            cur.execute(ddl)
        cur.executemany("INSERT INTO people VALUES (%s, %s, %s, %s, %s, %s, %s)", list(_uat_rows() if uat else _source_rows()))
        # leaky: UAT keeps row 2's name (a leak) and row 3's town differs (a kept column that changed)
        leaky = [(1, "Gopal", "Nashik"), (2, "Farah", "Thane"), (3, "Imran", "Satara")]
        if uat:
            leaky = [(1, "Zed", "Nashik"), (2, "Farah", "Thane"), (3, "Yan", "Sangli")]
        cur.executemany("INSERT INTO leaky VALUES (%s, %s, %s)", leaky)
        cur.executemany("INSERT INTO nopk VALUES (%s, %s)", [(1, "a"), (2, "b")])
        cur.executemany("INSERT INTO otp VALUES (%s, %s)", [(1, "123456")] if uat else [(1, "123456"), (2, "654321")])
        cur.executemany("INSERT INTO reg VALUES (%s, %s)", [(1001 + uat, "r")])
    conn.close()


@pytest.fixture(scope="module")
def sides(server):
    with EmbeddedServer("masking-uat") as uat_srv:
        _fill(server, uat=False)
        _fill(uat_srv.address, uat=True)
        src, uat = connect(server, read_only=True), connect(uat_srv.address)
        resolutions = resolve_live(src, parse_catalog(CATALOG), (DB,))
        yield src, uat, resolutions
        src.close()
        uat.close()


@pytest.fixture(scope="module")
def compared(sides):
    src, uat, resolutions = sides
    return compare_database(src, uat, DB, resolutions)


def _col(result, table: str, column: str):
    return next(c for c in result.columns() if (c.table, c.column) == (table, column))


def test_personal_columns_are_counted_changed_except_null_and_empty(compared):
    name = _col(compared, "people", "first_name")
    assert (name.compared, name.empty, name.changed) == (10, 2, 8)
    assert name.ok and name.share == 1.0
    phone = _col(compared, "people", "phone")
    assert (phone.compared, phone.empty, phone.changed) == (10, 1, 9)
    assert phone.ok


def test_null_strategy_counts_a_zero_original_as_empty(compared):
    flag = _col(compared, "people", "flag")
    assert (flag.compared, flag.empty, flag.changed) == (10, 5, 5)
    assert flag.ok


def test_kept_columns_are_identical(compared):
    for column in ("id", "city", "created"):
        c = _col(compared, "people", column)
        assert c.expect == "identical" and c.identical == c.compared == 10 and c.ok, column


def test_scrub_text_is_reported_separately_and_never_fails(compared):
    notes = _col(compared, "people", "notes")
    assert notes.expect == "scrub"
    assert (notes.scrubbable, notes.scrubbable_changed, notes.scrubbable_unchanged) == (4, 3, 1)
    assert notes.changed_without_scrubbable == 0
    assert notes.empty == 1  # the NULL one
    assert notes.ok


def test_a_kept_name_and_a_changed_kept_column_are_reported(compared):
    nm, town = _col(compared, "leaky", "nm"), _col(compared, "leaky", "town")
    assert (nm.changed, nm.non_empty, nm.ok) == (2, 3, False)
    assert round(nm.share, 3) == 0.667
    assert (town.identical, town.compared, town.ok) == (2, 3, False)
    summary = compared.summary()
    assert summary["not_ok"] == ["leaky.nm", "leaky.town"]
    assert summary["pii_columns_compared"] == 4 and summary["pii_columns_all_changed"] == 3


def test_tables_that_cannot_be_compared_are_skipped_with_the_reason(compared):
    assert compared.skipped == {
        "empty": ["empty_t"],
        "no primary key": ["nopk"],
        "primary key rewritten": ["reg"],
        "truncated": ["otp"],
        "view": ["v_people"],
    }
    assert compared.truncated_not_empty == ["otp"]
    assert {t.table for t in compared.tables} == {"people", "leaky"}


def test_the_sample_is_the_same_rows_on_both_sides(sides):
    src, uat, resolutions = sides
    small = compare_database(src, uat, DB, resolutions, sample_rows=3)
    people = next(t for t in small.tables if t.table == "people")
    assert (people.source_rows, people.uat_rows, people.matched) == (3, 3, 3)
    again = compare_database(src, uat, DB, resolutions, sample_rows=3)
    assert [c.as_dict() for c in again.columns()] == [c.as_dict() for c in small.columns()]


def test_only_hashes_and_flags_leave_the_servers(sides, monkeypatch):
    src, uat, resolutions = sides
    fetched: list[tuple] = []
    real = masking._fetch

    def spy(conn, sql):
        rows = real(conn, sql)
        fetched.extend(rows)
        return rows

    monkeypatch.setattr(masking, "_fetch", spy)
    result = compare_database(src, uat, DB, resolutions)
    hexes = re.compile(rf"^[0-9a-f]{{{masking.HASH_HEX}}}$")
    cells = [v for row in fetched for v in row]
    assert cells and all(v is None or v in (0, 1) or (isinstance(v, str) and hexes.match(v)) for v in cells)
    text = json.dumps(result.as_dict())
    for value in ("Asha", "Meena", "9876543210", "9800000001", "Pune", "Nashik", "123456"):
        assert value not in text
    with src.cursor() as cur:  # the throwaway key does not outlive the comparison
        cur.execute(f"SELECT {masking.SESSION_VAR}")
        assert cur.fetchone()[0] is None


def test_expectation_per_strategy():
    assert expectation("keep") == "identical"
    assert expectation("scrub_text") == "scrub"
    assert expectation("phone") == expectation("benregid") == expectation("null") == "changed"
    assert expectation("truncate") is None and expectation("derived") is None


def test_plan_table_reasons(sides):
    _, _, resolutions = sides
    by_table: dict = {}
    for r in resolutions:
        by_table.setdefault(r.column.table, []).append(r)
    assert plan_table(by_table["people"])[0] is None
    assert [r.column.column for r in plan_table(by_table["people"])[1]] == ["id"]
    assert plan_table(by_table["reg"])[0] == "primary key rewritten"
