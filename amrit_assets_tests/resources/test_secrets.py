"""Passwords and the key never reach process arguments or dump files (real clients, real server)."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from amrit_assets.resources.dumps import dump_database, restore_database
from amrit_assets.resources.mysql import ServerAddress, connect

PASSWORD = "pw-" + secrets.token_hex(8)  # made up per run for a throwaway server: a fixture, not a secret


@pytest.fixture
def argv_log(monkeypatch):
    """Record the argv of every process started (the real process still runs)."""
    seen: list[list[str]] = []
    real_init = subprocess.Popen.__init__

    def recording_init(self, args, *a, **kw):
        seen.append([str(x) for x in (args if isinstance(args, (list, tuple)) else [args])])
        real_init(self, args, *a, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording_init)
    return seen


def test_dump_and_restore_never_put_the_password_in_argv_or_files(server, tmp_path, argv_log, monkeypatch):
    key = "k" * 40
    monkeypatch.setenv("AMRIT_ANON_KEY", key)
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS fx_secret")
        cur.execute("CREATE DATABASE fx_secret")
        cur.execute("CREATE TABLE fx_secret.t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO fx_secret.t VALUES (1)")
        cur.execute("CREATE USER IF NOT EXISTS 'dumper'@'127.0.0.1' IDENTIFIED BY %s", (PASSWORD,))
        cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'dumper'@'127.0.0.1'")
    conn.close()
    addr = ServerAddress("127.0.0.1", server.port, "dumper", PASSWORD)
    dumped = dump_database(addr, "fx_secret", tmp_path / "fx_secret.sql")
    restore_database(addr, "fx_secret_copy", dumped.path)
    assert any("dump" in " ".join(a) for a in argv_log) and any(a and a[0].endswith(("mysql", "mariadb")) for a in argv_log)
    for args in argv_log:
        assert not any(PASSWORD in x or key in x for x in args), args
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert PASSWORD.encode() not in data and key.encode() not in data, f
    assert not list(tmp_path.glob("*.cnf")) and not list(tmp_path.glob("amrit-client-*"))


def test_server_errors_never_carry_a_data_value(server):
    """'Duplicate entry <phone>' from the server reaches logs masked, with its error code intact."""
    import pymysql

    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS fx_mask")
        cur.execute("CREATE DATABASE fx_mask")
        cur.execute("CREATE TABLE fx_mask.t (phone VARCHAR(10) PRIMARY KEY, n INT)")
        cur.execute("INSERT INTO fx_mask.t VALUES ('9876543210', 1)")
        with pytest.raises(pymysql.err.IntegrityError) as dup:
            cur.execute("INSERT INTO fx_mask.t VALUES ('9876543210', 2)")
        with pytest.raises(pymysql.err.ProgrammingError) as syntax:
            cur.execute("INSERT INTO fx_mask.t VALUES ('9876543210' 'Ramesh Kumar', 3")
    conn.close()
    for err in (dup.value, syntax.value):
        assert "9876543210" not in str(err) and "Ramesh" not in str(err)
        assert err.__context__ is None or err.__suppress_context__
    assert dup.value.args[0] == 1062 and "Duplicate entry '…' for key" in str(dup.value)
