"""The Flyway sensor's cursor transitions against a real server's flyway_schema_history, the folder
watch, the weekly schedule, and the chain that completes a scheduled refresh."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)
from dagster._core.utils import make_new_run_id

from amrit_assets.checks.schema_gate import migrations_of, pending_migrations
from amrit_assets.demo.schema import build_from_migrations
from amrit_assets.partitions import DATABASES
from amrit_assets.resources import ROLES, server_resource
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import MySQLResource, ServerAddress, connect
from amrit_assets.schedules import REFRESH_TAG, weekly_refresh
from amrit_assets.sensors import flyway_sensor, next_refresh_steps, parse_cursor, plan_gate_runs, refresh_chain

pytestmark = pytest.mark.integration

# Flyway's own table (MySQL flavour), as Flyway creates it.
FLYWAY_TABLE = """
CREATE TABLE flyway_schema_history (
  installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
  type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,
  installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success TINYINT(1) NOT NULL,
  KEY flyway_schema_history_s_idx (success))
"""


@pytest.fixture(scope="module")
def flyway_server() -> Iterator[ServerAddress]:
    with EmbeddedServer("sensor") as srv:
        yield srv.address


@pytest.fixture
def history(flyway_server: ServerAddress):
    """``history({db: [(version, success), ...]})`` rewrites each database's flyway_schema_history."""
    conn = connect(flyway_server)

    def write(rows: dict[str, list[tuple[str | None, int]]]) -> None:
        with conn.cursor() as cur:
            for db in DATABASES:
                cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
            for db, entries in rows.items():
                cur.execute(f"CREATE DATABASE `{db}`")
                cur.execute(f"USE `{db}`")
                cur.execute(FLYWAY_TABLE)
                for rank, (version, success) in enumerate(entries, start=1):
                    cur.execute(
                        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
                        " installed_by, execution_time, success) VALUES (%s, %s, %s, 'SQL', %s, 0, 'flyway', 5, %s)",
                        (rank, version, f"step {version}", f"V{version}__step.sql", success),
                    )

    yield write
    conn.close()


def tick(server: ServerAddress, cursor: dict | None) -> SensorResult:
    source = MySQLResource(host=server.host, port=server.port, user=server.user, unix_socket=server.unix_socket, read_only=True)
    ctx = build_sensor_context(cursor=json.dumps(cursor) if cursor is not None else None, resources={"source": source})
    result = flyway_sensor(ctx)
    assert isinstance(result, SensorResult)
    return result


def requested(result: SensorResult) -> list[tuple[str, str | None, str | None]]:
    return [(r.job_name, r.partition_key, r.run_key) for r in result.run_requests or []]


def versions(n: int) -> list[tuple[str, int]]:
    return [(str(v), 1) for v in range(1, n + 1)]


ALL_AT_1 = {db: versions(1) for db in DATABASES}


# --- cursor transitions -------------------------------------------------------------------------------


def test_first_tick_gates_every_database_once(flyway_server, history):
    history(ALL_AT_1)
    result = tick(flyway_server, None)
    assert requested(result) == [("schema_gate", db, f"{db}:1") for db in DATABASES]
    assert json.loads(result.cursor) == {db: "1" for db in DATABASES}
    assert result.run_requests[0].tags["amrit/flyway_version"] == "1"


def test_nothing_new_requests_nothing_and_keeps_the_cursor(flyway_server, history):
    history(ALL_AT_1)
    result = tick(flyway_server, {db: "1" for db in DATABASES})
    assert requested(result) == [] and result.skip_reason
    assert json.loads(result.cursor) == {db: "1" for db in DATABASES}


def test_one_database_advances(flyway_server, history):
    history({**ALL_AT_1, "db_iemr": versions(2)})
    result = tick(flyway_server, {db: "1" for db in DATABASES})
    assert requested(result) == [("schema_gate", "db_iemr", "db_iemr:2")]
    assert json.loads(result.cursor) == {**{db: "1" for db in DATABASES}, "db_iemr": "2"}


