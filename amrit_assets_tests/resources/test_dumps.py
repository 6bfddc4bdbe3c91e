import pytest

from amrit_assets.resources.dumps import DumpError, dump_database, restore_database
from amrit_assets.resources.mysql import ServerConnectionError, ServerAddress, connect


def _make(conn, db: str, rows: int) -> None:
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {db}")
        cur.execute(f"CREATE DATABASE {db}")
        cur.execute(f"CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(10))")
        cur.executemany(f"INSERT INTO {db}.t VALUES (%s, %s)", [(i, f"v{i}") for i in range(rows)])
        cur.execute(f"CREATE VIEW {db}.vt AS SELECT id FROM {db}.t")


def test_dump_and_restore_round_trip(server, conn, tmp_path):
    _make(conn, "src1", 50)
    result = dump_database(server, "src1", tmp_path / "src1.sql")
    assert result.bytes > 0 and len(result.sha256) == 64
    restore_database(server, "dst1", result.path)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM dst1.t")
        assert cur.fetchone()[0] == 50
        cur.execute("SELECT COUNT(*) FROM dst1.vt")
        assert cur.fetchone()[0] == 50


def test_truncated_dump_is_refused_and_target_untouched(server, conn, tmp_path):
    _make(conn, "src2", 20)
    path = dump_database(server, "src2", tmp_path / "src2.sql").path
    _make(conn, "keepme", 7)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DumpError, match="truncated or corrupt"):
        restore_database(server, "keepme", path)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM keepme.t")
        assert cur.fetchone()[0] == 7


def test_missing_dump_and_wrong_password_give_clear_errors(server, tmp_path):
    with pytest.raises(DumpError, match="does not exist"):
        restore_database(server, "x", tmp_path / "nope.sql")
    with connect(server).cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS 'tester'@'127.0.0.1' IDENTIFIED BY 'right-password'")
    with pytest.raises(ServerConnectionError, match="access denied for user 'tester'"):
        connect(ServerAddress(server.host, server.port, "tester", "wrong-password"))
    with pytest.raises(ServerConnectionError, match="cannot reach"):
        connect(ServerAddress("127.0.0.1", 1, "root", ""))
