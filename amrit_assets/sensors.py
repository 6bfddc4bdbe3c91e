"""Sensors: what makes the refresh react to the world.

``flyway_sensor`` watches ``flyway_schema_history`` of the four source databases (successful,
versioned rows; versions compared numerically, so V10 comes after V9). Its cursor is JSON,
``{db: highest version seen}``; when a database's version changes it requests the ``schema_gate``
job for that database (run key ``<db>:<version>``, so one gate run per version), whose verdict is
the blocking check ``catalog_covers_schema``. The first tick gates every database once. With
``AMRIT_MIGRATIONS_DIR`` pointing at an AMRIT-DB checkout (``<db>/V<n>__*.sql``), it also requests
``migration_preview`` when the migrations still pending for a database (after the live version)
appear or change, keyed ``folder:<db>`` in the cursor by a digest of those files.

``refresh_chain`` completes the weekly refresh the ``weekly_refresh`` schedule starts, in the order of
``amrit-anon refresh`` (``refresh.refresh_steps``): once the ``schema_gate`` runs of all four databases
of one refresh succeeded it requests ``extract`` for each, then ``mapping``, ``publish`` for each, and
``audit``. It only acts on runs tagged by the schedule.

While a server or the key is not configured, both sensors skip with the sentence naming the variable.

``refresh_failure_alert`` (``amrit_assets.alerts``) tells the team when any run fails.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from amrit_assets.alerts import ALERT_SENSORS
from amrit_assets.catalog.gate import highest_version, read_flyway_history, same_version
from amrit_assets.checks.schema_gate import migrations_checkout, migrations_of, pending_migrations
from amrit_assets.flyway import Migration
from amrit_assets.jobs import audit_job, extract_job, mapping_job, migration_preview, publish_job, schema_gate_job
from amrit_assets.partitions import DATABASES
from amrit_assets.refresh import refresh_steps
from amrit_assets.resources import configuration_problem
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.schedules import REFRESH_TAG

FOLDER_PREFIX = "folder:"
FLYWAY_INTERVAL_SECONDS = 300


# --- the Flyway sensor: plain functions ---------------------------------------------------------------


def parse_cursor(text: str | None) -> dict[str, str]:
    """The cursor's ``{db: version}`` (and ``folder:<db>: digest``); an unreadable cursor counts as a first tick."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def live_versions(conn, databases: Sequence[str] = DATABASES) -> dict[str, str | None]:
    """Each database's highest successfully applied Flyway version; None without a history (or database)."""
    return {db: highest_version(m.version for m in (read_flyway_history(conn, db) or [])) for db in databases}


