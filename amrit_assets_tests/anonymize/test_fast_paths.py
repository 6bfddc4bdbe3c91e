"""The cheap forms of the compiled SQL give exactly what the plain forms give (on a real server).

The anonymizer is held to the speed of a bare UPDATE (``amrit_assets.bench``), so three strategies
compile to SQL that is faster than the obvious formulation: free-text scrubbing skips patterns that
cannot match and replaces names in a binary collation; pool picks slice a packed string instead of a
correlated lookup; ids in a unique index are parked only when their new id is taken. Each test runs
the obvious formulation next to the compiled one and requires the same result.
"""

from __future__ import annotations

import pytest

from amrit_assets.anonymize.compile import plan_table
from amrit_assets.common.keys import derive, set_session_keys
from amrit_assets.anonymize.maps import MapColumn, build_maps, permute_id
from amrit_assets.anonymize.pools import build_pools
from amrit_assets.anonymize.strategies import _SCRUB_PATTERNS, ID_PARK_OFFSET, hash_int, scrub_expr
from amrit_assets.common.kinds import WORK_DB
from amrit_assets.catalog.model import Column, parse_catalog
from amrit_assets.resources.mysql import connect

pytestmark = pytest.mark.integration
KEY = b"K" * 32


def plain_scrub(value: str, name_columns: list[str]) -> str:
    """Every pattern on every value, then every name variant guarded by its length: the reference."""
    expr = value
    for pattern, placeholder in _SCRUB_PATTERNS:
        expr = f"REGEXP_REPLACE({expr}, '{pattern}', '{placeholder}')"
    for col in name_columns:
        n = f"IF(CHAR_LENGTH(TRIM(`{col}`)) >= 3, TRIM(`{col}`), '')"
        for variant in (n, f"UPPER({n})", f"LOWER({n})"):
            expr = f"REPLACE({expr}, {variant}, '[name]')"
    return expr


TEXTS = [
    "Ramesh called from 9876543210, mail ramesh@gmail.com, Aadhaar 2345 6789 0124",
    "RAMESH KUMAR visited; ramesh kumar again; rAmEsh mixed",
    "ABHA 91-1234-5678-9012 of Abha, born 1990-05-01 or 01/05/1990, ref 123456789012345",
    "no digits and no at sign, only Sita and SITA and sita",
    "+91 9876543210 and +91-9123456789 and 0091 8123456789",
    "emails: a.b-c@x.co.in, x@y (not one), @@, trailing@",
    '{"beneficiaryRegID":100001,"firstName":"Noah","lastName":"Mannan","phoneNo":"9566838387","dob":"1954-06-24"}',
    "Om and Al are short; K.Suresh (dot) and O'Brien and [name] and 1234 only",
    "नाम राम कुमार 9876543210 राम",
    "digits 123 45 6789 split, 12345678 eight, 2024-1-5 odd",
    "Aadhaar 2345 6789 0124 alone",
    "abha 91-1234-5678-9012 alone",
    "dob 01/05/1990 alone; 1990-05-01 too",
    "",
    None,
]
NAMES = [
    ("Ramesh", "Kumar", "asha01"),
    ("K.Suresh", None, "O'Brien"),
    ("Om", "  Al ", ""),
    ("Abha", "Sita", "doc.7"),
    ("राम", "कुमार", None),
    (None, None, None),
]


@pytest.fixture(scope="module")
def conn(server):
    c = connect(server)
    with c.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS fastpaths")
        cur.execute("CREATE DATABASE fastpaths")
    yield c
    with c.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS fastpaths")
    c.close()


