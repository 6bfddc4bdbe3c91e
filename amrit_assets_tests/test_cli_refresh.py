"""``amrit-anon refresh`` on the embedded demo servers: a real refresh recorded in a persistent Dagster
instance (DAGSTER_HOME), a real check failure with its one-line reason, and the refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus

from amrit_assets.alerts import alert_message
from amrit_assets.cli import audit_findings, main, parse_databases, refresh_refusal, refresh_tags
from amrit_assets.demo.schema import BASELINE_VERSIONS, record_flyway_version
from amrit_assets.failures import describe_run_failure
from amrit_assets.partitions import DATABASES
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import connect
from amrit_assets_tests.conftest import instance_demo

KEY = "cli-refresh-test-key-0123456789"  # a test fixture, not a secret
SUBSET = ["db_identity", "db_iemr"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[object, Path]]:
    # a progress line every 0.05 s (10 s in real use): this small demo's long steps log a few lines
    with instance_demo(tmp_path_factory.mktemp("cli_refresh"), 60, KEY, AMRIT_PROGRESS_SECONDS="0.05") as (env, home):
        assert not env.generated_key
        yield env, home


def _runs(home: Path, run_ids: list[str]) -> list:
    with DagsterInstance.from_config(str(home)) as instance:
        return [instance.get_run_by_id(r) for r in run_ids]


def _printed_run_ids(out: str) -> list[str]:
    return [line.split()[0] for line in out.split("runs (Dagster run ids):\n", 1)[1].splitlines() if line.startswith("  ") and len(line.split()[0]) == 36]


@pytest.mark.integration
def test_refresh_of_two_databases_lands_in_the_instance_and_uat(demo, tmp_path, capsys):
    env, home = demo
    audit_dir = tmp_path / "audit"
    assert main(["refresh", "--databases", ",".join(SUBSET), "--audit-dir", str(audit_dir)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    run_ids = _printed_run_ids(out)
    assert len(run_ids) == 3 * len(SUBSET) + 2  # gate, extract and publish per database, mapping, audit
    runs = _runs(home, run_ids)  # a second process opening the same DAGSTER_HOME sees them: so does the UI
    assert all(r is not None and r.status == DagsterRunStatus.SUCCESS for r in runs)
    stages = ["schema_gate", "schema_gate", "extract", "extract", "mapping", "publish", "publish", "audit"]
    assert [r.tags["amrit/stage"] for r in runs] == stages
    assert [r.job_name for r in runs] == stages, "the CLI's runs are the UI's jobs, not __ephemeral_asset_job__"
    assert {r.tags.get("dagster/partition") for r in runs} == {*SUBSET, None}
    assert all(r.tags["amrit/trigger"] == "amrit-anon refresh" and "amrit/refresh" not in r.tags for r in runs)
    assert "seconds per stage (all databases), share of the refresh:" in out and "%" in out and " uat " in out and " raw_dump " in out
    # one line per step (database, job, seconds, rows), Dagster's DEBUG events only with --verbose
    assert re.search(r"^db_iemr\s+publish\s+[\d.]+s\s+[\d,]+ rows\s+ok$", out, re.M), out
    assert re.search(r"^all databases\s+mapping\s+[\d.]+s", out, re.M), out
    assert " - DEBUG - " not in captured.err
    # within the long steps: tables done of total and the time left, printed without --verbose, before the step's line
    for step, line_of_step in (("staging restore", "extract"), ("anonymize", "publish"), ("leak check", "publish")):
        progress = re.findall(rf"^progress: db_iemr {step}: (\d+) of (\d+) tables, \d+ s so far, about \d+ s left$", out, re.M)
        assert progress, f"no progress line of db_iemr {step}:\n{out}"
        assert all(0 < int(done) < int(total) for done, total in progress)
        last = out.rindex(f"progress: db_iemr {step}: ")
        assert re.search(rf"^db_iemr\s+{line_of_step}\s", out[last:], re.M), "the step's own line comes after its progress"
    report = json.loads((audit_dir / "audit.json").read_text())
    assert (audit_dir / "audit.md").read_text().strip()
    assert report["verdict"]["databases_refreshed"] == SUBSET and report["audit_run"]["run_id"] == run_ids[-1]
    uat = connect(env.servers["uat"])
    try:
        for db in SUBSET:
            assert sum(row_counts(uat, db).values()) > 0
        with uat.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE 'db_reporting'")
            assert cur.fetchall() == (), "a database not asked for is not refreshed"
    finally:
        uat.close()


@pytest.mark.integration
def test_no_uat_anonymizes_checks_and_dumps_but_leaves_uat_alone(demo, capsys):
    env, home = demo
    assert main(["refresh", "--databases", "db_1097_identity", "--no-uat"]) == 0
    out = capsys.readouterr().out
    runs = _runs(home, _printed_run_ids(out))
    assert [r.tags["amrit/stage"] for r in runs] == ["schema_gate", "extract", "mapping", "publish"]
    assert "UAT was not touched" in out and "audit report" not in out
    with DagsterInstance.from_config(str(home)) as instance:
        dumps = instance.fetch_materializations(AssetKey("anonymized_dump"), limit=10).records
        uats = instance.fetch_materializations(AssetKey("uat"), limit=10).records
    assert any(r.run_id == runs[-1].run_id and r.partition_key == "db_1097_identity" for r in dumps)
    assert not any(r.partition_key == "db_1097_identity" for r in uats)
    uat = connect(env.servers["uat"])
    try:
        with uat.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE 'db_1097_identity'")
            assert cur.fetchall() == ()
    finally:
        uat.close()


@pytest.mark.integration
def test_a_failing_gate_stops_before_any_dump_and_names_every_database(demo, capsys):
    env, home = demo
    failing = ["db_identity", "db_iemr"]
    with DagsterInstance.from_config(str(home)) as instance:
        dumps_before = len(instance.fetch_materializations(AssetKey("raw_dump"), limit=1000).records)
    newer = {db: str(int(BASELINE_VERSIONS[db]) + 1) for db in failing}  # a migration past the @verified version
    for db in failing:
        record_flyway_version(env.servers["source"], db, newer[db], "a migration the catalog was not verified against")
    try:
        assert main(["refresh", "--databases", "db_1097_identity,db_identity,db_iemr"]) == 1
    finally:
        for db in failing:
            conn = connect(env.servers["source"], db)
            with conn.cursor() as cur:
                cur.execute("DELETE FROM flyway_schema_history WHERE version = %s", (newer[db],))
            conn.commit()
            conn.close()
    captured = capsys.readouterr()
    # Dagster's own progress log goes to stderr before it; the reason is one line, the last
    [line] = [x for x in captured.err.splitlines() if x.startswith("amrit-anon refresh:")]
    assert captured.err.strip().splitlines()[-1] == line
    assert line.startswith("amrit-anon refresh: FAILED: nothing was dumped: the schema gate failed on 2 database(s): ")
    for db in failing:
        assert f"check failed: catalog_covers_schema on {db} (source_schema)" in line
    run_ids = _printed_run_ids(captured.out)
    runs = _runs(home, run_ids)
    # all three gates ran (the passing one too), and nothing after them
    assert [(r.job_name, r.tags["dagster/partition"]) for r in runs] == [("schema_gate", "db_identity"), ("schema_gate", "db_1097_identity"), ("schema_gate", "db_iemr")]
    assert [r.status for r in runs] == [DagsterRunStatus.FAILURE, DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]
    assert run_ids[0] in line
    with DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.fetch_materializations(AssetKey("raw_dump"), limit=1000).records) == dumps_before, "nothing was dumped"
        # what the failure alert would post for a failed gate run: the check by name, nothing else from the error
        message = alert_message(describe_run_failure(instance, run_ids[2]), None)
    assert message["failed_checks"] == [{"asset": "source_schema", "check": "catalog_covers_schema", "database": "db_iemr"}]
    assert message["job"] == "schema_gate" and message["database"] == "db_iemr"


@pytest.mark.integration
def test_publish_refuses_a_mapping_older_than_a_staging(demo):
    from dagster import Definitions

    from amrit_assets.assets import REFRESH_ASSETS
    from amrit_assets.checks import ASSET_CHECKS
    from amrit_assets.jobs import JOBS
    from amrit_assets.resources import build_resources

    env, home = demo
    defs = Definitions(assets=REFRESH_ASSETS, asset_checks=ASSET_CHECKS, jobs=JOBS, resources=build_resources())
    with DagsterInstance.from_config(str(home)) as instance:
        assert defs.resolve_job_def("extract").execute_in_process(instance=instance, partition_key="db_identity").success
        result = defs.resolve_job_def("publish").execute_in_process(instance=instance, partition_key="db_iemr", raise_on_error=False)
        assert not result.success
        failure = describe_run_failure(instance, result.run_id)
    assert failure.failed_steps == ["anonymized"] and failure.error_types == ["ChecksNotPassed"]
    assert "ChecksNotPassed: refusing a stale benregid_mapping" in failure.first_error and "staging of db_identity was materialized after it" in failure.first_error


def test_refuses_without_a_key_or_an_instance_before_touching_anything(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AMRIT_ANON_KEY", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert main(["refresh"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("amrit-anon refresh: refused: no anonymization key") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == [], "nothing written to the instance"

    base = {"AMRIT_ANON_KEY": KEY, "DAGSTER_HOME": str(tmp_path), "AMRIT_DATA_DIR": str(tmp_path)}
    servers = {f"AMRIT_{r}_{p}": "x" for r in ("SOURCE", "WORKSPACE", "UAT") for p in ("HOST", "USER", "PASSWORD")}
    assert refresh_refusal({**base, **servers}) is None
    assert "too short" in refresh_refusal({**base, **servers, "AMRIT_ANON_KEY": "short"})
    assert "DAGSTER_HOME" in refresh_refusal({**servers, "AMRIT_ANON_KEY": KEY})
    assert "DAGSTER_HOME" in refresh_refusal({**base, **servers, "DAGSTER_HOME": str(tmp_path / "missing")})
    assert "AMRIT_DATA_DIR" in refresh_refusal({**base, **servers, "AMRIT_DATA_DIR": ""})
    no_uat_host = {k: v for k, v in servers.items() if k != "AMRIT_UAT_HOST"}
    assert refresh_refusal({**base, **no_uat_host}).startswith("AMRIT_UAT_HOST (or AMRIT_UAT_SOCKET) is not set")
    assert refresh_refusal({**base, **no_uat_host, "AMRIT_UAT_SOCKET": "/run/mysqld.sock"}) is None
    no_password = {k: v for k, v in servers.items() if k != "AMRIT_SOURCE_PASSWORD"}
    assert "AMRIT_SOURCE_PASSWORD" in refresh_refusal({**base, **no_password})
    no_user = {k: v for k, v in servers.items() if k != "AMRIT_WORKSPACE_USER"}
    assert refresh_refusal({**base, **no_user}) == "AMRIT_WORKSPACE_USER is not set: name the account it connects as (a refresh never assumes root)"


def test_databases_option_and_trigger_tags():
    assert parse_databases("db_iemr, db_identity") == ["db_identity", "db_iemr"]
    assert parse_databases("all") == list(DATABASES)
    with pytest.raises(SystemExit) as usage:
        main(["refresh", "--databases", "db_iemr,db_prod"])
    assert usage.value.code == 2
    assert refresh_tags({"JENKINS_URL": "http://ci", "JOB_NAME": "amrit-uat", "BUILD_NUMBER": "7", "BUILD_USER_ID": "asha"}) == {
        "amrit/trigger": "jenkins amrit-uat #7",
        "user": "asha",
    }
    assert refresh_tags({})["amrit/trigger"] == "amrit-anon refresh"


def test_audit_findings_fail_on_checks_lineage_keys_and_unmasked_columns_only():
    clean = {"verdict": {"all_checks_passed": True, "lineage_ok": True, "key_fingerprint_consistent": True}, "checks": [], "masking": {}}
    assert audit_findings(clean) == ([], [])
    column = lambda table, expect, ok: {"table": table, "column": "c", "expect": expect, "ok": ok}  # noqa: E731
    report = {
        "verdict": {"all_checks_passed": False, "lineage_ok": False, "key_fingerprint_consistent": False},
        "checks": [{"check": "zero_pii_leaks", "database": "db_iemr", "asset": "anonymized", "passed": False}],
        "masking": {"db_iemr": {"columns": [column("t_phone", "changed", False), column("t_status", "identical", False), column("t_ok", "changed", True)]}},
    }
    problems, warnings = audit_findings(report)
    assert problems[0] == "check zero_pii_leaks on db_iemr (anonymized)"
    assert any("lineage" in p for p in problems) and any("different keys" in p for p in problems)
    assert problems[-1] == "personal columns unchanged in the sample on db_iemr: t_phone.c"
    assert warnings == ["kept columns differ from the live source on db_iemr: t_status.c"], "rows change in production after the dump"
