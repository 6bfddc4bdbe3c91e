"""Run a whole refresh through Dagster (the same asset graph the UI materializes), step by step."""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
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
    stage_seconds: dict[str, float] = field(default_factory=dict)  # per asset/check step, summed over databases; "wall": the refresh's
    phase_seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase (job), its databases at the same time


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
    databases_at_once: int | None = None,
) -> RefreshReport:
    """The refresh under the refresh lock: ``_run_phases`` (see there), holding the lock unless ``tags`` carry its token.

    Runs at the same time would each take the lock for their own writing steps and refuse each other,
    so a refresh not started under the lock (``run_whole_refresh``, ``amrit-anon refresh``) holds it here.
    """
    from amrit_assets.resources.refresh_lock import LOCK_TAG

    tags = dict(tags or {})
    args = (instance, resources, list(databases), publish_uat, progress, verbose, databases_at_once)
    if LOCK_TAG in tags:
        return _run_phases(*args, tags)
    with hold_refresh_lock(tags.get("amrit/trigger", "amrit-anon refresh")) as token:
        return _run_phases(*args, {**tags, **({LOCK_TAG: token} if token else {})})


def _run_phases(
    instance: DagsterInstance,
    resources: dict,
    databases: list[str],
    publish_uat: bool,
    progress: Callable[[str], None] | None,
    verbose: bool,
    databases_at_once: int | None,
    tags: Mapping[str, str],
) -> RefreshReport:
    """extract every database, build the mapping once, publish every database, then audit.

    Every run is a run of the UI's own job (``extract``, ``mapping``, ``publish``, ``audit``: one refresh,
    one set of names in the Runs page and the timeline), tagged ``amrit/stage`` plus ``tags`` (e.g. who
    triggered it, which the audit reports). ``publish_uat=False`` anonymizes, checks and dumps, and leaves
    UAT (and so the audit of UAT) alone. The gates of all databases run before the first dump; when any
    fails, the refresh stops there, naming every database whose gate failed. ``progress`` gets one line per
    step (database, job, seconds, rows) and the long steps' progress lines (``amrit_assets.progress``);
    Dagster's DEBUG events reach the console only when ``verbose``.

    The databases of a phase (gates, extracts, publishes) run at the same time, ``databases_at_once`` of
    them (default ``AMRIT_PARALLELISM``; 1 runs them one after another): each is its own run on its own
    database, and the mapping and the audit wait for the whole phase before them. Runs at the same time
    need an instance on disk (``DagsterInstance.get()``, ``local_temp()``): the in-memory run storage of
    ``DagsterInstance.ephemeral()`` is not safe across threads.
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
    at_once = max(1, min(databases_at_once or _settings_workers(resources), len(databases) or 1))

    def run_step(step: Step) -> _StepResult:
        job_name, subset, db = step
        start = time.monotonic()
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            partition_key=db,
            asset_selection=subset,
            raise_on_error=False,
            tags={**tags, STAGE_TAG: job_name},
            run_config={} if verbose else QUIET_WITH_PROGRESS if quiet_progress else QUIET,
        )
        seconds = time.monotonic() - start
        if progress:
            progress(step_line(db, job_name, seconds, _rows(instance, result.run_id), "ok" if result.success else "FAILED"))
        # names the failed checks (with their problems) or the root cause, data values masked
        reason = None if result.success else reason_line(describe_run_failure(instance, result.run_id))
        return _StepResult(step, result.run_id, reason)

    for phase in refresh_phases(databases, publish_uat):
        start = time.monotonic()
        # a gate's failure does not stop the other gates: the DBA sees every database's verdict at once
        done = run_concurrently(phase, run_step, at_once, stop_on_failure=phase[0][0] != "schema_gate")
        report.phase_seconds[phase[0][0]] = time.monotonic() - start
        report.stage_seconds["wall"] = sum(report.phase_seconds.values())
        report.run_ids += [r.run_id for r in done]
        failed = [r for r in done if r.reason is not None]
        if failed and phase[0][0] == "schema_gate":
            reasons = "; ".join(f"{r.step[2]}: {r.reason}" for r in failed)
            raise RefreshFailed(
                f"nothing was dumped: the schema gate failed on {len(failed)} database(s): {reasons}",
                run_id=failed[0].run_id, database=failed[0].step[2], report=report,
            )
        if failed:
            raise RefreshFailed(failed[0].reason or "", run_id=failed[0].run_id, database=failed[0].step[2], report=report)
        for r in done:
            for stat in instance.get_run_step_stats(r.run_id):
                if stat.start_time and stat.end_time:
                    report.stage_seconds[stat.step_key] = report.stage_seconds.get(stat.step_key, 0.0) + stat.end_time - stat.start_time
    return report


@dataclass(frozen=True)
class _StepResult:
    step: Step
    run_id: str
    reason: str | None  # None: the run succeeded


def refresh_phases(databases: list[str], publish_uat: bool = True) -> list[list[Step]]:
    """``refresh_steps`` in phases: one job over every database (or the one run of mapping, audit).

    The steps of a phase are independent (one database each), so they may run at the same time; a phase
    starts when the one before it has finished.
    """
    return [list(steps) for _job, steps in itertools.groupby(refresh_steps(databases, publish_uat), key=lambda s: s[0])]


def run_concurrently(steps: list[Step], run_step: Callable[[Step], _StepResult], at_once: int, stop_on_failure: bool) -> list[_StepResult]:
    """``run_step`` for every step, up to ``at_once`` at a time; the results in the steps' order.

    With ``stop_on_failure``, a failed step keeps the steps not started yet from starting (the ones
    running finish: a run is never cut off mid-restore), and only the steps that ran are returned.
    """
    failed = threading.Event()

    def guarded(step: Step) -> _StepResult | None:
        if stop_on_failure and failed.is_set():
            return None
        result = run_step(step)
        if result.reason is not None:
            failed.set()
        return result

    if at_once <= 1 or len(steps) <= 1:
        results = [guarded(s) for s in steps]
    else:
        with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="amrit-database") as pool:
            results = list(pool.map(guarded, steps))
    return [r for r in results if r is not None]


def _settings_workers(resources: Mapping) -> int:
    """``AMRIT_PARALLELISM`` as the refresh's settings resource holds it (1 when there is none)."""
    settings = resources.get("settings")
    return settings.workers() if hasattr(settings, "workers") else 1



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
