"""Run a whole refresh through Dagster (the same asset graph the UI materializes), step by step."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dagster import AssetSelection, DagsterInstance, materialize

from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.failures import STAGE_TAG, describe_run_failure, reason_line
from amrit_assets.jobs import AUDIT, EXTRACT, MAPPING, PUBLISH
from amrit_assets.partitions import DATABASES

ANONYMIZE_ONLY = AssetSelection.assets("anonymized", "anonymized_dump")  # publish without the UAT restore


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


def refresh_steps(databases: list[str], publish_uat: bool = True) -> list[tuple[str, AssetSelection, str | None]]:
    """``(stage, selection, database)`` in order; without UAT, publish stops at the checked, anonymized dump."""
    publish = PUBLISH if publish_uat else ANONYMIZE_ONLY
    tail = [("audit", AUDIT, None)] if publish_uat else []
    return [("extract", EXTRACT, db) for db in databases] + [("mapping", MAPPING, None)] + [("publish", publish, db) for db in databases] + tail


def run_refresh(
    instance: DagsterInstance,
    resources: dict,
    databases: Iterable[str] = DATABASES,
    tags: Mapping[str, str] | None = None,
    publish_uat: bool = True,
) -> RefreshReport:
    """extract every database, build the mapping once, publish every database, then audit.

    Every run is tagged ``amrit/stage`` (its step's name: these runs are all ``__ephemeral_asset_job__``)
    plus ``tags`` (e.g. who triggered it, which the audit reports). ``publish_uat=False`` anonymizes,
    checks and dumps, and leaves UAT (and so the audit of UAT) alone.
    """
    report = RefreshReport()
    steps = refresh_steps(list(databases), publish_uat)
    for stage, selection, db in steps:
        start = time.monotonic()
        result = materialize(
            [*REFRESH_ASSETS, *ASSET_CHECKS],
            selection=selection,
            partition_key=db,
            instance=instance,
            resources=resources,
            raise_on_error=False,
            tags={**(tags or {}), STAGE_TAG: stage},
        )
        report.run_ids.append(result.run_id)
        if not result.success:
            # names the failed checks (with their problems) or the root cause, data values masked
            reason = reason_line(describe_run_failure(instance, result.run_id))
            raise RefreshFailed(reason, run_id=result.run_id, database=db, report=report)
        for stat in instance.get_run_step_stats(result.run_id):
            if stat.start_time and stat.end_time:
                report.stage_seconds[stat.step_key] = report.stage_seconds.get(stat.step_key, 0.0) + stat.end_time - stat.start_time
        report.stage_seconds["wall"] = report.stage_seconds.get("wall", 0.0) + time.monotonic() - start
    return report