def test_two_databases_advance(flyway_server, history):
    history({**ALL_AT_1, "db_iemr": versions(3), "db_reporting": versions(2)})
    result = tick(flyway_server, {db: "1" for db in DATABASES})
    assert requested(result) == [("schema_gate", "db_iemr", "db_iemr:3"), ("schema_gate", "db_reporting", "db_reporting:2")]
    assert json.loads(result.cursor)["db_iemr"] == "3" and json.loads(result.cursor)["db_reporting"] == "2"


def test_a_failed_migration_row_is_not_a_new_version(flyway_server, history):
    history({**ALL_AT_1, "db_iemr": [("1", 1), ("2", 0)], "db_identity": [("1", 1), (None, 1)]})  # failed V2; a repeatable
    result = tick(flyway_server, {db: "1" for db in DATABASES})
    assert requested(result) == [] and json.loads(result.cursor)["db_iemr"] == "1"
    history({**ALL_AT_1, "db_iemr": [("1", 1), ("2", 0), ("2", 1)]})  # fixed and re-run
    assert requested(tick(flyway_server, {db: "1" for db in DATABASES})) == [("schema_gate", "db_iemr", "db_iemr:2")]


def test_v9_to_v10_is_numeric_not_alphabetical(flyway_server, history):
    history({**ALL_AT_1, "db_iemr": versions(10)})
    seen = {**{db: "1" for db in DATABASES}, "db_iemr": "9"}
    result = tick(flyway_server, seen)
    assert requested(result) == [("schema_gate", "db_iemr", "db_iemr:10")]
    assert json.loads(result.cursor)["db_iemr"] == "10"
    assert requested(tick(flyway_server, json.loads(result.cursor))) == [], "10 stays the highest, not '9' > '10'"


def test_a_database_without_history_is_skipped_and_keeps_what_was_seen(flyway_server, history):
    history({db: versions(1) for db in DATABASES if db != "db_reporting"})
    result = tick(flyway_server, {db: "1" for db in DATABASES})
    assert requested(result) == [] and json.loads(result.cursor)["db_reporting"] == "1"


def test_history_written_by_applying_migrations_on_a_real_server(flyway_server, history, tmp_path):
    """The project's own Flyway-style applier on a real server: the sensor sees what it recorded."""
    history({})
    for db in DATABASES:
        (tmp_path / db).mkdir()
        (tmp_path / db / "V1__init.sql").write_text("CREATE TABLE t_a (id INT PRIMARY KEY);\n")
    build_from_migrations(flyway_server, tmp_path)
    first = tick(flyway_server, None)
    assert requested(first) == [("schema_gate", db, f"{db}:1") for db in DATABASES]
    (tmp_path / "db_iemr" / "V2__add_b.sql").write_text("CREATE TABLE t_b (id INT PRIMARY KEY);\n")
    (tmp_path / "db_iemr" / "V10__add_c.sql").write_text("CREATE TABLE t_c (id INT PRIMARY KEY);\n")
    assert build_from_migrations(flyway_server, tmp_path) == {"db_iemr": "10"}
    assert requested(tick(flyway_server, json.loads(first.cursor))) == [("schema_gate", "db_iemr", "db_iemr:10")]


# --- the migrations folder ----------------------------------------------------------------------------


