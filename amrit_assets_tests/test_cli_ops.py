"""`amrit-anon preflight` and `amrit-anon uat status|rollback` as an operator runs them (real servers)."""

from __future__ import annotations

import pytest

from amrit_assets.cli import main
from amrit_assets.demo.environment import demo_environment, patched_environ
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.dumps import dump_database, restore_dump
from amrit_assets.resources.mysql import connect
from amrit_assets_tests.conftest import TEST_KEY, prepare_and_swap


def test_preflight_passes_on_the_embedded_default_and_names_a_uat_that_is_the_source(tmp_path, capsys):
    with demo_environment(beneficiaries=5, data_dir=tmp_path) as demo, patched_environ({"AMRIT_ANON_KEY": TEST_KEY}):
        assert main(["preflight"]) == 0
        out = capsys.readouterr().out
        assert "preflight: all" in out and "FAIL" not in out and TEST_KEY not in out
        with patched_environ(demo.servers["source"].env("uat")):
            assert main(["preflight", "--databases", "db_iemr"]) == 1
        out = capsys.readouterr().out
        assert "FAIL  targets are not production" in out and "is the source server" in out


def _state(server, db: str, n: int, tag: str, tmp_path) -> None:
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS src_{tag}")
        cur.execute(f"CREATE DATABASE src_{tag}")
        cur.execute(f"CREATE TABLE src_{tag}.t (id INT PRIMARY KEY)")
        cur.executemany(f"INSERT INTO src_{tag}.t VALUES (%s)", [(i,) for i in range(n)])
    conn.close()
    path = dump_database(server, f"src_{tag}", tmp_path / f"{tag}.sql").path
    prepare_and_swap(server, db, path, {"t": n}, restore_dump)


def test_uat_status_and_rollback(server, tmp_path, capsys):
    with patched_environ({**server.env("source"), **server.env("uat")}):  # rollback writes: it refuses a UAT that is the source
        assert main(["uat", "rollback", "--databases", "db_1097_identity"]) == 1
        assert "is the source server" in capsys.readouterr().err
    with EmbeddedServer("cli-src") as src, patched_environ({**server.env("uat"), **src.address.env("source")}):
        assert main(["uat", "rollback", "--databases", "db_1097_identity"]) == 1
        assert "no previous UAT state of db_1097_identity" in capsys.readouterr().err
        _state(server, "db_1097_identity", 3, "old", tmp_path)
        _state(server, "db_1097_identity", 5, "new", tmp_path)
        assert main(["uat", "status", "--databases", "db_1097_identity"]) == 0
        assert "1 tables now,    1 kept for rollback, last swap: done" in capsys.readouterr().out
        assert main(["uat", "rollback", "--databases", "db_1097_identity"]) == 0
        assert "rolled back to the previous state (1 tables, 3 rows)" in capsys.readouterr().out


def test_an_unknown_database_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["uat", "status", "--databases", "db_prod"])
    assert "unknown database(s) db_prod" in capsys.readouterr().err
