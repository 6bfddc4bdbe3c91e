import os
from pathlib import Path

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import connect


def test_server_answers_and_is_removed_after_use():
    with EmbeddedServer("t1") as srv:
        root = Path(srv.datadir).parent
        conn = connect(srv.address)
        with conn.cursor() as cur:
            cur.execute("SELECT @@lower_case_table_names")
            assert cur.fetchone()[0] == 1
        conn.close()
        pid = srv._proc.pid
    assert not root.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_server_stops_and_is_removed_when_the_code_using_it_fails():
    with pytest.raises(RuntimeError, match="boom"):
        with EmbeddedServer("t2") as srv:
            root, pid = Path(srv.datadir).parent, srv._proc.pid
            raise RuntimeError("boom")
    assert not root.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_servers_live_where_amrit_embedded_dir_says(tmp_path, monkeypatch):
    from amrit_assets.resources.embedded import EmbeddedServer, embedded_dir

    where = tmp_path / "not" / "yet"  # a directory that does not exist yet is made
    monkeypatch.setenv("AMRIT_EMBEDDED_DIR", str(where))
    assert EmbeddedServer("x").base_dir == str(where)
    with EmbeddedServer("x") as srv:
        assert Path(srv.datadir).is_relative_to(where)
    assert where.is_dir() and not any(where.iterdir())
    elsewhere = tmp_path / "bench" / "scratch"  # `bench refresh` keeps its dumps there too: made, not a traceback
    monkeypatch.setenv("AMRIT_EMBEDDED_DIR", str(elsewhere))
    assert embedded_dir() == str(elsewhere) and elsewhere.is_dir()
