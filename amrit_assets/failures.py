"""What failed in a run, in names only: its steps, its failed checks, its database, the errors' types.

``amrit-anon refresh`` builds its one-line reason from this and the failure alert its message. An
error *message* can quote a data value (MySQL's ``Duplicate entry '…' for key``), so alerts never
carry one; the CLI prints the first line of the root cause with MySQL's quoted values masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster import DagsterEventType, DagsterInstance

from amrit_assets.resources.mysql import mask_values

STAGE_TAG = "amrit/stage"  # set by amrit_assets.refresh on its runs, which are all __ephemeral_asset_job__
PARTITION_TAG = "dagster/partition"
MAX_REASON = 300



@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    partition: str | None
    problems: str | None = None  # the check's own ``problems`` metadata (names and counts), for the console only


@dataclass
class RunFailure:
    run_id: str
    job: str
    partition: str | None
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    error_types: list[str] = field(default_factory=list)
    first_error: str | None = None  # the root cause's message: for the operator's console, never for alerts


def _root(error):
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def job_label(job_name: str, tags: dict[str, str]) -> str:
    """The job's name, or the refresh stage for the CLI's in-process runs (whose job is ``__ephemeral_asset_job__``)."""
    return tags.get(STAGE_TAG) or job_name


def describe_run_failure(instance: DagsterInstance, run_id: str) -> RunFailure:
    """Read the run's event log: failed steps with their error types, and every check that did not pass."""
    run = instance.get_run_by_id(run_id)
    tags = dict(run.tags) if run else {}
    failure = RunFailure(run_id=run_id, job=job_label(run.job_name if run else "?", tags), partition=tags.get(PARTITION_TAG))
    for record in instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        failure.failed_steps.append(event.step_key or "?")
        root = _root(event.step_failure_data.error if event.step_failure_data else None)
        if root is not None:
            failure.error_types.append(root.cls_name or "Error")
            failure.first_error = failure.first_error or root.message
    for record in instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records:
        event = record.event_log_entry.dagster_event
        evaluation = event.asset_check_evaluation_data if event else None
        if evaluation is not None and not evaluation.passed:
            problems = evaluation.metadata.get("problems")
            failure.failed_checks.append(
                FailedCheck(
                    evaluation.asset_key.to_user_string(),
                    evaluation.check_name,
                    evaluation.partition or failure.partition,
                    str(problems.value) if problems is not None else None,
                )
            )
    return failure


def redact(message: str) -> str:
    """The first line of an error message, MySQL's quoted values masked, cut to a console line."""
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    line = mask_values(line)
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


def where(partition: str | None) -> str:
    return partition or "all databases"


def reason_line(failure: RunFailure) -> str:
    """One line: which checks failed on which database, else which step failed and why (redacted)."""
    if failure.failed_checks:
        by_place: dict[tuple[str, str | None], list[str]] = {}
        for c in failure.failed_checks:
            by_place.setdefault((c.asset, c.partition), []).append(c.check + (f" [{redact(c.problems)}]" if c.problems else ""))
        parts = [f"{', '.join(checks)} on {where(db)} ({asset})" for (asset, db), checks in by_place.items()]
        return f"check failed: {'; '.join(parts)} [run {failure.run_id}]"
    if failure.failed_steps:
        kind = failure.error_types[0] if failure.error_types else "Error"
        detail = redact(failure.first_error or "")
        return f"step failed: {', '.join(failure.failed_steps)} on {where(failure.partition)}: {kind}: {detail} [run {failure.run_id}]"
    return f"run failed on {where(failure.partition)} before any step ran (see its event log) [run {failure.run_id}]"
