"""AMRIT-DB's own migrations as production: built on MariaDB, filled, refreshed, and UAT's objects equal the source's.

The small tests use migration folders written here; the integration test reads AMRIT-DB's verbatim
migrations from ``../shared/amrit-db`` (or ``AMRIT_DB_CHECKOUT``) and skips when they are not there.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance

from amrit_assets.cli import main
from amrit_assets.demo.environment import demo_environment
from amrit_assets.demo.schema import SchemaBuildError, build_from_migrations, migration_plan
from amrit_assets.demo.schema_migrations import flyway_checksum, statements
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import ROOT
from amrit_assets.refresh import run_refresh
from amrit_assets.resources import build_resources
from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.portable import strip_definer

CHECKOUT = Path(os.environ.get("AMRIT_DB_CHECKOUT") or ROOT.parent / "shared" / "amrit-db")
VIEW_1097 = "CREATE VIEW v_calls AS SELECT c.id FROM db_iemr.t_call c;\n"


def _folders(root: Path, files: dict[str, dict[str, str]]) -> Path:
    for db, migrations in files.items():
        (root / db).mkdir(parents=True)
        for name, sql in migrations.items():
            (root / db / name).write_text(sql)
    return root


# --- order, statements, checksum: no server -----------------------------------------------------------


def test_statements_obey_delimiter_and_ignore_comments_and_strings():
    sql = "-- a; comment\nCREATE TABLE t (a INT); /* x; */\nDELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 'a;b'; END$$\nDELIMITER ;\nSELECT 1;"
    assert list(statements(sql)) == ["CREATE TABLE t (a INT)", "CREATE PROCEDURE p() BEGIN SELECT ''; END", "SELECT 1"]


def test_order_follows_views_not_routine_bodies(tmp_path):
    root = _folders(
        tmp_path,
        {
            "db_1097_identity": {"V1__base.sql": VIEW_1097},
            "db_iemr": {"V1__base.sql": "CREATE TABLE t_call (id INT);\nDELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT * FROM db_1097_identity.x; END;;\nDELIMITER ;\n"},
        },
    )
    assert [db for db, _ in migration_plan(root, ("db_1097_identity", "db_iemr"))] == ["db_iemr", "db_1097_identity"]


def test_a_cycle_names_the_files_and_the_fix(tmp_path):
    root = _folders(
        tmp_path,
        {"db_1097_identity": {"V1__base.sql": VIEW_1097}, "db_iemr": {"V3__back.sql": "CREATE VIEW v AS SELECT * FROM `db_1097_identity`.`x`;"}},
    )
    with pytest.raises(SchemaBuildError, match=r"V1__base.sql of db_1097_identity reads db_iemr.t_call.*V3__back.sql of db_iemr reads db_1097_identity.x.*Move"):
        migration_plan(root, ("db_1097_identity", "db_iemr"))


def test_a_database_read_but_not_built_is_refused_before_anything_runs(tmp_path):
    root = _folders(tmp_path, {"db_1097_identity": {"V1__base.sql": VIEW_1097}})
    with pytest.raises(SchemaBuildError, match=r"V1__base.sql of db_1097_identity reads db_iemr.t_call.*build db_iemr too"):
        migration_plan(root, ("db_1097_identity",))
    assert [db for db, _ in migration_plan(root, ("db_1097_identity",), present={"db_iemr"})] == ["db_1097_identity"]


def test_flyway_checksum_reads_lines_as_flyway_does():
    lf = flyway_checksum(b"CREATE TABLE t (a INT);\nSELECT 1;\n")
    assert lf == flyway_checksum(b"\xef\xbb\xbfCREATE TABLE t (a INT);\r\nSELECT 1;") == flyway_checksum(b"CREATE TABLE t (a INT);\rSELECT 1;\n")
    assert lf != flyway_checksum(b"CREATE TABLE t (a INT);\nSELECT 2;\n") and -(2**31) <= lf < 2**31


# --- on a real server -------------------------------------------------------------------------------


@pytest.mark.integration
def test_mysql8_collations_build_and_errors_name_the_file_and_fix(server, tmp_path):
    root = _folders(
        tmp_path,
        {
            "db_iemr": {
                "V1__base.sql": "CREATE TABLE t_call (id INT, note VARCHAR(10) COLLATE utf8mb4_0900_ai_ci) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;",
                "V2__typo.sql": "CREATE TABLE t_x (id INT);\nALTER TABLE t_missing ADD COLUMN b INT;",
            },
            "db_1097_identity": {"V1__base.sql": VIEW_1097},
        },
    )
    with pytest.raises(SchemaBuildError, match=r"(?s)V2__typo.sql of db_iemr failed .*line 2.*t_missing.*\nfix: db_iemr.t_missing does not exist when"):
        build_from_migrations(server, root, ("db_1097_identity", "db_iemr"))
    (root / "db_iemr" / "V2__typo.sql").write_text("ALTER TABLE T_CALL ADD COLUMN b INT;\n")  # AMRIT's names, any case
    assert build_from_migrations(server, root, ("db_1097_identity", "db_iemr")) == {"db_iemr": "2", "db_1097_identity": "1"}
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("SELECT collation_name FROM information_schema.columns WHERE table_schema='db_iemr' AND column_name='note'")
        assert cur.fetchone()[0] == "utf8mb4_unicode_520_ci", "portable's mapping, the one restores use"
        cur.execute("SELECT version, script, checksum, success FROM db_iemr.flyway_schema_history ORDER BY installed_rank")
        rows = cur.fetchall()
        assert [r[:2] for r in rows] == [("1", "V1__base.sql"), ("2", "V2__typo.sql")] and all(r[3] == 1 for r in rows)
        assert rows[1][2] == flyway_checksum((root / "db_iemr" / "V2__typo.sql").read_bytes()), "the checksum of the file that ran"
    conn.close()


@pytest.mark.integration
def test_demo_from_migrations_names_the_failing_file_and_fix(tmp_path, monkeypatch, capsys):
    root = _folders(tmp_path / "checkout", {db: {} for db in DATABASES})
    (root / "db_iemr" / "V1__bad.sql").write_text("CREATE TABLE t (a INT) COLLATE utf8mb4_klingon_ci;\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the demo sets it; restored after the test
    assert main(["demo", "--beneficiaries", "5", "--data-dir", str(tmp_path / "demo"), "--from-migrations", str(root)]) == 1
    err = capsys.readouterr().err
    assert "V1__bad.sql of db_iemr failed" in err and "Unknown collation: 'utf8mb4_klingon_ci'" in err and "\nfix: " in err
    assert "Traceback" not in err


# --- AMRIT-DB as it is: build, fill, refresh, compare --------------------------------------------------

KINDS = ("VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT")
_LISTS = {
    "VIEW": "SELECT table_name FROM information_schema.views WHERE table_schema = %s",
    "PROCEDURE": "SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s AND routine_type = 'PROCEDURE'",
    "FUNCTION": "SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s AND routine_type = 'FUNCTION'",
    "TRIGGER": "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = %s",
    "EVENT": "SELECT event_name FROM information_schema.events WHERE event_schema = %s",
}
# SHOW CREATE <kind>: which columns hold sql_mode and the statement
_SHOW = {"VIEW": (None, 1), "PROCEDURE": (1, 2), "FUNCTION": (1, 2), "TRIGGER": (1, 2), "EVENT": (1, 3)}
_COLLATE = re.compile(r"\s+COLLATE\s+\w+", re.IGNORECASE)


def objects(addr: ServerAddress) -> dict[tuple[str, str, str], tuple[str | None, str]]:
    """Every view, routine, trigger and event of the four databases: its sql_mode and its CREATE (no DEFINER, no COLLATE)."""
    out: dict[tuple[str, str, str], tuple[str | None, str]] = {}
    conn = connect(addr)
    with conn.cursor() as cur:
        for db in DATABASES:
            for kind in KINDS:
                cur.execute(_LISTS[kind], (db,))
                for (name,) in cur.fetchall():
                    cur.execute(f"SHOW CREATE {kind} `{db}`.`{name}`")
                    row = cur.fetchone()
                    mode, sql = _SHOW[kind]
                    out[(db, kind, name.lower())] = (row[mode] if mode else None, _COLLATE.sub("", strip_definer(row[sql])))
    conn.close()
    return out


def event_status(addr: ServerAddress) -> dict[tuple[str, str], str]:
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute("SELECT event_schema, event_name, status FROM information_schema.events WHERE event_schema IN %s", (DATABASES,))
        out = {(db, name): status for db, name, status in cur.fetchall()}
    conn.close()
    return out


@pytest.fixture(scope="module")
def amrit_refreshed(tmp_path_factory):
    if not (CHECKOUT / "dbiemr").is_dir():
        pytest.skip(f"AMRIT-DB's migrations are not at {CHECKOUT} (set AMRIT_DB_CHECKOUT to a copy of its db/migration folder)")
    data_dir = tmp_path_factory.mktemp("migrations_refresh")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AMRIT_CATALOG", "AMRIT_MIGRATIONS_DIR"):
            mp.delenv(name, raising=False)
        with demo_environment(beneficiaries=60, data_dir=data_dir, migrations=CHECKOUT) as demo:
            source = objects(demo.servers["source"])
            source_events = event_status(demo.servers["source"])
            with DagsterInstance.ephemeral() as instance:
                start = time.monotonic()
                report = run_refresh(instance, build_resources())
                yield demo, source, source_events, report, time.monotonic() - start


@pytest.mark.integration
def test_uat_has_the_sources_views_routines_triggers_and_events(amrit_refreshed):
    demo, source, source_events, _, _ = amrit_refreshed
    kinds = {kind for _, kind, _ in source}
    assert {"VIEW", "PROCEDURE", "TRIGGER", "EVENT"} <= kinds, "the migrations built objects of every kind AMRIT has"
    uat = objects(demo.servers["uat"])
    assert sorted(set(source) ^ set(uat)) == [], "the same objects in UAT as in the source"
    differing = sorted(key for key in source if source[key] != uat[key])
    assert differing == [], f"definitions differ in UAT, e.g. {differing[:1]}: {[source[k] for k in differing[:1]]} vs {[uat[k] for k in differing[:1]]}"
    # each event as production has it (the shadow restore creates them disabled; the swap restores the dump's status)
    assert event_status(demo.servers["uat"]) == source_events and "ENABLED" in source_events.values()


@pytest.mark.integration
def test_db_reporting_procedures_run_on_uats_data(amrit_refreshed):
    """What db_reporting's daily events call, run on UAT's anonymized data, as the events would."""
    demo, *_ = amrit_refreshed
    conn = connect(demo.servers["uat"], "db_reporting")
    with conn.cursor() as cur:
        cur.execute("SELECT event_definition FROM information_schema.events WHERE event_schema = 'db_reporting'")
        calls = sorted({c for (body,) in cur.fetchall() for c in re.findall(r"CALL\s+db_reporting\.(SP_Load_\w+)\s*\(\s*\)", body, re.I)})
        assert len(calls) >= 5, calls
        completed = "SELECT LOWER(proc_name), COUNT(*) FROM scheduler_status WHERE status = 'completed' GROUP BY 1"
        cur.execute(completed)
        before = dict(cur.fetchall())
        for proc in calls:
            cur.execute(f"CALL {proc}()")
            while cur.nextset():
                pass
        cur.execute(completed)
        after = dict(cur.fetchall())
    conn.close()
    assert [p for p in calls if after.get(p.lower(), 0) != before.get(p.lower(), 0) + 1] == [], "each ran to its 'completed' mark"
