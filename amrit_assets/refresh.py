"""Run a whole refresh through Dagster (the same asset graph the UI materializes), step by step."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster import DagsterInstance, materialize

from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.jobs import AUDIT, EXTRACT, MAPPING, PUBLISH
from amrit_assets.partitions import DATABASES


class RefreshFailed(RuntimeError):
    pass


@dataclass
class RefreshReport:
    run_ids: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)


def root_cause(error) -> str:
    """The innermost error message: the one that names the problem, not Dagster's step wrapper."""
    if error is None:
        return "see its event log"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def run_refresh(instance: DagsterInstance, resources: dict, databases: Iterable[str] = DATABASES) -> RefreshReport:
    """extract every database, build the mapping once, publish every database, then audit."""
    report = RefreshReport()
    dbs = list(databases)
    steps = [(EXTRACT, db) for db in dbs] + [(MAPPING, None)] + [(PUBLISH, db) for db in dbs] + [(AUDIT, None)]
    for selection, db in steps:
        start = time.monotonic()
        result = materialize(
            [*REFRESH_ASSETS, *ASSET_CHECKS], selection=selection, partition_key=db, instance=instance, resources=resources, raise_on_error=False
        )
        report.run_ids.append(result.run_id)
        if not result.success:
            failure = next((e for e in result.all_events if e.is_step_failure), None)
            error = failure.step_failure_data.error if failure and failure.step_failure_data else None
            raise RefreshFailed(f"run {result.run_id} ({db or 'all databases'}) failed: {root_cause(error)}")
        for stat in instance.get_run_step_stats(result.run_id):
            if stat.start_time and stat.end_time:
                report.stage_seconds[stat.step_key] = report.stage_seconds.get(stat.step_key, 0.0) + stat.end_time - stat.start_time
        report.stage_seconds["wall"] = report.stage_seconds.get("wall", 0.0) + time.monotonic() - start
    return report

