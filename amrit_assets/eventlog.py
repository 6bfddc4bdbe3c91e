"""Reading Dagster's event log through its public API: materializations, what each one read, check executions.

What a materialization read is the pointer Dagster records on it (``DataProvenance.input_storage_ids``):
the storage id of the newest materialization of each upstream asset, of any partition, when the step
started. The newest ``upstream[partition]`` at or below that id is the one the step read, also when
another run materialized the upstream while the step ran ("the newest before this materialization"
would pick that one instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dagster import AssetCheckKey, AssetKey, AssetRecordsFilter, DagsterInstance, DataProvenance, EventLogRecord

PAGE = 100
SUCCEEDED = "SUCCEEDED"  # AssetCheckExecutionRecordStatus.SUCCEEDED.value (the enum is not exported by dagster)


def latest(
    instance: DagsterInstance,
    asset: str,
    partition: str | None,
    *,
    before: int | None = None,
    after: int | None = None,
    match: Callable[[EventLogRecord], bool] | None = None,
    pages: int = 20,
) -> EventLogRecord | None:
    """The newest materialization before a storage id (or the oldest after one) that matches, or None."""
    ascending = after is not None and before is None
    cursor = None
    for _ in range(pages):
        result = instance.fetch_materializations(
            AssetRecordsFilter(
                asset_key=AssetKey(asset),
                asset_partitions=[partition] if partition else None,
                before_storage_id=before,
                after_storage_id=after,
            ),
            limit=1 if match is None else PAGE,
            cursor=cursor,
            ascending=ascending,
        )
        for record in result.records:
            if match is None or match(record):
                return record
        if not result.has_more:
            return None
        cursor = result.cursor
    return None


def input_pointer(record: EventLogRecord, upstream: str) -> tuple[bool, int | None]:
    """(recorded, storage id): the newest ``upstream`` materialization Dagster saw when this step started."""
    mat = record.asset_materialization
    provenance = DataProvenance.from_tags(mat.tags or {}) if mat is not None else None
    key = AssetKey(upstream)
    if provenance is None or key not in provenance.input_storage_ids:
        return False, None
    return True, provenance.input_storage_ids[key]


def read_by(instance: DagsterInstance, record: EventLogRecord, upstream: str, partition: str | None) -> EventLogRecord | None:
    """The ``upstream[partition]`` materialization the step that wrote ``record`` read.

    Without a recorded pointer (an event reported outside a step), the newest one before ``record``.
    """
    recorded, pointer = input_pointer(record, upstream)
    if not recorded:
        return latest(instance, upstream, partition, before=record.storage_id)
    if pointer is None:  # the upstream had never been materialized when the step started
        return None
    return latest(instance, upstream, partition, before=pointer + 1)


def check_executions(instance: DagsterInstance, asset: str, check: str, partition: str | None, *, pages: int = 10) -> Iterator:
    """The executions of one check on one partition, newest first (AssetCheckExecutionRecord).

    Dagster's partition filter for this history is not public, so the partition is matched here.
    """
    key = AssetCheckKey(AssetKey(asset), check)
    cursor = None
    for _ in range(pages):
        history = instance.event_log_storage.get_asset_check_execution_history(key, limit=PAGE, cursor=cursor)
        for rec in history:
            if rec.partition == partition:
                yield rec
        if len(history) < PAGE:
            return
        cursor = history[-1].id


def evaluated(rec, record: EventLogRecord) -> bool:
    """Whether a check execution ran on exactly this materialization (its run, and its storage id when recorded)."""
    target = getattr(rec.evaluation, "target_materialization_data", None) if rec.evaluation is not None else None
    return rec.run_id == record.run_id and (target is None or target.storage_id == record.storage_id)