def test_pending_migration_files_request_a_preview_once_per_content(flyway_server, history, tmp_path, monkeypatch):
    history(ALL_AT_1)
    folder = tmp_path / "db_iemr"
    folder.mkdir()
    (folder / "V1__baseline.sql").write_text("-- applied already\n")
    monkeypatch.setenv("AMRIT_MIGRATIONS_DIR", str(tmp_path))
    seen = {db: "1" for db in DATABASES}
    assert requested(tick(flyway_server, seen)) == [], "V1 is in production: nothing pending"

    (folder / "V2__add_caller_details.sql").write_text("CREATE TABLE t_caller_details (caller_whatsapp_no VARCHAR(15));\n")
    result = tick(flyway_server, seen)
    [(job, partition, run_key)] = requested(result)
    assert job == "migration_preview" and partition is None and run_key.startswith("preview:db_iemr:2:")
    assert result.run_requests[0].run_config == {"ops": {"preview_migrations": {"config": {"db": "db_iemr"}}}}
    cursor = json.loads(result.cursor)
    assert set(cursor) == set(DATABASES) | {"folder:db_iemr"}

    assert requested(tick(flyway_server, cursor)) == [], "the same pending files: no second preview"
    (folder / "V2__add_caller_details.sql").write_text("CREATE TABLE t_caller_details (caller_mobile VARCHAR(15));\n")
    edited = tick(flyway_server, cursor)
    assert [r[0] for r in requested(edited)] == ["migration_preview"], "an edited pending file is previewed again"

    history({**ALL_AT_1, "db_iemr": versions(2)})  # it reached production
    shipped = tick(flyway_server, json.loads(edited.cursor))
    assert requested(shipped) == [("schema_gate", "db_iemr", "db_iemr:2")]
    assert "folder:db_iemr" not in json.loads(shipped.cursor)


def test_an_amrit_db_checkout_layout_is_found(tmp_path):
    folder = tmp_path / "src/main/resources/db/migration/dbiemr"
    folder.mkdir(parents=True)
    for name in ("V9__a.sql", "V10__b.sql", "R__view.sql"):
        (folder / name).write_text("-- x\n")
    found = migrations_of(tmp_path, "db_iemr")
    assert [m.path.name for m in found] == ["V9__a.sql", "V10__b.sql"]
    assert [m.path.name for m in pending_migrations(found, "9")] == ["V10__b.sql"]
    assert migrations_of(tmp_path, "db_reporting") == [] and migrations_of(None, "db_iemr") == []


# --- pure pieces --------------------------------------------------------------------------------------


def test_plan_and_cursor_parsing():
    assert plan_gate_runs({}, {"a": "1", "b": None}) == ([("a", "1")], {"a": "1"})
    assert plan_gate_runs({"a": "9"}, {"a": "10"}) == ([("a", "10")], {"a": "10"})
    assert plan_gate_runs({"a": "1"}, {"a": "1.0"})[0] == []
    assert parse_cursor(None) == {} and parse_cursor("not json") == {} and parse_cursor('{"a": 2}') == {"a": "2"}


# --- the weekly refresh ---------------------------------------------------------------------------------

# A configured deployment, as far as the sensors look (they read the variables; the chain connects nowhere)
CONFIGURED = {
    "AMRIT_ANON_KEY": "sensor-test-key-0123456789",
    **{f"AMRIT_{role.upper()}_{var}": value for role in ROLES for var, value in (("HOST", f"{role}.db.example"), ("USER", "amrit"), ("PASSWORD", "x"))},
}


