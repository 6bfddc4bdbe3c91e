"""The whole asset graph, materialized through Dagster on throwaway servers with generated data."""

from __future__ import annotations

import glob
from collections import defaultdict

import pytest
from dagster import DagsterInstance

from amrit_assets import policy
from amrit_assets.anonymize.strategies import STRATEGIES
from amrit_assets.catalog.coverage import columns_from_server
from amrit_assets.demo.environment import demo_environment
from amrit_assets.jobs import refresh as refresh_job
from amrit_assets.partitions import DATABASES
from amrit_assets.progress import PREFIX
from amrit_assets.refresh import PROGRESS_LOGGER, QUIET_WITH_PROGRESS, RefreshFailed, progress_logger, run_refresh
from amrit_assets.resources import build_resources
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.settings import RefreshSettings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    from amrit_assets.demo.environment import patched_environ

    data_dir = tmp_path_factory.mktemp("refresh")
    # a progress line every 0.05 s (10 s in real use): each long step of this small demo logs a few
    with demo_environment(beneficiaries=150, data_dir=data_dir) as demo, patched_environ({"AMRIT_PROGRESS_SECONDS": "0.05"}):
        with DagsterInstance.ephemeral() as instance:
            # the UI's one launch: the `refresh` job, which runs every step as a run of its own job
            result = refresh_job.execute_in_process(instance=instance, raise_on_error=False)
            assert result.success, [e.message for e in result.all_events if e.is_failure][:3]
            yield demo, instance.get_runs(), instance


def test_every_stage_ran_for_every_database(refreshed):
    demo, runs, instance = refreshed
    # oldest first: every gate before any extract, the mapping after every extract, then publish, then audit
    jobs = [(r.job_name, r.tags.get("dagster/partition")) for r in reversed(runs)]
    n = len(DATABASES)
    assert [j for j, _ in jobs] == ["refresh"] + ["schema_gate"] * n + ["extract"] * n + ["mapping"] + ["publish"] * n + ["audit"]
    assert all(r.status.value == "SUCCESS" for r in runs)
    for asset in ("raw_dump", "staging", "anonymized", "anonymized_dump", "uat"):
        from dagster import AssetKey

        mats = instance.fetch_materializations(AssetKey(asset), limit=10).records
        assert {m.partition_key for m in mats} == set(DATABASES), asset


def test_the_refresh_run_shows_the_progress_of_its_long_steps(refreshed):
    _, runs, instance = refreshed
    [outer] = [r for r in runs if r.job_name == "refresh"]
    lines = [e.user_message for e in instance.all_logs(outer.run_id) if e.user_message.startswith(PREFIX)]
    for db in DATABASES:
        for step in ("staging restore", "anonymize", "leak check"):
            mine = [line for line in lines if line.startswith(f"{PREFIX}{db} {step}: ")]
            if db == "db_iemr":  # the large one: its steps outlast the interval
                assert mine, f"no progress line of {db} {step}"
            for line in mine:
                done, total = (int(n) for n in line.split(": ", 2)[2].split(" tables")[0].split(" of "))
                assert 0 < done < total and " s so far, about " in line and line.endswith(" s left"), line
    iemr_anonymize = [line for line in lines if line.startswith(f"{PREFIX}db_iemr anonymize: ")]
    done = [int(line.split(": ", 2)[2].split(" of ")[0]) for line in iemr_anonymize]
    assert done == sorted(done) and len(set(done)) == len(done), "tables done only grow"


def test_progress_logger_shows_progress_lines_in_a_quiet_run():
    from dagster import colored_console_logger, job, op

    said: list[str] = []

    @op
    def long_step(context) -> None:
        context.log.info(f"{PREFIX}db_iemr anonymize: 3 of 9 tables, 12 s so far, about 24 s left")
        context.log.info("anonymized db_iemr: 9 tables")
        context.log.warning("a warning is the console's, not progress")

    @job(logger_defs={"console": colored_console_logger, PROGRESS_LOGGER: progress_logger(said.append)})
    def quiet():
        long_step()

    assert quiet.execute_in_process(run_config=QUIET_WITH_PROGRESS).success
    assert said == ["progress: db_iemr anonymize: 3 of 9 tables, 12 s so far, about 24 s left"]


def test_uat_row_counts_equal_source_except_truncated_tables(refreshed):
    demo, _, _ = refreshed
    src, uat = connect(demo.servers["source"]), connect(demo.servers["uat"])
    truncated = _strategy_tables(src, "truncate")
    for db in DATABASES:
        before, after = row_counts(src, db), row_counts(uat, db)
        assert set(before) == set(after)
        for table, n in before.items():
            assert after[table] == (0 if (db, table) in truncated else n), f"{db}.{table}"
    assert sum(sum(row_counts(src, db).values()) for db in DATABASES) > 5000


