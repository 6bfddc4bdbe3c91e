"""Cross-run gating: Dagster's blocking checks stop downstream assets only inside the same run.

A later run that selects only a downstream asset (``anonymized_dump`` or ``uat``, say) would not be
gated, so downstream assets call ``require_checks_passed``: the named checks must have SUCCEEDED on
the exact latest materialization of the upstream asset for this partition.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AssetCheckKey, AssetKey, AssetRecordsFilter, DagsterInstance
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus


class ChecksNotPassed(RuntimeError):
    pass


def require_checks_passed(instance: DagsterInstance, asset: str, checks: Iterable[str], partition: str | None) -> str:
    """Return the run id of the checked materialization, or raise naming each check that did not pass."""
    key = AssetKey(asset)
    where = f"{asset}[{partition}]" if partition else asset
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=1
    ).records
    if not records:
        raise ChecksNotPassed(f"{where} has never been materialized: materialize it (its checks run with it) first")
    mat = records[0]
    problems = []
    for name in checks:
        history = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(key, name), limit=1, partition_filter=PartitionKeyFilter(key=partition) if partition else None
        )
        rec = history[0] if history else None
        if rec is None or rec.run_id != mat.run_id:
            problems.append(f"{name} has not run on the latest {where} (run {mat.run_id})")
        elif rec.status != AssetCheckExecutionRecordStatus.SUCCEEDED:
            problems.append(f"{name} {rec.status.value.lower()} on the latest {where} (run {mat.run_id})")
    if problems:
        raise ChecksNotPassed(
            f"refusing to use {where}: " + "; ".join(problems) + f". Fix the cause and materialize {where} again; nothing was changed."
        )
    return mat.run_id


def latest_metadata(instance: DagsterInstance, asset: str, partition: str | None) -> dict[str, object]:
    """The plain metadata values of an asset's latest materialization for a partition ({} if none)."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition] if partition else None), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return {}
    return {k: getattr(v, "value", v) for k, v in records[0].asset_materialization.metadata.items()}


def _latest(instance: DagsterInstance, asset: str, partition: str | None):
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition] if partition else None), limit=1
    ).records
    return records[0] if records else None


def require_mapping_current(instance: DagsterInstance, databases: Iterable[str]) -> None:
    """Refuse a ``benregid_mapping`` older than any staged database: it would miss (or mis-map) the ids restaged since."""
    mapping = _latest(instance, "benregid_mapping", None)
    if mapping is None:
        raise ChecksNotPassed("benregid_mapping has never been materialized: run the mapping job (after extract) first")
    newer = [db for db in databases if (staged := _latest(instance, "staging", db)) is not None and staged.storage_id > mapping.storage_id]
    if newer:
        raise ChecksNotPassed(
            f"refusing a stale benregid_mapping (run {mapping.run_id}): staging of {', '.join(newer)} was materialized after it."
            " Run the mapping job again, then publish; nothing was changed."
        )
