"""The streaming text pass on a real server: the dictionary built from name columns of other tables and
databases, batches by primary key and by value, JSON ids through the id map, timestamps kept."""

from __future__ import annotations

import json

from amrit_assets.anonymize.freetext import build_name_dictionary, load_dictionary
from amrit_assets.anonymize.maps import MapColumn, build_maps
from amrit_assets.anonymize.textpass import scrub_database
from amrit_assets.catalog.model import Column, parse_catalog
from amrit_assets.catalog.coverage import check_coverage
from amrit_assets_tests.conftest import TEST_KEY

KEY = TEST_KEY.encode()
CATALOG = """
tp_a.person.FirstName      name(part=first)
tp_a.person.LastName       name(part=last)
tp_a.person.BenRegID       benregid
tp_a.person.*              keep
tp_a.village.VillageName   keep
tp_a.village.*             keep
tp_b.staff.FullName        name
tp_b.staff.*               keep
tp_b.note.Remarks          scrub_text
tp_b.note.Payload          scrub_json
tp_b.note.*                keep
tp_b.nopk.Remarks          scrub_text
"""
DDL = [
    "CREATE TABLE tp_a.person (id INT PRIMARY KEY, BenRegID BIGINT, FirstName VARCHAR(50), LastName VARCHAR(50))",
    "CREATE TABLE tp_a.village (id INT PRIMARY KEY, VillageName VARCHAR(50))",
    "CREATE TABLE tp_b.staff (id INT PRIMARY KEY, FullName VARCHAR(100))",
    "CREATE TABLE tp_b.note (id BIGINT PRIMARY KEY, Remarks TEXT, Payload MEDIUMTEXT,"
    " LastModDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
    "CREATE TABLE tp_b.nopk (Remarks VARCHAR(200))",
]


def _setup(conn):
    with conn.cursor() as cur:
        for db in ("tp_a", "tp_b"):
            cur.execute(f"DROP DATABASE IF EXISTS {db}")
            cur.execute(f"CREATE DATABASE {db}")
        for ddl in DDL:
            cur.execute(ddl)
        cur.executemany("INSERT INTO tp_a.person VALUES (%s, %s, %s, %s)", [(i, 5000000 + i, f"First{chr(97 + i % 26)}x", "Yadav") for i in range(50)])
        cur.execute("INSERT INTO tp_a.person VALUES (99, 7777777, 'Ramesh', 'Kumar')")
        cur.execute("INSERT INTO tp_a.village VALUES (1, 'Rampur')")
        cur.execute("INSERT INTO tp_b.staff VALUES (1, 'Sunita Devi')")
        rows = [(i, f"Patient RAMESH kumar from Rampur, call 98765.43210, informed Sunita Devi (note {i})",
                 json.dumps({"beneficiaryRegID": 7777777, "firstName": "Ramesh", "remarks": "ramesh yadav seen"}), "2020-01-01 00:00:00")
                for i in range(1, 26)]
        rows.append((26, "No complaints", "not json, Ramesh 7777777", "2020-01-01 00:00:00"))
        cur.executemany("INSERT INTO tp_b.note VALUES (%s, %s, %s, %s)", rows)
        cur.executemany("INSERT INTO tp_b.nopk VALUES (%s)", [("Ramesh Kumar came",)] * 3 + [("Fever",), (None,)]
                        + [(f"seen Kumar on visit {i}",) for i in range(9)])  # 11 distinct values: 3 pages of 4


def _resolutions(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT table_schema, table_name, column_name, column_type, is_nullable, column_key FROM information_schema.columns"
                    " WHERE table_schema IN ('tp_a', 'tp_b')")
        cols = [Column(d, t, c, ty, n == "YES", key=k) for d, t, c, ty, n, k in cur.fetchall()]
    return check_coverage(parse_catalog(CATALOG), cols).resolved


def test_every_known_name_and_id_leaves_free_text_and_json_in_small_batches(conn):
    _setup(conn)
    res = _resolutions(conn)
    build_maps(conn, KEY, {"benregid": [MapColumn("tp_a", "person", "BenRegID", False)], "beneficiary_id": []}, {})
    counts = build_name_dictionary(conn, res, batch=7)  # several batches of distinct values
    assert counts["name_columns"] == 3 and counts["place_tokens"] == 1
    d = load_dictionary(conn)
    assert {"ramesh", "kumar", "yadav", "sunita", "devi", "firstax"} <= d.names and "rampur" in d.keep
    stats = scrub_database(conn, "tp_b", res, KEY, {"note": ["LastModDate"]}, batch=4)
    assert stats["text_rows_read"] == 26 + 11 and stats["json_invalid"] == 1
    with conn.cursor() as cur:
        cur.execute("SELECT new_id FROM amrit_anon.id_map WHERE kind = 'benregid' AND old_id = 7777777")
        (new_id,) = cur.fetchone()
        cur.execute("SELECT id, Remarks, Payload, LastModDate FROM tp_b.note ORDER BY id")
        rows = cur.fetchall()
        cur.execute("SELECT Remarks FROM tp_b.nopk ORDER BY Remarks")
        nopk = [r[0] for r in cur.fetchall()]
    for i, remarks, payload, ts in rows[:-1]:
        assert remarks == f"Patient [name] from Rampur, call [phone], informed [name] (note {i})"
        doc = json.loads(payload)
        assert list(doc) == ["beneficiaryRegID", "firstName", "remarks"]
        assert doc["beneficiaryRegID"] == new_id and doc["firstName"] not in ("Ramesh", "[name]") and doc["remarks"] == "[name] seen"
        assert str(ts) == "2020-01-01 00:00:00"
    assert rows[-1][1:3] == ("No complaints", "not json, [name] [id]")
    assert sorted(nopk, key=str) == ["Fever", None, "[name] came", "[name] came", "[name] came", *(f"seen [name] on visit {i}" for i in range(9))]