def test_scrub_equals_the_plain_chain(conn):
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE fastpaths.notes (id INT PRIMARY KEY, body TEXT, short_note VARCHAR(200) CHARACTER SET utf8mb3,"
            " first_name VARCHAR(50) CHARACTER SET utf8mb3, last_name VARCHAR(50), user_name VARCHAR(50) COLLATE utf8mb4_bin)"
        )
        rows = [(i * 10 + j, text, text, *names) for i, text in enumerate(TEXTS) for j, names in enumerate(NAMES)]
        cur.executemany("INSERT INTO fastpaths.notes VALUES (%s, %s, %s, %s, %s, %s)", rows)
        names = ["first_name", "last_name", "user_name"]
        for col in ("body", "short_note"):
            cur.execute(f"SELECT id, {scrub_expr(col, names)}, {plain_scrub(col, names)} FROM fastpaths.notes ORDER BY id")
            out = cur.fetchall()
            assert len(out) == len(rows)
            for rid, fast, plain in out:
                assert fast == plain, (col, rid, fast, plain)
        cur.execute(f"SELECT {scrub_expr('body', names)} FROM fastpaths.notes WHERE id = 0")
        (scrubbed,) = cur.fetchone()
        assert "Ramesh" not in scrubbed and "9876543210" not in scrubbed and "[email]" in scrubbed


POOL_CATALOG = """
fastpaths.people.first    name(part=first)
fastpaths.people.last     name(part=last)
fastpaths.people.full     name(part=full)
fastpaths.people.street   address
fastpaths.people.*        keep
"""


POOL_KEY = b"I" * 32  # a key under which, in every pool, some value is picked for itself (the alt case)


def test_pool_pick_equals_the_lookup_and_never_the_original(conn):
    build_pools(conn)
    build_maps(conn, POOL_KEY, {}, {})
    with conn.cursor() as cur:
        set_session_keys(cur, POOL_KEY)
        cur.execute("CREATE TABLE fastpaths.people (id INT PRIMARY KEY, first VARCHAR(30), last VARCHAR(50) CHARACTER SET utf8mb3,"
                    " full VARCHAR(100), street VARCHAR(255))")
        # Every pool value as it is, in capitals and padded: each would be picked for itself sometimes.
        rows = []
        for pool, col in (("first_name", "first"), ("last_name", "last"), ("full_name", "full"), ("street", "street")):
            cur.execute(f"SELECT v FROM {WORK_DB}.pool_{pool} ORDER BY i")
            for (v,) in cur.fetchall():
                for form in (v, v.upper(), f"  {v.lower()} "):
                    rows.append({col: form})
        rows += [{"first": None, "last": "", "full": "x", "street": "   "}]
        cur.executemany("INSERT INTO fastpaths.people VALUES (%s, %s, %s, %s, %s)",
                        [(i, r.get("first"), r.get("last"), r.get("full"), r.get("street")) for i, r in enumerate(rows)])
        cur.execute("CREATE TABLE fastpaths.people_orig AS SELECT * FROM fastpaths.people")
        cur.execute("SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns"
                    " WHERE table_schema = 'fastpaths' AND table_name = 'people' ORDER BY ordinal_position")
        columns = [Column("fastpaths", t, c, ty, n == "YES") for t, c, ty, n in cur.fetchall()]
        catalog = parse_catalog(POOL_CATALOG)
        plan = plan_table("fastpaths", "people", [catalog.resolve(c) for c in columns])
        for statement in plan.statements:
            cur.execute(statement)
        checked = 0
        for col, pool, purpose in (("first", "first_name", "name"), ("last", "last_name", "name"),
                                   ("full", "full_name", "name"), ("street", "street", "addr")):
            norm = f"LOWER(TRIM(o.`{col}`))"
            lookup = (f"(SELECT IF(LOWER(p.v) = {norm}, p.alt, p.v) FROM {WORK_DB}.pool_{pool} p"
                      f" WHERE p.i = MOD({hash_int(purpose, norm)}, (SELECT n FROM {WORK_DB}.pool_size WHERE pool = '{pool}')))")
            cur.execute(f"SELECT o.`{col}`, a.`{col}`, LEFT({lookup}, CHARACTER_MAXIMUM_LENGTH) FROM fastpaths.people_orig o"
                        f" JOIN fastpaths.people a ON a.id = o.id JOIN information_schema.columns c ON c.table_schema = 'fastpaths'"
                        f" AND c.table_name = 'people' AND c.column_name = '{col}' WHERE o.`{col}` IS NOT NULL AND o.`{col}` <> ''")
            rows_out = cur.fetchall()
            for orig, new, expected in rows_out:
                assert new == expected, (col, orig, new, expected)
                assert new.strip().lower() != orig.strip().lower(), (col, orig)
                checked += 1
            cur.execute(f"SELECT COUNT(*) FROM fastpaths.people_orig o WHERE {lookup.replace('IF(LOWER(p.v) = ' + norm + ', p.alt, p.v)', 'LOWER(p.v) = ' + norm)}")
            assert cur.fetchone()[0] >= 3, f"{col}: no value picked itself in all three forms; the alt case is untested"
        assert checked > 4000
        cur.execute("SELECT first, last FROM fastpaths.people WHERE id = %s", (len(rows) - 1,))
        assert cur.fetchone() == (None, "")


