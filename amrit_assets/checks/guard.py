"""Cross-run gating: Dagster's blocking checks stop downstream assets only inside the same run.

A later run that selects only a downstream asset (``anonymized_dump`` or ``uat``, say) would not be
gated, so downstream assets call ``require_checks_passed``: the named checks must have SUCCEEDED on
the exact latest materialization of the upstream asset for this partition.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import DagsterInstance

from amrit_assets.eventlog import SUCCEEDED, check_executions, evaluated, input_pointer, latest


class ChecksNotPassed(RuntimeError):
    pass


def require_checks_passed(instance: DagsterInstance, asset: str, checks: Iterable[str], partition: str | None) -> str:
    """Return the run id of the checked materialization, or raise naming each check that did not pass."""
    where = f"{asset}[{partition}]" if partition else asset
    mat = latest(instance, asset, partition)
    if mat is None:
        raise ChecksNotPassed(f"{where} has never been materialized: materialize it (its checks run with it) first")
    problems = []
    for name in checks:
        rec = next(check_executions(instance, asset, name, partition), None)
        if rec is None or not evaluated(rec, mat):
            problems.append(f"{name} has not run on the latest {where} (run {mat.run_id})")
        elif rec.status.value != SUCCEEDED:
            problems.append(f"{name} {rec.status.value.lower()} on the latest {where} (run {mat.run_id})")
    if problems:
        raise ChecksNotPassed(
            f"refusing to use {where}: " + "; ".join(problems) + f". Fix the cause and materialize {where} again; nothing was changed."
        )
    return mat.run_id


def latest_metadata(instance: DagsterInstance, asset: str, partition: str | None) -> dict[str, object]:
    """The plain metadata values of an asset's latest materialization for a partition ({} if none)."""
    record = latest(instance, asset, partition)
    if record is None or record.asset_materialization is None:
        return {}
    return {k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()}


def require_mapping_current(instance: DagsterInstance, databases: Iterable[str]) -> None:
    """Refuse a ``benregid_mapping`` older than any staged database: it would miss (or mis-map) the ids restaged since."""
    mapping = latest(instance, "benregid_mapping", None)
    if mapping is None:
        raise ChecksNotPassed("benregid_mapping has never been materialized: run the mapping job (after extract) first")
    recorded, seen = input_pointer(mapping, "staging")  # the newest staging when the mapping started: what it read
    seen = (seen or 0) if recorded else mapping.storage_id
    newer = [db for db in databases if (staged := latest(instance, "staging", db)) is not None and staged.storage_id > seen]
    if newer:
        raise ChecksNotPassed(
            f"refusing a stale benregid_mapping (run {mapping.run_id}): staging of {', '.join(newer)} was materialized after it."
            " Run the mapping job again, then publish; nothing was changed."
        )
