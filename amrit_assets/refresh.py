"""Run a whole refresh through Dagster (the same asset graph the UI materializes), step by step."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterEventType, DagsterInstance, Definitions, InitLoggerContext, LoggerDefinition, colored_console_logger, logger

from amrit_assets.failures import STAGE_TAG, describe_run_failure, reason_line
from amrit_assets.partitions import DATABASES
from amrit_assets.progress import ProgressHandler

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # Dagster's DEBUG events only with --verbose
PROGRESS_LOGGER = "amrit_progress"  # a run starts a logger only when its run config names it
QUIET_WITH_PROGRESS = {"loggers": {**QUIET["loggers"], PROGRESS_LOGGER: {}}}
# publish without the UAT restore: the same job, on a subset of its assets
ANONYMIZE_ONLY = [AssetKey("anonymized"), AssetKey("anonymized_dump")]


@dataclass
class RefreshReport:
    run_ids: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)


class RefreshFailed(RuntimeError):
    """A step's run failed; carries that run's id and database, and the runs so far, for the CLI and alerts."""

    def __init__(self, message: str, *, run_id: str | None = None, database: str | None = None, report: RefreshReport | None = None):
        super().__init__(message)
        self.run_id = run_id
        self.database = database
        self.report = report


Step = tuple[str, "list[AssetKey] | None", "str | None"]


def refresh_steps(databases: list[str], publish_uat: bool = True) -> list[Step]:
    """``(job, asset subset or None for the whole job, database)`` in order.

    Every database's schema gate (with preflight) runs first, so a refresh dumps nothing from production
    until all of them passed, and a DBA sees every database's verdict at once; without UAT, publish
    stops at the checked, anonymized dump.
    """
    publish = None if publish_uat else ANONYMIZE_ONLY
    tail: list[Step] = [("audit", None, None)] if publish_uat else []
    return (
        [("schema_gate", None, db) for db in databases]
        + [("extract", None, db) for db in databases]
        + [("mapping", None, None)]
        + [("publish", publish, db) for db in databases]
        + tail
    )


def _rows(instance: DagsterInstance, run_id: str) -> int | None:
    """Rows the run's materializations report (their ``rows`` metadata), None when none does."""
    total = None
    for record in instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records:
        event = record.event_log_entry.dagster_event
        rows = event.event_specific_data.materialization.metadata.get("rows") if event else None
        if rows is not None and isinstance(rows.value, int):
            total = (total or 0) + rows.value
    return total


def step_line(db: str | None, job: str, seconds: float, rows: int | None, status: str = "ok") -> str:
    """The CLI's one line per step: database, step, seconds, rows."""
    return f"{db or 'all databases':18s} {job:11s} {seconds:8.1f}s {'' if rows is None else f'{rows:>12,d} rows':17s} {status}".rstrip()


def progress_logger(say: Callable[[str], None]) -> LoggerDefinition:
    """A Dagster logger handing ``say`` the long steps' ``progress:`` lines, so the CLI shows them without --verbose."""

    @logger(description="The progress lines of long steps (tables done of total, time left), for the CLI.")
    def amrit_progress(_: InitLoggerContext) -> logging.Logger:
        out = logging.Logger("amrit_progress", logging.INFO)
        out.addHandler(ProgressHandler(say))
        return out

    return amrit_progress


