"""The compiled SQL on a real server: the properties the catalog promises, strategy by strategy."""

from __future__ import annotations

import pytest

from amrit_assets.anonymize.compile import plan_table
from amrit_assets.common.keys import set_session_keys
from amrit_assets.anonymize.maps import MapColumn, build_maps
from amrit_assets.anonymize.pools import build_pools
from amrit_assets.catalog.model import Column, parse_catalog
from amrit_assets.resources.mysql import connect

CATALOG = """
t.person.Remarks      scrub_text(names=FirstName|LastName)
t.person.VisitDate    date_shift(by=BenRegID)
t.person.DOB          date_shift(by=BenRegID)
t.person.FirstName    name(part=first)
t.person.LastName     name(part=last)
t.person.Phone        phone
t.person.Aadhaar      aadhaar
t.person.Email        email
t.person.Pin          pincode
t.person.Lat          geo
t.person.CreatedBy    username
t.person.Password     credential
t.person.RationCard   id_digits
t.person.BenRegID     benregid
t.person.RegIdText    benregid
t.person.*            keep
t.otp.*               truncate
"""

DDL = """CREATE TABLE t.person (
  id INT PRIMARY KEY, BenRegID BIGINT, RegIdText MEDIUMTEXT, FirstName VARCHAR(50), LastName VARCHAR(50),
  Phone VARCHAR(15), Aadhaar VARCHAR(14), Email VARCHAR(100), Pin VARCHAR(6), Lat DECIMAL(10,6),
  CreatedBy VARCHAR(50), Password VARCHAR(100), RationCard VARCHAR(20), Remarks TEXT,
  DOB DATE, VisitDate DATETIME, Weight DECIMAL(5,2), Note VARCHAR(20),
  LastModDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)"""

ROWS = [
    (1, 1001, "1001", "Ramesh", "Kumar", "9876543210", "234567890124", "ramesh@gmail.com", "560034", 12.971599,
     "asha01", "$2a$10$abc", "RC12345", "Ramesh called from 9876543210, mail ramesh@gmail.com, Aadhaar 2345 6789 0124",
     "1980-05-01", "2024-01-10 10:00:00", 61.5, "keep me", "2020-01-01 00:00:00"),
    (2, 1002, "1002", "Sita", "Devi", "9876543211", None, "", "110001", 28.6139, "asha01", None, "", "", "1990-02-03",
     "2024-02-11 09:30:00", 55.0, None, "2020-01-01 00:00:00"),
    (3, 1001, "1001", "Ramesh", "Kumar", "9876543210", "234567890124", "RAMESH@gmail.com", "560034", None, "doc7",
     "x", None, None, None, "2024-03-10 10:00:00", None, "", "2020-01-01 00:00:00"),
]
COLS = ["id", "BenRegID", "RegIdText", "FirstName", "LastName", "Phone", "Aadhaar", "Email", "Pin", "Lat", "CreatedBy",
        "Password", "RationCard", "Remarks", "DOB", "VisitDate", "Weight", "Note", "LastModDate"]


def _columns(conn) -> list[Column]:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns"
                    " WHERE table_schema = 't' ORDER BY table_name, ordinal_position")
        return [Column("t", t, c, ty, n == "YES") for t, c, ty, n in cur.fetchall()]


def _anonymize(server, key: bytes) -> dict[int, dict]:
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS t")
        cur.execute("CREATE DATABASE t")
        cur.execute(DDL)
        cur.execute("CREATE TABLE t.otp (id INT PRIMARY KEY, otp VARCHAR(6))")
        cur.execute("INSERT INTO t.otp VALUES (1, '123456')")
        cur.executemany(f"INSERT INTO t.person ({', '.join(COLS)}) VALUES ({', '.join(['%s'] * len(COLS))})", ROWS)
    catalog = parse_catalog(CATALOG)
    resolutions = [catalog.resolve(c) for c in _columns(conn)]
    assert all(resolutions)
    build_pools(conn)
    build_maps(conn, key, {"benregid": [MapColumn("t", "person", "BenRegID", False), MapColumn("t", "person", "RegIdText", True)]},
               {"phone": [MapColumn("t", "person", "Phone", True)], "aadhaar": [MapColumn("t", "person", "Aadhaar", True)],
                "id_digits": [MapColumn("t", "person", "RationCard", True)]})
    with conn.cursor() as cur:
        set_session_keys(cur, key)
        for table in ("person", "otp"):
            plan = plan_table("t", table, [r for r in resolutions if r.column.table == table],
                              ["LastModDate"] if table == "person" else [], ["BenRegID"] if table == "person" else [])
            for statement in plan.statements:
                cur.execute(statement)
        cur.execute(f"SELECT {', '.join(COLS)} FROM t.person ORDER BY id")
        out = {r[0]: dict(zip(COLS, r)) for r in cur.fetchall()}
        cur.execute("SELECT COUNT(*) FROM t.otp")
        assert cur.fetchone()[0] == 0
    conn.close()
    return out


