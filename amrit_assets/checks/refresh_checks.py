"""Blocking asset checks on the mapping and on each anonymized database (visible in the UI's Checks tab).

Each reports counts per table and column in its metadata, never a value, and names its database.
"""

import contextlib
import time
from collections.abc import Iterator

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from amrit_assets import policy
from amrit_assets.catalog.model import Resolution
from amrit_assets.common.resolve import resolve_live
from amrit_assets.checks.integrity import bijection_violations, new_orphans, row_count_changes, unique_violations
from amrit_assets.checks.leaks import LeakReport, scan_database
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings

# What must have passed on an anonymized database before it is dumped or reaches UAT.
ANONYMIZED_CHECKS = ("zero_pii_leaks", "zero_new_orphans", "row_counts_preserved", "unique_indexes_hold")


def _json(counts: dict) -> MetadataValue:
    return MetadataValue.json(dict(sorted(counts.items())))


@contextlib.contextmanager
def resolved(workspace: MySQLResource, settings: RefreshSettings, db: str) -> Iterator[tuple[object, list[Resolution]]]:
    """Every check's prologue: a workspace connection, closed however the check ends, and the catalog resolved on ``db``."""
    with workspace.get_connection() as conn:
        yield conn, resolve_live(conn, policy.catalog(settings), (db,))


@asset_check(asset="benregid_mapping", blocking=True, description="Every map is one-to-one: count(in) = count(distinct out).")
def mapping_is_bijection(workspace: MySQLResource) -> AssetCheckResult:
    with workspace.get_connection() as conn:
        excess = bijection_violations(conn)
    return AssetCheckResult(passed=not any(excess.values()), metadata={"duplicates_per_kind": _json(excess)})


@asset_check(
    asset="anonymized",
    blocking=True,
    partitions_def=database_partitions,
    description="No original (fingerprinted in staging) in any text, JSON or number column: full names of anyone, phones, Aadhaar, ABHA, ids, e-mails, accounts in any writing, street lines; no unchanged cell holding a bare or rare name.",
)
def zero_pii_leaks(context: AssetCheckExecutionContext, workspace: MySQLResource, settings: RefreshSettings) -> AssetCheckResult:
    db = context.partition_key
    start = time.monotonic()
    with resolved(workspace, settings, db) as (_, resolutions):
        report = scan_database(workspace.address, db, resolutions, policy.key(settings), workers=settings.workers(), log=context.log.info)
    context.log.info(f"{db}: {report.total} leak findings over {report.scanned_columns} columns")
    return AssetCheckResult(
        passed=report.total == 0,
        metadata={
            "database": db,
            "findings": report.total,
            "findings_per_category": _json({cat: sum(cols.values()) for cat, cols in report.by_category().items()}),
            "findings_per_column": _json({f"{where} ({cat})": n for cat, cols in report.by_category().items() for where, n in cols.items()}),
            "problems": leak_problems(report),
            "columns_scanned": report.scanned_columns,
            "values_tokenized": report.scanned_values,
            "scrubbed_tables_without_row_identity": report.tables_without_row_identity,
            "seconds": round(time.monotonic() - start, 2),
            "workers": settings.workers(),
        },
    )


def leak_problems(report: LeakReport, most: int = 5) -> str:
    """The failure's sentence: the columns with the most findings (names and counts, never a value)."""
    top = sorted(report.findings.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "; ".join(f"{n} {cat} in {where}" for (where, cat), n in top[:most])
    more = f"; and {len(top) - most} more columns (findings_per_column)" if len(top) > most else ""
    return (text + more) or "none"


@asset_check(
    asset="anonymized",
    blocking=True,
    partitions_def=database_partitions,
    description="Every id reference and declared FK that resolved in the source still resolves.",
)
def zero_new_orphans(context: AssetCheckExecutionContext, workspace: MySQLResource, settings: RefreshSettings) -> AssetCheckResult:
    db = context.partition_key
    with resolved(workspace, settings, db) as (conn, resolutions):
        ids, fks = new_orphans(conn, db, resolutions)
    return AssetCheckResult(
        passed=not ids.new and not fks.new,
        metadata={
            "database": db,
            "id_columns_checked": len(ids.after),
            "fks_checked": len(fks.after),
            "orphans_in_source": sum(ids.before.values()),
            "fk_violations_in_source": sum(fks.before.values()),
            "new_orphans": _json(ids.new),
            "new_fk_violations": _json(fks.new),
        },
    )


@asset_check(asset="anonymized", blocking=True, partitions_def=database_partitions, description="Row counts equal staging's (truncated tables empty).")
def row_counts_preserved(context: AssetCheckExecutionContext, workspace: MySQLResource, settings: RefreshSettings) -> AssetCheckResult:
    db = context.partition_key
    with resolved(workspace, settings, db) as (conn, resolutions):
        truncated = {r.column.table for r in resolutions if r.strategy == "truncate"}
        counts = row_counts(conn, db)
        changed = row_count_changes(conn, db, counts, truncated)
    return AssetCheckResult(
        passed=not changed,
        metadata={"database": db, "tables": len(counts), "rows": sum(counts.values()), "tables_truncated": len(truncated),
                  "changed": _json({t: f"{a} -> {b}" for t, (a, b) in changed.items()})},
    )


@asset_check(asset="anonymized", blocking=True, partitions_def=database_partitions, description="Every unique index still holds.")
def unique_indexes_hold(context: AssetCheckExecutionContext, workspace: MySQLResource) -> AssetCheckResult:
    db = context.partition_key
    with workspace.get_connection() as conn:
        dups = unique_violations(conn, db)
    return AssetCheckResult(
        passed=not dups,
        severity=AssetCheckSeverity.ERROR,
        metadata={"database": db, "duplicate_keys_per_index": _json(dups)},
    )


REFRESH_CHECKS = [mapping_is_bijection, zero_pii_leaks, zero_new_orphans, row_counts_preserved, unique_indexes_hold]
