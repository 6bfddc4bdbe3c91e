"""Restoring a dump's tables on several clients at once (real mysqldump, real clients, real server):
the same database as one client makes, and no weaker a filter."""

from __future__ import annotations

import pytest

from amrit_assets.resources.dumps import DumpError, dump_database, restore_dump
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.sections import restore_in_parallel, sections
from amrit_assets_tests.conftest import TEST_KEY

pytestmark = pytest.mark.integration

KEY = TEST_KEY.encode()


def test_every_line_belongs_to_the_header_a_table_or_what_follows_the_tables():
    dump = [b"-- MariaDB dump\n", b"/*!40101 SET NAMES utf8mb4 */;\n", b"--\n", b"-- Table structure for table `a`\n", b"CREATE TABLE a (x int);\n",
            b"-- Temporary table structure for view `v`\n", b"CREATE TABLE v (x int);\n", b"-- Table structure for table `b`\n",
            b"-- Dumping data for table `b`\n", b"-- Dumping routines for database 'd'\n", b"-- Final view structure for view `v`\n"]
    got = [(line.section, line.table, line.number) for line in sections(dump)]
    assert got == [(0, False, 1), (0, False, 2), (0, False, 3), (1, True, 4), (1, True, 5), (2, False, 6), (2, False, 7),
                   (3, True, 8), (3, True, 9), (4, False, 10), (5, False, 11)]


def _build(conn, db: str) -> None:
    """Tables that name each other by foreign key (a child created while its parent is being loaded
    made MariaDB refuse the parent's locked INSERTs), a trigger, a view, a procedure and an event."""
    with conn.cursor() as cur:
        for stmt in (
            f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}", f"USE {db}",
            "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(40))",
            "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, note TEXT, FOREIGN KEY (parent_id) REFERENCES parent (id))",
            "CREATE TABLE audit (n INT)",
            "CREATE TABLE zlast (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE)",
            "INSERT INTO audit VALUES (0)",
            # bodies holding a line that reads like a section marker: the body's own comment, not a boundary
            "CREATE TRIGGER trg_child AFTER INSERT ON child FOR EACH ROW BEGIN\n-- Table structure for table `fake`\nUPDATE audit SET n = n + 1;\nEND",
            "CREATE VIEW v_child AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.parent_id",
            "CREATE PROCEDURE p_count() BEGIN\n-- Dumping routines for database 'fake'\nSELECT COUNT(*) FROM child;\nEND",
            "CREATE EVENT e_nightly ON SCHEDULE EVERY 1 DAY DO UPDATE audit SET n = n",
        ):
            cur.execute(stmt)
        cur.executemany(f"INSERT INTO {db}.parent VALUES (%s, %s)", [(i, f"p{i}") for i in range(300)])
        cur.executemany(f"INSERT INTO {db}.child VALUES (%s, %s, %s)", [(i, i % 300, "x" * (i % 50)) for i in range(3000)])
        cur.executemany(f"INSERT INTO {db}.zlast VALUES (%s, %s)", [(i, i % 300) for i in range(500)])
        for i in range(12):  # enough tables for every client to take several
            cur.execute(f"CREATE TABLE {db}.filler{i} (id INT PRIMARY KEY, v VARCHAR(20))")
            cur.executemany(f"INSERT INTO {db}.filler{i} VALUES (%s, %s)", [(j, f"{i}-{j}") for j in range(200)])


def _shape(conn, db: str) -> dict:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (db,))
        tables = cur.fetchall()
        sums = {}
        for name, kind in tables:
            if kind == "BASE TABLE":
                cur.execute(f"CHECKSUM TABLE {db}.`{name}`")
                sums[name] = cur.fetchone()[1]
        cur.execute("SELECT trigger_name, event_object_table FROM information_schema.triggers WHERE trigger_schema = %s", (db,))
        triggers = cur.fetchall()
        cur.execute("SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s", (db,))
        routines = cur.fetchall()
        cur.execute("SELECT event_name, status FROM information_schema.events WHERE event_schema = %s", (db,))
        events = cur.fetchall()
        cur.execute(f"SELECT COUNT(*) FROM {db}.v_child")
        view_rows = cur.fetchone()[0]
    return {"tables": tables, "sums": sums, "triggers": triggers, "routines": routines, "events": events, "view_rows": view_rows}