def _resolutions(conn):
    return policy.catalog(RefreshSettings()), columns_from_server(conn, list(DATABASES))


def _strategy_tables(conn, strategy: str) -> set[tuple[str, str]]:
    catalog, columns = _resolutions(conn)
    return {(c.db, c.table) for c in columns if (r := catalog.resolve(c)) and r.strategy == strategy}


def test_anonymized_pii_columns_differ_from_source(refreshed):
    demo, _, _ = refreshed
    src, uat = connect(demo.servers["source"]), connect(demo.servers["uat"])
    catalog, columns = _resolutions(src)
    pks: dict[tuple[str, str], list[str]] = defaultdict(list)
    remapped_pk: set[tuple[str, str]] = set()  # rows whose key is a remapped id cannot be paired by key
    for c in columns:
        if c.key == "PRI" and not c.is_view:
            pks[(c.db, c.table)].append(c.column)
            if catalog.resolve(c).strategy in ("benregid", "beneficiary_id"):
                remapped_pk.add((c.db, c.table))
    checked = 0
    for c in columns:
        r = catalog.resolve(c)
        if c.is_view or STRATEGIES[r.strategy].compile is None or r.strategy in ("null", "credential", "media", "replace_text"):
            continue
        pk = pks.get((c.db, c.table))
        if not pk or c.column in pk or (c.db, c.table) in remapped_pk:
            continue
        sql = f"SELECT {', '.join(f'`{p}`' for p in pk)}, `{c.column}` FROM `{c.db}`.`{c.table}`"
        with src.cursor() as a, uat.cursor() as b:
            a.execute(sql)
            b.execute(sql)
            after = {row[:-1]: row[-1] for row in b.fetchall()}
            for row in a.fetchall():
                orig = row[-1]
                if orig is None or orig == "" or r.strategy == "scrub_text":
                    continue
                if r.strategy in ("benregid", "beneficiary_id"):
                    continue  # rows keep their PK, ids are checked by the bijection and orphan tests
                assert after[row[:-1]] != orig, f"{c.qualified} ({r.strategy}) kept an original value"
                checked += 1
    assert checked > 1000


def test_benregids_in_iemr_all_resolve_in_identity(refreshed):
    demo, _, _ = refreshed
    uat = connect(demo.servers["uat"])
    catalog, columns = _resolutions(uat)
    cols = [c for c in columns if c.db == "db_iemr" and not c.is_view and catalog.resolve(c).strategy == "benregid"]
    assert cols
    total = 0
    with uat.cursor() as cur:
        for c in cols:
            cur.execute(
                f"SELECT COUNT(*), SUM(m.BenRegId IS NULL) FROM db_iemr.`{c.table}` t LEFT JOIN db_identity.m_beneficiaryregidmapping m"
                f" ON m.BenRegId = t.`{c.column}` WHERE t.`{c.column}` IS NOT NULL AND TRIM(t.`{c.column}`) <> ''"
            )
            n, orphans = cur.fetchone()
            total += n
            assert not orphans, f"{c.qualified}: {orphans} BenRegIDs do not resolve in db_identity"
    assert total > 100


def _server_dirs() -> set[str]:
    """Embedded servers' temp dirs (client option files of other processes come and go: not ours)."""
    return {p for p in glob.glob("/dev/shm/amrit-*") + glob.glob("/tmp/amrit-*") if not p.rsplit("/", 1)[-1].startswith("amrit-client-")}


def test_servers_stop_and_are_removed_when_a_run_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("AMRIT_CATALOG", str(tmp_path / "missing.catalog"))
    before = _server_dirs()
    with pytest.raises(RefreshFailed, match="catalog file .* not found"):
        with demo_environment(beneficiaries=60, data_dir=tmp_path) as demo:
            sockets = [a.unix_socket for a in demo.servers.values()]
            with DagsterInstance.ephemeral() as instance:
                run_refresh(instance, build_resources())
    after = _server_dirs()
    assert after <= before
    assert not any(__import__("os").path.exists(s) for s in sockets)


def test_a_refresh_whose_uat_is_the_source_is_refused_before_anything_moves(tmp_path):
    from amrit_assets.demo.environment import patched_environ

    with demo_environment(beneficiaries=60, data_dir=tmp_path) as demo:
        src = connect(demo.servers["source"])
        before = {db: row_counts(src, db) for db in DATABASES}
        with patched_environ(demo.servers["source"].env("uat")), DagsterInstance.ephemeral() as instance:
            with pytest.raises(RefreshFailed, match="preflight") as failed:
                run_refresh(instance, build_resources())
        assert "db_identity" in str(failed.value)
        assert {db: row_counts(src, db) for db in DATABASES} == before
        assert not list(tmp_path.glob("raw/*")), "a raw dump was written although preflight failed"
