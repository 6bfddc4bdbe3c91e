"""Schedules of the refresh.

``weekly_refresh`` starts a full refresh of all four databases every Sunday at 01:00 India time.
It is **off by default** (a refresh replaces UAT): turn it on in the UI (Automation → weekly_refresh
→ toggle) or with ``dagster schedule start weekly_refresh -w workspace.yaml`` (needs the daemon:
``dagster dev`` runs one; in Docker the ``dagster-daemon`` container does).

What one tick does: an ``extract`` run per database (``source_schema`` and its blocking schema gate,
``raw_dump``, ``staging``), all tagged ``amrit/refresh=<tick time>``. The ``refresh_chain`` sensor
(on by default, inert without such runs) then requests ``mapping`` once all four extracts
succeeded, and ``publish`` per database once the mapping succeeded. A failed step stops the chain
there and leaves UAT untouched; re-executing the failed run (it keeps the tag) resumes it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from amrit_assets.jobs import extract_job
from amrit_assets.partitions import DATABASES

REFRESH_TAG = "amrit/refresh"
WEEKLY_CRON = "0 1 * * 0"  # Sunday 01:00
TIMEZONE = "Asia/Kolkata"


def refresh_requests(refresh_id: str) -> list[RunRequest]:
    """One ``extract`` run per database, keyed and tagged with the refresh they belong to."""
    return [RunRequest(partition_key=db, run_key=f"{refresh_id}:extract:{db}", tags={REFRESH_TAG: refresh_id}) for db in DATABASES]


@schedule(
    name="weekly_refresh",
    job=extract_job,
    cron_schedule=WEEKLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Full refresh of all four databases, weekly (off by default; refresh_chain runs mapping and publish).",
)
def weekly_refresh(context: ScheduleEvaluationContext) -> list[RunRequest]:
    when = context.scheduled_execution_time or datetime.now(timezone.utc)
    return refresh_requests(when.strftime("%Y-%m-%dT%H:%M%z"))


SCHEDULES = [weekly_refresh]