@pytest.mark.parametrize("key", [KEY, None], ids=["encrypted", "plaintext"])
def test_tables_restored_on_several_clients_make_the_same_database_as_one_client(server, conn, tmp_path, key, monkeypatch):
    from amrit_assets.resources import dumps

    took: list[bool] = []
    monkeypatch.setattr(dumps, "restore_in_parallel", lambda *a, **k: took.append(restore_in_parallel(*a, **k)) or took[-1])
    _build(conn, "sec_src")
    path = dump_database(server, "sec_src", tmp_path / "sec_src.sql", key=key).path
    serial = restore_dump(server, "sec_one", path, key=key, disable_events=True)
    parallel = restore_dump(server, "sec_four", path, key=key, disable_events=True, workers=4)
    assert took == [True]  # the four clients did restore it
    assert _shape(conn, "sec_four") == _shape(conn, "sec_one")
    assert len(_shape(conn, "sec_four")["sums"]) == 16 and _shape(conn, "sec_four")["events"] == (("e_nightly", "DISABLED"),)
    assert (parallel.views_created, parallel.events_enabled) == (serial.views_created, serial.events_enabled) == (["v_child"], {"e_nightly": True})


def _sectioned(*table_sections: bytes, sandbox_marker: bool = True) -> bytes:
    marker = b"/*M!999999\\- enable the sandbox mode */\n" if sandbox_marker else b""  # MariaDB's client obeys it
    head = b"-- MariaDB dump\n" + marker + b"/*!40101 SET NAMES utf8mb4 */;\n"
    body = b"".join(b"--\n-- Table structure for table `t%d`\n--\n" % i + s for i, s in enumerate(table_sections))
    return head + body + b"-- Dump completed on 2026-01-01  0:00:00\n"


def test_a_table_section_ending_inside_a_statement_is_refused_and_nothing_runs(server, conn, tmp_path):
    """Cut at a section boundary, an unfinished INSERT would make the next section's lines part of
    another client's statement, or leave a client reading a command at a statement's start."""
    ran = tmp_path / "ran"
    dump = tmp_path / "cut.sql"
    dump.write_bytes(_sectioned(b"CREATE TABLE t0 (id INT);\nINSERT INTO `t0` VALUES (1),\n",
                                b"system touch %s\nCREATE TABLE t1 (id INT);\n" % str(ran).encode()))
    with pytest.raises(DumpError, match="line 9 holds the end of table section 1 inside an unfinished statement"):
        restore_dump(server, "sec_cut", dump, workers=2)
    assert not ran.exists()
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'sec_cut'")
        assert cur.fetchall() == ()


def test_a_dump_with_statements_before_its_first_table_is_restored_on_one_client(server, conn, tmp_path):
    """The header goes to every client, so it may hold only settings; anything else there and the
    dump is restored serially (once), not once per client."""
    dump = tmp_path / "odd.sql"
    dump.write_bytes(_sectioned(b"CREATE TABLE t0 (id INT);\nINSERT INTO `t0` VALUES (1);\n").replace(
        b"--\n-- Table structure", b"CREATE TABLE early (id INT);\nINSERT INTO early VALUES (7);\n--\n-- Table structure", 1))
    from amrit_assets.resources import dumps

    assert not restore_in_parallel(lambda: iter([dump.read_bytes()]), dumps.DumpFilter(mariadb=True), lambda lines: None, 3)
    restore_dump(server, "sec_odd", dump, workers=3)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM sec_odd.early")
        assert cur.fetchone()[0] == 1


def _without_the_clients_sandbox(monkeypatch) -> None:
    """The filter alone, as on a client too old for --sandbox / --commands=OFF (and a dump without MariaDB's marker)."""
    from amrit_assets.resources import dumps

    monkeypatch.setattr(dumps, "sandbox_options", lambda binary: [])


def test_a_lock_line_carrying_a_quote_is_not_dropped_so_the_client_reads_what_the_filter_read(server, tmp_path, monkeypatch):
    """Table locks are dropped, but only mysqldump's own lines: a lock line that opens a string stays,
    else the filter would read the next line as inside a string and the client as a command."""
    _without_the_clients_sandbox(monkeypatch)
    ran = tmp_path / "ran"
    dump = tmp_path / "lock.sql"
    dump.write_bytes(_sectioned(b"CREATE TABLE t0 (id INT);\nLOCK TABLES `t0` WRITE; '\n\\! touch %s\n';\n" % str(ran).encode(),
                                sandbox_marker=False))
    for workers in (1, 2):
        with pytest.raises(DumpError):
            restore_dump(server, "sec_lock", dump, workers=workers)
        assert not ran.exists()


def test_a_view_in_a_table_section_is_created_as_one_client_would(server, conn, tmp_path):
    dump = tmp_path / "view.sql"
    dump.write_bytes(_sectioned(b"CREATE TABLE t0 (id INT);\n/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50001 VIEW `v0` AS select 1 AS `a` */;\n",
                                b"CREATE TABLE t1 (id INT);\n"))
    assert restore_dump(server, "sec_view", dump, workers=2).views_created == ["v0"]