def plan_gate_runs(seen: Mapping[str, str], live: Mapping[str, str | None]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The databases to gate (``(db, version)``, in database order) and the cursor after this tick.

    A database is gated when its version differs from the one last seen (a first sighting, a new
    migration, or a restore to an older version). A database without a readable version keeps what
    was seen before.
    """
    cursor = dict(seen)
    changed = []
    for db, version in live.items():
        if version is None:
            continue
        if not same_version(seen.get(db), version):
            changed.append((db, version))
        cursor[db] = version
    return changed, cursor


def pending_digest(pending: Sequence[Migration]) -> str:
    """Names and contents of the pending migration files: a new file or an edited one changes it."""
    h = hashlib.sha256()
    for m in pending:
        h.update(m.path.name.encode() + b"\0" + m.path.read_bytes() + b"\0")
    return h.hexdigest()


def gate_request(db: str, version: str) -> RunRequest:
    return RunRequest(
        job_name=schema_gate_job.name,
        partition_key=db,
        run_key=f"{db}:{version}",
        tags={"amrit/flyway_version": version, "amrit/trigger": "flyway_sensor"},
    )


def preview_request(db: str, pending: Sequence[Migration], digest: str) -> RunRequest:
    return RunRequest(
        job_name=migration_preview.name,
        run_key=f"preview:{db}:{pending[-1].version_text}:{digest[:16]}",
        run_config={"ops": {"preview_migrations": {"config": {"db": db}}}},
        tags={"amrit/database": db, "amrit/pending": pending[-1].path.name[:200], "amrit/trigger": "flyway_sensor"},
    )


@sensor(
    name="flyway_sensor",
    jobs=[schema_gate_job, migration_preview],
    minimum_interval_seconds=FLYWAY_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="A new Flyway version on a source database (or a pending migration file) runs the schema gate.",
)
def flyway_sensor(context: SensorEvaluationContext, source: MySQLResource) -> SensorResult | SkipReason:
    if source.unconfigured:  # the tick says which variable, instead of a trace (the cursor is kept)
        return SkipReason(source.unconfigured)
    seen = parse_cursor(context.cursor)
    conn = source.connect()
    try:
        live = live_versions(conn)
    finally:
        conn.close()
    for db, version in live.items():
        if version is None:
            context.log.warning(f"{db}: no flyway_schema_history with a successful versioned migration on the source")
    changed, cursor = plan_gate_runs({k: v for k, v in seen.items() if not k.startswith(FOLDER_PREFIX)}, live)
    requests = [gate_request(db, version) for db, version in changed]
    for db, version in changed:
        context.log.info(f"{db}: Flyway version {seen.get(db, '(first tick)')} -> {version}: requesting the schema gate")

    checkout = migrations_checkout()
    if checkout is not None:
        for db in DATABASES:
            pending = pending_migrations(migrations_of(checkout, db), live.get(db))
            key = FOLDER_PREFIX + db
            if not pending:
                continue
            digest = pending_digest(pending)
            cursor[key] = digest
            if seen.get(key) != digest:
                context.log.info(f"{db}: {len(pending)} pending migration(s) up to {pending[-1].path.name}: requesting a preview")
                requests.append(preview_request(db, pending, digest))

    text = json.dumps(cursor, sort_keys=True)
    if not requests:
        return SensorResult(skip_reason="no new Flyway version and no new pending migration", cursor=text)
    return SensorResult(run_requests=requests, cursor=text)


# --- the weekly refresh, continued ---------------------------------------------------------------------

_DONE = DagsterRunStatus.SUCCESS


def next_refresh_steps(
    refresh_id: str, runs: Sequence[tuple[str, str | None, DagsterRunStatus]], databases: Sequence[str] = DATABASES
) -> list[tuple[str, str | None]]:
    """What the refresh ``refresh_id`` runs next, from its runs ``(job, partition, status)``, newest first.

    The stages of ``refresh_steps`` in order (schema_gate, extract, mapping, publish, audit): a stage's
    missing runs are requested once every run of the stages before it succeeded. The first stage (every
    database's gate) is the schedule's own request, never the chain's. A failed or running step requests
    nothing: a person re-executes it (re-execution keeps the tag) and the chain resumes.
    """
    latest: dict[tuple[str, str | None], DagsterRunStatus] = {}
    for job_name, partition, status in runs:
        latest.setdefault((job_name, partition), status)
    stages: dict[str, list[tuple[str, str | None]]] = {}
    for job_name, _subset, db in refresh_steps(list(databases)):
        stages.setdefault(job_name, []).append((job_name, db))
    for n, steps in enumerate(stages.values()):
        missing = [step for step in steps if step not in latest]
        if missing:
            return missing if n else []
        if any(latest[step] != _DONE for step in steps):
            return []
    return []


@sensor(
    name="refresh_chain",
    jobs=[extract_job, mapping_job, publish_job, audit_job],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Continues a refresh started by weekly_refresh: extract per database once every schema gate passed, "
    "the mapping after all extracts, publish per database, then the audit.",
)
def refresh_chain(context: SensorEvaluationContext) -> SensorResult:
    problem = configuration_problem(os.environ)
    if problem:  # every step would fail on it: say it once, in the tick
        return SensorResult(skip_reason=problem)
    instance = context.instance
    tagged = instance.get_run_tags(tag_keys=[REFRESH_TAG])
    ids = sorted(next((values for key, values in tagged if key == REFRESH_TAG), set()), reverse=True)[:3]
    requests = []
    for refresh_id in ids:
        runs = instance.get_runs(filters=RunsFilter(tags={REFRESH_TAG: refresh_id}))
        summary = [(r.job_name, r.tags.get("dagster/partition"), r.status) for r in runs]
        for job_name, db in next_refresh_steps(refresh_id, summary):
            context.log.info(f"refresh {refresh_id}: requesting {job_name}{f' [{db}]' if db else ''}")
            requests.append(
                RunRequest(
                    job_name=job_name,
                    partition_key=db,
                    run_key=f"{refresh_id}:{job_name}:{db or 'all'}",
                    tags={REFRESH_TAG: refresh_id},
                )
            )
    if not requests:
        return SensorResult(skip_reason="no scheduled refresh waiting for its next step")
    return SensorResult(run_requests=requests)


SENSORS = [flyway_sensor, refresh_chain, *ALERT_SENSORS]
