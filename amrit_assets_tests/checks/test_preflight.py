"""Preflight on real servers: every problem a DBA can hit is named with its fix, and nothing is changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from amrit_assets.checks.preflight import SOURCE_PRIVILEGES, check_disk, check_source, check_target, granted, render, run_preflight
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.settings import RefreshSettings
from amrit_assets_tests.conftest import TEST_KEY


@pytest.fixture(scope="module")
def servers():
    with EmbeddedServer("pf-src") as src, EmbeddedServer("pf-ws") as ws, EmbeddedServer("pf-uat") as uat:
        conn = connect(src.address)
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE db_identity")
            cur.execute("CREATE TABLE db_identity.t (id INT PRIMARY KEY)")
            cur.execute("CREATE USER 'reader'@'%' IDENTIFIED BY 'pw-reader-1'")
            cur.execute("GRANT SELECT, SHOW VIEW ON db_identity.* TO 'reader'@'%'")
        conn.close()
        yield {"source": src.address, "workspace": ws.address, "uat": uat.address}


def _settings(tmp_path: Path, key: str = TEST_KEY) -> RefreshSettings:
    return RefreshSettings(data_dir=str(tmp_path), anon_key=key)


def test_grants_are_read_per_database_and_all_privileges_covers_everything():
    lines = ["GRANT USAGE ON *.* TO `u`@`%`", "GRANT SELECT, SHOW VIEW ON `db_iemr`.* TO `u`@`%`", "GRANT EVENT ON `db_x`.* TO `u`@`%`"]
    assert granted(lines, "db_iemr") & set(SOURCE_PRIVILEGES) == {"SELECT", "SHOW VIEW"}
    assert granted(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"], "db_iemr") >= {"SELECT", "SHOW VIEW", "TRIGGER", "EVENT"}


def test_a_healthy_setup_passes_every_finding(servers, tmp_path):
    findings = run_preflight(servers, _settings(tmp_path), ["db_identity"])
    assert all(f.ok for f in findings), render(findings)
    names = {f.check for f in findings}
    assert {"source: connect", "source: db_identity", "source: read-only session", "workspace: privileges", "uat: privileges",
            "dump client", "restore client", "disk", "anonymization key", "targets are not production"} <= names
    assert TEST_KEY not in render(findings)


def test_gates_probing_one_target_at_the_same_time_all_pass(servers):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: check_target("workspace", servers["workspace"]), range(4)))
    for findings in results:
        [privileges] = [f for f in findings if f.check == "workspace: privileges"]
        assert privileges.ok, privileges.detail


def test_wrong_password_missing_database_and_missing_privileges_are_named(servers):
    src = servers["source"]
    wrong = ServerAddress(src.host, src.port, "reader", "not-the-password")
    (f,) = check_source(wrong, ["db_identity"])
    assert not f.ok and "access denied for user 'reader'" in f.detail and "not-the-password" not in f.detail
    reader = ServerAddress(src.host, src.port, "reader", "pw-reader-1")
    found = {f.check: f for f in check_source(reader, ["db_identity", "db_iemr"])}
    assert not found["source: db_identity"].ok and "missing privileges TRIGGER, EVENT: GRANT TRIGGER, EVENT ON `db_identity`.*" in found["source: db_identity"].detail
    assert not found["source: db_iemr"].ok and "does not exist" in found["source: db_iemr"].detail
    assert found["source: read-only session"].ok


def test_an_unreachable_server_and_a_read_only_target_are_named(servers):
    (f,) = check_target("uat", ServerAddress("127.0.0.1", 1, "root"))
    assert not f.ok and "cannot reach the MySQL server at 127.0.0.1:1" in f.detail
    conn = connect(servers["uat"])
    with conn.cursor() as cur:
        cur.execute("SET GLOBAL read_only = 1")
    try:
        # read_only does not bind a user with SUPER; the check must still say so
        findings = check_target("uat", servers["uat"])
        assert [f.detail for f in findings if not f.ok] == ["the server is read_only (a replica?): point the role at a writable server"]
    finally:
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL read_only = 0")
        conn.close()


def test_a_target_without_privileges_lists_what_it_cannot_do(servers):
    conn = connect(servers["workspace"])
    with conn.cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS 'weak'@'%' IDENTIFIED BY 'pw-weak-1'")
        cur.execute("GRANT SELECT ON *.* TO 'weak'@'%'")
    conn.close()
    ws = servers["workspace"]
    findings = check_target("workspace", ServerAddress(ws.host, ws.port, "weak", "pw-weak-1"))
    bad = [f for f in findings if not f.ok]
    assert len(bad) == 1 and "missing privileges for DROP DATABASE (1044), CREATE DATABASE (1044)" in bad[0].detail and "grant them to the workspace user" in bad[0].detail


def test_missing_key_not_enough_disk_and_source_as_target_fail(servers, tmp_path):
    same = dict(servers, uat=servers["source"])
    findings = {f.check: f for f in run_preflight(same, _settings(tmp_path, key=""), ["db_identity"])}
    assert not findings["anonymization key"].ok and "set AMRIT_ANON_KEY" in findings["anonymization key"].detail
    assert not findings["targets are not production"].ok and "is the source server" in findings["targets are not production"].detail
    disk = check_disk(tmp_path, 10**15)
    assert not disk.ok and "AMRIT_DATA_DIR" in disk.detail


def test_a_workspace_whose_event_scheduler_runs_is_refused(servers):
    conn = connect(servers["workspace"])
    with conn.cursor() as cur:
        cur.execute("SET GLOBAL event_scheduler = ON")
    try:
        bad = [f for f in check_target("workspace", servers["workspace"]) if not f.ok]
        assert [f.check for f in bad] == ["workspace: event scheduler"] and "SET GLOBAL event_scheduler = OFF" in bad[0].detail
    finally:
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL event_scheduler = OFF")
        conn.close()


# --- a target that is the source is refused before anything is written to it ------------------------------

_READS = ("SELECT", "SHOW", "SET SESSION TRANSACTION READ ONLY", "SET NAMES", "SET AUTOCOMMIT", "SET @@SESSION.AUTOCOMMIT")


def statements_received(src: ServerAddress, action) -> list[str]:
    """Every statement the source received from others while ``action`` ran (its general log, as a table)."""
    conn = connect(src)
    with conn.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID()")
        me = cur.fetchone()[0]
        cur.execute("SET GLOBAL log_output = 'TABLE'")
        cur.execute("TRUNCATE mysql.general_log")
        cur.execute("SET GLOBAL general_log = 1")
    try:
        action()
    finally:
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL general_log = 0")
            cur.execute("SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE command_type = 'Query' AND thread_id <> %s", (me,))
            received = [r[0] for r in cur.fetchall()]
        conn.close()
    return received


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.lstrip().upper().startswith(_READS)]


@pytest.mark.parametrize(
    "role, how",
    [("uat", "socket"), ("uat", "tcp"), ("uat", "localhost"), ("workspace", "socket"), ("workspace", "tcp"), ("workspace", "localhost")],
)
def test_a_target_that_is_the_source_is_refused_without_one_write_to_the_source(servers, tmp_path, role, how):
    src = servers["source"]
    alias = {
        "socket": ServerAddress("", 0, src.user, src.password, src.unix_socket),
        "tcp": ServerAddress("127.0.0.1", src.port, src.user, src.password),
        "localhost": ServerAddress("localhost", src.port, src.user, src.password),
    }[how]
    config = dict(servers, **{role: alias})
    found: list = []
    received = statements_received(src, lambda: found.extend(run_preflight(config, _settings(tmp_path), ["db_identity"])))
    assert received and writes(received) == [], writes(received)  # the log worked, and held only reads
    by = {f.check: f for f in found}
    assert not by["targets are not production"].ok and f"the {role} server" in by["targets are not production"].detail
    assert "is the source server" in by["targets are not production"].detail
    assert not by[f"{role}: privileges"].ok and by[f"{role}: privileges"].detail.startswith("not probed")
    conn = connect(src)
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'amrit%'")
        assert cur.fetchall() == ()
    conn.close()


def test_a_healthy_preflight_sends_the_source_reads_only(servers, tmp_path):
    found: list = []
    received = statements_received(servers["source"], lambda: found.extend(run_preflight(servers, _settings(tmp_path), ["db_identity"])))
    assert all(f.ok for f in found), render(found)
    assert received and writes(received) == []
