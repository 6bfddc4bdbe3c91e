"""Schedules of the refresh.

``weekly_refresh`` starts a full refresh of all four databases every Sunday at 01:00 India time.
It is **off by default** (a refresh replaces UAT): turn it on in the UI (Automation → weekly_refresh
→ toggle) or with ``dagster schedule start weekly_refresh -w workspace.yaml`` (needs the daemon:
``dagster dev`` runs one; in Docker the ``dagster-daemon`` container does).

What one tick does: a ``schema_gate`` run per database (``source_schema`` with its blocking schema
gate and preflight), all tagged ``amrit/refresh=<tick time>``, so nothing is dumped from production
until every database's gate passed, as in ``amrit-anon refresh``. The ``refresh_chain`` sensor (on by
default, inert without such runs) then requests ``extract`` per database, ``mapping`` once all four
extracts succeeded, ``publish`` per database, and ``audit``. A failed step stops the chain there and
leaves UAT untouched; re-executing the failed run (it keeps the tag) resumes it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from amrit_assets.jobs import schema_gate_job
from amrit_assets.partitions import DATABASES

REFRESH_TAG = "amrit/refresh"
WEEKLY_CRON = "0 1 * * 0"  # Sunday 01:00
TIMEZONE = "Asia/Kolkata"


def refresh_requests(refresh_id: str) -> list[RunRequest]:
    """One ``schema_gate`` run per database (the refresh's first stage), keyed and tagged with the refresh they belong to."""
    return [RunRequest(partition_key=db, run_key=f"{refresh_id}:schema_gate:{db}", tags={REFRESH_TAG: refresh_id}) for db in DATABASES]


@schedule(
    name="weekly_refresh",
    job=schema_gate_job,
    cron_schedule=WEEKLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Full refresh of all four databases, weekly: every schema gate first, then refresh_chain runs extract, "
    "mapping, publish and audit (off by default).",
)
def weekly_refresh(context: ScheduleEvaluationContext) -> list[RunRequest]:
    when = context.scheduled_execution_time or datetime.now(timezone.utc)
    return refresh_requests(when.strftime("%Y-%m-%dT%H:%M%z"))


SCHEDULES = [weekly_refresh]
