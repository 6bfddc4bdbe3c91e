"""staging restores only the authenticated encrypted dump raw_dump recorded, never runs a dump's client commands,
and leaves the staged database and the source alone when it refuses (real servers, real Dagster runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetMaterialization, DagsterInstance, materialize

from amrit_assets.assets.staging import staging
from amrit_assets.failures import describe_run_failure
from amrit_assets.resources.dumps import dump_database
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import MySQLResource, ServerAddress, connect
from amrit_assets.resources.settings import RefreshSettings
from amrit_assets_tests.conftest import TEST_KEY, checksum

DB = "db_iemr"


def _resource(addr: ServerAddress, read_only: bool = False) -> MySQLResource:
    return MySQLResource(host=addr.host, port=addr.port, user=addr.user, password=addr.password, unix_socket=addr.unix_socket, read_only=read_only)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with EmbeddedServer("stg-src") as src, EmbeddedServer("stg-ws") as ws, EmbeddedServer("stg-uat") as uat:
        conn = connect(src.address)
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {DB}")
            cur.execute(f"CREATE TABLE {DB}.t (id INT PRIMARY KEY, v VARCHAR(20))")
            cur.execute(f"INSERT INTO {DB}.t VALUES (1, 'one'), (2, 'two')")
        conn.close()
        settings = RefreshSettings(data_dir=str(data), anon_key=TEST_KEY)
        resources = {"source": _resource(src.address, True), "workspace": _resource(ws.address), "uat_server": _resource(uat.address), "settings": settings}
        yield {"src": src.address, "ws": ws.address, "settings": settings, "resources": resources, "data": data}


def _record(instance: DagsterInstance, sha: str) -> None:
    instance.report_runless_asset_event(AssetMaterialization("raw_dump", partition=DB, metadata={"sha256": sha}))


def _stage(env, instance: DagsterInstance) -> str | None:
    """None when staging succeeded, else its one-line failure."""
    result = materialize([staging], partition_key=DB, resources=env["resources"], instance=instance, raise_on_error=False)
    return None if result.success else describe_run_failure(instance, result.run_id).first_error


def test_staging_restores_the_recorded_encrypted_dump_and_refuses_anything_else(env, tmp_path):
    path: Path = env["settings"].raw_dump_path(DB)
    with DagsterInstance.ephemeral() as instance:
        dumped = dump_database(env["src"], DB, path, key=TEST_KEY.encode())
        _record(instance, dumped.sha256)
        assert _stage(env, instance) is None
        staged, source = checksum(env["ws"], DB), checksum(env["src"], DB)
        assert [t for t, _ in staged] == ["t"]

        # the 118-byte plaintext file: refused, its shell line never runs, the staged database untouched
        ran = tmp_path / "x"
        path.write_bytes(f"\\! touch {ran}\nCREATE TABLE t (id INT);\n-- Dump completed on 2026-01-01 00:00:00\n".encode().ljust(118, b"-"))
        reason = _stage(env, instance)
        assert reason and str(path) in reason and "not an amrit-anon encrypted dump" in reason and "materialize raw_dump again" in reason
        assert not ran.exists() and checksum(env["ws"], DB) == staged

        # a genuine encrypted dump, but not the one raw_dump recorded (made later, the record is older)
        dump_database(env["src"], DB, path, key=TEST_KEY.encode())
        reason = _stage(env, instance)
        assert reason and "is not the dump that was recorded" in reason and f"materialize its dump asset again" in reason
        assert checksum(env["ws"], DB) == staged

    with DagsterInstance.ephemeral() as fresh:  # no raw_dump materialization recorded at all
        reason = _stage(env, fresh)
        assert reason and "has no record" in reason and f"materialize raw_dump[{DB}] again" in reason
        assert checksum(env["ws"], DB) == staged
    assert checksum(env["src"], DB) == source
