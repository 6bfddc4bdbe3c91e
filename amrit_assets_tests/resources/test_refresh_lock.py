"""One refresh at a time, between real processes: a second `amrit-anon refresh` names the holder and exits 2,
and a killed holder frees the lock (the server drops it with the session)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.refresh_lock import RefreshLocked, refresh_lock
from amrit_assets_tests.conftest import TEST_KEY, checksum

VENV_BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def servers():
    with EmbeddedServer("lk-src") as src, EmbeddedServer("lk-ws") as ws, EmbeddedServer("lk-uat") as uat:
        for addr in (src.address, uat.address):
            conn = connect(addr)
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE db_identity")
                cur.execute("CREATE TABLE db_identity.t (id INT PRIMARY KEY)")
                cur.execute("INSERT INTO db_identity.t VALUES (1), (2)")
            conn.close()
        yield {"source": src.address, "workspace": ws.address, "uat": uat.address}


def _holder(servers) -> subprocess.Popen:
    """Another process holding the refresh lock, as a running refresh does, until it is killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from amrit_assets.resources.mysql import ServerAddress
        from amrit_assets.resources.refresh_lock import refresh_lock
        ws, uat = ServerAddress(*{tuple(servers["workspace"].__dict__.values())!r}), ServerAddress(*{tuple(servers["uat"].__dict__.values())!r})
        with refresh_lock({{"workspace": ws, "uat": uat}}, "amrit-anon refresh 0123abcd"):
            print("held", flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _refresh(servers, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMRIT_ANON_KEY": TEST_KEY, "DAGSTER_HOME": str(tmp_path), "AMRIT_DATA_DIR": str(tmp_path / "data")}
    for role, addr in servers.items():
        env.update(addr.env(role))
    return subprocess.run([os.path.join(VENV_BIN, "amrit-anon"), "refresh", "--databases", "db_identity"], env=env, capture_output=True, text=True, timeout=120)


def test_a_second_refresh_names_the_holder_and_exits_2(servers, tmp_path):
    holder = _holder(servers)
    before = checksum(servers["uat"], "db_identity"), checksum(servers["source"], "db_identity")
    try:
        second = _refresh(servers, tmp_path)
        assert second.returncode == 2, second.stderr
        assert "amrit-anon refresh: refused: another refresh is running" in second.stderr
        assert f"host {socket.gethostname()}, pid {holder.pid}, run amrit-anon refresh 0123abcd, since " in second.stderr
        assert "nothing was changed" in second.stderr and TEST_KEY not in second.stderr + second.stdout
        assert (checksum(servers["uat"], "db_identity"), checksum(servers["source"], "db_identity")) == before
        assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("*.sql*"))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with refresh_lock({"workspace": servers["workspace"], "uat": servers["uat"]}, "after the kill"):  # the server freed it
        with pytest.raises(RefreshLocked, match="run after the kill"):
            with refresh_lock({"uat": servers["uat"]}, "a third one"):
                pass