@pytest.fixture(scope="module")
def anon(server):
    return _anonymize(server, b"A" * 32)


def _orig(row_id: int) -> dict:
    return dict(zip(COLS, next(r for r in ROWS if r[0] == row_id)))


def test_every_pii_value_changed_and_none_equals_its_original(anon):
    for rid in anon:
        before, after = _orig(rid), anon[rid]
        for col in ("BenRegID", "RegIdText", "FirstName", "LastName", "Phone", "Aadhaar", "Email", "Pin", "CreatedBy", "RationCard"):
            if before[col] not in (None, ""):
                assert str(after[col]).lower() != str(before[col]).lower(), col


def test_null_stays_null_and_empty_stays_empty(anon):
    assert anon[2]["Aadhaar"] is None and anon[2]["Email"] == "" and anon[2]["RationCard"] == "" and anon[2]["Remarks"] == ""
    assert anon[3]["Lat"] is None and anon[3]["RationCard"] is None and anon[3]["Note"] == ""


def test_non_pii_columns_are_identical_and_on_update_timestamps_kept(anon):
    for rid in anon:
        assert anon[rid]["Weight"] == (None if _orig(rid)["Weight"] is None else pytest.approx(_orig(rid)["Weight"]))
        assert anon[rid]["Note"] == _orig(rid)["Note"]
        assert str(anon[rid]["LastModDate"]) == "2020-01-01 00:00:00"


def test_same_value_same_replacement(anon):
    assert anon[1]["Phone"] == anon[3]["Phone"] and anon[1]["FirstName"] == anon[3]["FirstName"]
    assert anon[1]["Email"] == anon[3]["Email"]  # e-mails compare case-insensitively
    assert anon[1]["BenRegID"] == anon[3]["BenRegID"] and str(anon[1]["BenRegID"]) == anon[1]["RegIdText"]
    assert anon[1]["CreatedBy"] == anon[2]["CreatedBy"]


def test_shapes(anon):
    import re

    from amrit_assets.common.verhoeff import is_verhoeff_valid

    r = anon[1]
    assert re.fullmatch(r"[6-9][0-9]{9}", r["Phone"])
    assert re.fullmatch(r"[0-9]{12}", r["Aadhaar"]) and is_verhoeff_valid(r["Aadhaar"])
    assert re.fullmatch(r"user[a-p]{10}@uat\.amrit\.invalid", r["Email"])  # no digit run to mistake for a number
    assert r["Pin"][:3] == "560" and len(r["Pin"]) == 6
    assert r["Password"] is None
    assert r["RationCard"].startswith("RC") and len(r["RationCard"]) == 7
    assert 0.01 <= abs(float(r["Lat"]) - 12.971599) <= 0.1


def test_free_text_is_scrubbed_of_contacts_ids_and_the_rows_names(anon):
    text = anon[1]["Remarks"]
    for leaked in ("9876543210", "ramesh@gmail.com", "2345 6789 0124", "Ramesh"):
        assert leaked not in text
    assert "[phone]" in text and "[email]" in text and "[aadhaar]" in text and "[name]" in text


def test_dates_shift_by_person_keeping_intervals(anon):
    shift1 = anon[1]["VisitDate"] - __import__("datetime").datetime(2024, 1, 10, 10)
    shift3 = anon[3]["VisitDate"] - __import__("datetime").datetime(2024, 3, 10, 10)
    assert shift1 == shift3 and shift1.days < 0  # same person (BenRegID 1001): same offset
    assert anon[1]["DOB"] != __import__("datetime").date(1980, 5, 1)


def test_a_different_key_gives_different_replacements(server, anon):
    other = _anonymize(server, b"B" * 32)
    assert other[1]["Phone"] != anon[1]["Phone"] and other[1]["BenRegID"] != anon[1]["BenRegID"]
    again = _anonymize(server, b"A" * 32)
    assert again == anon


def test_email_and_username_pseudonyms_carry_no_digit_run(conn):
    """A digit run in a pseudonym ('user38457291@…') is what the leak check compares with real numbers."""
    from amrit_assets.anonymize.strategies import letters

    with conn.cursor() as cur:
        cur.execute("SELECT " + letters("'0123456789abcdef'"))
        assert cur.fetchone()[0] == "ghijklmnopabcdef"
