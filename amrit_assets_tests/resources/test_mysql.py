"""The clients' option file never has a name (nothing survives a kill -9) and any password works (real users, real clients)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from amrit_assets.resources.dumps import dump_database, restore_dump
from amrit_assets.resources.mysql import MySQLResource, ServerAddress, client_defaults_file, connect
from amrit_assets_tests.conftest import checksum

HARD = ["a#b;c", "back\\slash\\", "q\"uo'te", "sp ace $HOME `x`", "ünï©ødé-ključ", "=[client]\nuser=root"]


def _user(server, name: str, password: str) -> ServerAddress:
    conn = connect(server)
    with conn.cursor() as cur:
        for host in ("%", "localhost"):
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (name, host, password))
            cur.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s", (name, host))
    conn.close()
    return ServerAddress("127.0.0.1", server.port, name, password)


@pytest.mark.parametrize("n, password", list(enumerate(HARD)))
def test_any_password_works_for_dump_and_restore(server, tmp_path, n, password):
    addr = _user(server, f"hard{n}", password)
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS pw_src")
        cur.execute("CREATE TABLE IF NOT EXISTS pw_src.t (id INT PRIMARY KEY, v VARCHAR(9))")
        cur.execute("REPLACE INTO pw_src.t VALUES (1, 'one'), (2, 'two')")
    conn.close()
    source = checksum(server, "pw_src")
    dumped = dump_database(addr, "pw_src", tmp_path / "pw.sql")
    restore_dump(addr, f"pw_copy{n}", dumped.path)
    assert checksum(server, f"pw_copy{n}") == source and checksum(server, "pw_src") == source
    with client_defaults_file(addr) as cnf:  # the client logs in as that user, not as anyone the file could smuggle in
        who = subprocess.run(["mysql", f"--defaults-extra-file={cnf}", "-N", "-e", "SELECT CURRENT_USER()"], capture_output=True, text=True)
    assert who.returncode == 0 and who.stdout.strip().startswith(f"hard{n}@"), who.stderr


def _named_files_holding(secret: bytes) -> list[str]:
    found = []
    for root in {tempfile.gettempdir(), "/tmp", "/dev/shm"}:
        for entry in os.scandir(root):
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_size < 1 << 16 and secret in open(entry.path, "rb").read():
                    found.append(entry.path)
            except OSError:
                continue
    return found


def test_the_option_file_has_no_name_and_goes_with_a_killed_process(server):
    password = "kill-9-" + os.urandom(6).hex()
    addr = _user(server, "killed", password)
    code = textwrap.dedent(f"""
        import subprocess, sys
        from amrit_assets.resources.mysql import ServerAddress, client_defaults_file
        with client_defaults_file(ServerAddress(*{tuple(addr.__dict__.values())!r})) as cnf:
            client = subprocess.Popen(["mysql", "--defaults-extra-file=" + cnf, "-N", "-e", "SELECT CURRENT_USER(), SLEEP(60)"])
            print(cnf, client.pid, flush=True)
            client.wait()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    cnf, client_pid = proc.stdout.readline().split()
    try:
        assert password.encode() in open(cnf, "rb").read()  # readable through the running process only
        assert os.readlink(cnf).endswith("(deleted)") or "#" in os.readlink(cnf)  # a nameless file
        assert _named_files_holding(password.encode()) == []
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        os.kill(int(client_pid), signal.SIGKILL)
    assert not os.path.exists(cnf) and _named_files_holding(password.encode()) == []


def test_get_connection_closes_the_session_also_when_the_block_fails(server):
    resource = MySQLResource(host=server.host, port=server.port, user=server.user, password=server.password, unix_socket=server.unix_socket)
    with connect(server) as probe, probe.cursor() as cur:
        with resource.get_connection() as conn, conn.cursor() as c:
            c.execute("SELECT CONNECTION_ID()")
            first = c.fetchone()[0]
        with pytest.raises(RuntimeError), resource.get_connection() as conn, conn.cursor() as c:
            c.execute("SELECT CONNECTION_ID()")
            second = c.fetchone()[0]
            raise RuntimeError("the block fails")
        for _ in range(50):  # the server drops a closed session within moments
            cur.execute("SELECT COUNT(*) FROM information_schema.processlist WHERE id IN (%s, %s)", (first, second))
            if cur.fetchone()[0] == 0:
                break
            time.sleep(0.1)
        cur.execute("SELECT COUNT(*) FROM information_schema.processlist WHERE id IN (%s, %s)", (first, second))
        assert cur.fetchone()[0] == 0, "a connection was left open"