def run_refresh(
    instance: DagsterInstance,
    resources: dict,
    databases: Iterable[str] = DATABASES,
    tags: Mapping[str, str] | None = None,
    publish_uat: bool = True,
    progress: Callable[[str], None] | None = None,
    verbose: bool = False,
) -> RefreshReport:
    """extract every database, build the mapping once, publish every database, then audit.

    Every run is a run of the UI's own job (``extract``, ``mapping``, ``publish``, ``audit``: one refresh,
    one set of names in the Runs page and the timeline), tagged ``amrit/stage`` plus ``tags`` (e.g. who
    triggered it, which the audit reports). ``publish_uat=False`` anonymizes, checks and dumps, and leaves
    UAT (and so the audit of UAT) alone. The gates of all databases run before the first dump; when any
    fails, the refresh stops there, naming every database whose gate failed. ``progress`` gets one line per
    step (database, job, seconds, rows) and the long steps' progress lines (``amrit_assets.progress``);
    Dagster's DEBUG events reach the console only when ``verbose``.
    """
    from amrit_assets.assets import REFRESH_ASSETS
    from amrit_assets.checks import ASSET_CHECKS
    from amrit_assets.jobs import JOBS

    # the UI's own jobs, bound to these resources (imported late: the jobs module runs refreshes too)
    # quiet, the console shows warnings only; progress lines reach ``progress`` through a logger of their own
    quiet_progress = progress is not None and not verbose
    loggers = {"console": colored_console_logger, PROGRESS_LOGGER: progress_logger(progress)} if quiet_progress else None
    defs = Definitions(assets=REFRESH_ASSETS, asset_checks=ASSET_CHECKS, jobs=JOBS, resources=resources, loggers=loggers)
    report = RefreshReport()
    gate_failures: list[tuple[str, str, str | None]] = []
    for job_name, subset, db in refresh_steps(list(databases), publish_uat):
        if job_name != "schema_gate" and gate_failures:
            reasons = "; ".join(f"{d}: {r}" for d, r, _ in gate_failures)
            raise RefreshFailed(
                f"nothing was dumped: the schema gate failed on {len(gate_failures)} database(s): {reasons}",
                run_id=gate_failures[0][2], database=gate_failures[0][0], report=report,
            )
        start = time.monotonic()
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            partition_key=db,
            asset_selection=subset,
            raise_on_error=False,
            tags={**(tags or {}), STAGE_TAG: job_name},
            run_config={} if verbose else QUIET_WITH_PROGRESS if quiet_progress else QUIET,
        )
        report.run_ids.append(result.run_id)
        if progress:
            progress(step_line(db, job_name, time.monotonic() - start, _rows(instance, result.run_id), "ok" if result.success else "FAILED"))
        if not result.success:
            # names the failed checks (with their problems) or the root cause, data values masked
            reason = reason_line(describe_run_failure(instance, result.run_id))
            if job_name == "schema_gate":
                gate_failures.append((db, reason, result.run_id))
                continue
            raise RefreshFailed(reason, run_id=result.run_id, database=db, report=report)
        for stat in instance.get_run_step_stats(result.run_id):
            if stat.start_time and stat.end_time:
                report.stage_seconds[stat.step_key] = report.stage_seconds.get(stat.step_key, 0.0) + stat.end_time - stat.start_time
        report.stage_seconds["wall"] = report.stage_seconds.get("wall", 0.0) + time.monotonic() - start
    return report



def hold_refresh_lock(who: str) -> contextlib.AbstractContextManager[str | None]:
    """The refresh lock on workspace and UAT, once they are proven not to be the source (else preflight refuses the run)."""
    from amrit_assets.resources import server_address
    from amrit_assets.resources.mysql import ServerConnectionError
    from amrit_assets.resources.refresh_lock import refresh_lock
    from amrit_assets.resources.safety import UnsafeTargetError, require_safe_targets

    targets = {"workspace": server_address("workspace"), "uat": server_address("uat")}
    try:
        require_safe_targets(server_address("source"), targets)
    except (UnsafeTargetError, ServerConnectionError):
        return contextlib.nullcontext(None)  # nothing is locked on a server that may be the source
    return refresh_lock(targets, f"{who} {uuid.uuid4().hex[:12]}")


def run_whole_refresh(
    instance: DagsterInstance, databases: Iterable[str], who: str, publish_uat: bool = True, progress: Callable[[str], None] | None = None
) -> RefreshReport:
    """The refresh under the refresh lock, as the `refresh` job (the UI's one launch) runs it."""
    from amrit_assets.resources import build_resources
    from amrit_assets.resources.refresh_lock import LOCK_TAG

    with hold_refresh_lock(who) as token:
        tags = {"amrit/trigger": who, **({LOCK_TAG: token} if token else {})}
        return run_refresh(instance, build_resources(), list(databases), tags=tags, publish_uat=publish_uat, progress=progress)