def test_unique_ids_are_permuted_in_place_parking_only_taken_ids(conn):
    with conn.cursor() as cur:
        # Two-digit ids: the permutation maps 10..99 onto itself, so every new id is taken (all parked);
        # three-digit ids: most new ids are free (written directly).
        cur.execute("CREATE TABLE fastpaths.reg (id INT PRIMARY KEY, BenRegID BIGINT, RegText VARCHAR(20),"
                    " LastMod TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
                    " UNIQUE KEY u1 (BenRegID), UNIQUE KEY u2 (RegText))")
        ids = list(range(10, 100)) + list(range(100, 160))
        cur.executemany("INSERT INTO fastpaths.reg VALUES (%s, %s, %s, '2020-01-01 00:00:00')", [(i, i, str(i)) for i in ids])
        cur.execute("INSERT INTO fastpaths.reg VALUES (1000, -5, 'n/a', '2020-01-01 00:00:00'), (1001, NULL, NULL, '2020-01-01 00:00:00')")
    build_maps(conn, KEY, {"benregid": [MapColumn("fastpaths", "reg", "BenRegID", False), MapColumn("fastpaths", "reg", "RegText", True)]}, {})
    kkey = derive(KEY, "id/benregid")
    expected = {i: permute_id(i, kkey, "benregid") for i in ids}
    with conn.cursor() as cur:
        cur.execute(f"SELECT old_id, new_id, park FROM {WORK_DB}.id_map WHERE kind = 'benregid'")
        flags = {old: (new, park) for old, new, park in cur.fetchall()}
        assert {old: new for old, (new, _) in flags.items()} == expected
        assert all(flags[old][1] == int(expected[old] in expected) for old in ids)
        assert all(flags[old][1] for old in range(10, 100)) and not all(flags[old][1] for old in range(100, 160))
        set_session_keys(cur, KEY)
        cur.execute("SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns"
                    " WHERE table_schema = 'fastpaths' AND table_name = 'reg' ORDER BY ordinal_position")
        columns = [Column("fastpaths", t, c, ty, n == "YES") for t, c, ty, n in cur.fetchall()]
        catalog = parse_catalog("fastpaths.reg.BenRegID benregid\nfastpaths.reg.RegText benregid\nfastpaths.reg.* keep\n")
        plan = plan_table("fastpaths", "reg", [catalog.resolve(c) for c in columns], ["LastMod"], ["id", "BenRegID", "RegText"])
        assert len(plan.statements) == 3  # the UPDATE, then one move-down per unique id column
        for statement in plan.statements:
            cur.execute(statement)
        cur.execute("SELECT id, BenRegID, RegText, CAST(LastMod AS CHAR) FROM fastpaths.reg ORDER BY id")
        out = {r[0]: r[1:] for r in cur.fetchall()}
    for i in ids:
        assert out[i] == (expected[i], str(expected[i]), "2020-01-01 00:00:00"), i
    assert out[1000] == (-5, "n/a", "2020-01-01 00:00:00") and out[1001] == (None, None, "2020-01-01 00:00:00")
    assert all(v[0] is None or v[0] < ID_PARK_OFFSET for v in out.values())