@pytest.fixture
def configured(monkeypatch):
    for name, value in CONFIGURED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_weekly_schedule_is_off_by_default_and_gates_every_database_first():
    assert weekly_refresh.default_status == DefaultScheduleStatus.STOPPED
    assert weekly_refresh.job_name == "schema_gate", "nothing is dumped before every database's gate passed"
    when = datetime.datetime(2026, 11, 22, 1, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
    requests = weekly_refresh(build_schedule_context(scheduled_execution_time=when))
    assert [r.partition_key for r in requests] == list(DATABASES)
    assert {r.tags[REFRESH_TAG] for r in requests} == {"2026-11-22T01:00+0530"}
    assert [r.run_key for r in requests] == [f"2026-11-22T01:00+0530:schema_gate:{db}" for db in DATABASES]


def test_next_refresh_steps():
    done, failed = DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE
    gates = [("schema_gate", db, done) for db in DATABASES]
    assert next_refresh_steps("r", gates[:3]) == [], "the chain waits for every gate; it never requests one itself"
    assert next_refresh_steps("r", [("schema_gate", "db_iemr", failed)] + gates[1:]) == [], "one failed gate: nothing is dumped"
    assert next_refresh_steps("r", gates) == [("extract", db) for db in DATABASES]
    extracts = [("extract", db, done) for db in DATABASES] + gates
    assert next_refresh_steps("r", extracts[:3] + gates) == [("extract", DATABASES[3])]
    assert next_refresh_steps("r", [("extract", "db_iemr", failed)] + extracts) == [], "the latest run of a database counts"
    assert next_refresh_steps("r", [("extract", "db_iemr", DagsterRunStatus.STARTED)] + extracts) == [], "a re-execution still running"
    assert next_refresh_steps("r", extracts) == [("mapping", None)]
    assert next_refresh_steps("r", [("mapping", None, failed)] + extracts) == []
    publish = next_refresh_steps("r", [("publish", "db_iemr", done), ("mapping", None, done)] + extracts)
    assert publish == [("publish", db) for db in DATABASES if db != "db_iemr"]
    published = [("publish", db, done) for db in DATABASES] + [("mapping", None, done)] + extracts
    assert next_refresh_steps("r", published) == [("audit", None)]
    assert next_refresh_steps("r", [("audit", None, done)] + published) == []
    assert next_refresh_steps("r", [("publish", "db_iemr", failed)] + published) == []
    assert next_refresh_steps("r", [("extract", db, done) for db in DATABASES]) == [], "no gate runs (not a refresh of the schedule): nothing"


def _add_run(instance, job: str, db: str | None, status=DagsterRunStatus.SUCCESS, refresh="2026-11-22T01:00+0530") -> None:
    tags = {REFRESH_TAG: refresh, **({"dagster/partition": db} if db else {})}
    instance.add_run(DagsterRun(job_name=job, run_id=make_new_run_id(), status=status, tags=tags))


def _chain(instance) -> list[tuple[str | None, str | None]]:
    result = refresh_chain(build_sensor_context(instance=instance))
    return [(r.job_name, r.partition_key) for r in result.run_requests or []]


def test_refresh_chain_continues_a_scheduled_refresh_after_every_gate(configured):
    when = datetime.datetime(2026, 11, 22, 1, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
    with DagsterInstance.ephemeral() as instance:
        _add_run(instance, "schema_gate", "db_iemr", refresh="unrelated-old")  # another refresh, incomplete: ignored
        scheduled = weekly_refresh(build_schedule_context(scheduled_execution_time=when))
        for r in scheduled[:3]:
            _add_run(instance, r.job_name or "schema_gate", r.partition_key, refresh=r.tags[REFRESH_TAG])
        assert _chain(instance) == []
        _add_run(instance, "schema_gate", scheduled[3].partition_key, DagsterRunStatus.FAILURE)
        assert _chain(instance) == [], "a failed gate stops the refresh before any dump"
        _add_run(instance, "schema_gate", scheduled[3].partition_key)  # re-executed, passed
        assert _chain(instance) == [("extract", db) for db in DATABASES]
        for db in DATABASES:
            _add_run(instance, "extract", db)
        assert _chain(instance) == [("mapping", None)]
        _add_run(instance, "mapping", None)
        assert _chain(instance) == [("publish", db) for db in DATABASES]


def test_sensors_skip_naming_the_missing_variable(configured):
    configured.delenv("AMRIT_WORKSPACE_HOST")
    with DagsterInstance.ephemeral() as instance:
        for db in DATABASES:
            _add_run(instance, "schema_gate", db)
        result = refresh_chain(build_sensor_context(instance=instance))
        assert not result.run_requests
        assert result.skip_reason and result.skip_reason.skip_message == (
            "AMRIT_WORKSPACE_HOST (or AMRIT_WORKSPACE_SOCKET) is not set: a refresh never falls back to a default server"
        )
    configured.delenv("AMRIT_SOURCE_USER")
    skipped = flyway_sensor(build_sensor_context(cursor='{"db_iemr": "1"}', resources={"source": server_resource("source")}))
    assert isinstance(skipped, SkipReason)
    assert skipped.skip_message == "AMRIT_SOURCE_USER is not set: name the account it connects as (a refresh never assumes root)"
