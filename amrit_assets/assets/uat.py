"""Stage 6: the anonymized dump restored into UAT, only if it is the one the checks passed on.

``uat[db]`` restores the dump into a shadow database and verifies it against the anonymized
workspace database; ``uat_swap`` then swaps every verified shadow in with ONE ``RENAME TABLE``
(``resources/swap.py``): UAT is never half-refreshed, and never a mix of two refreshes.
"""

import functools
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets.checks.guard import ChecksNotPassed, latest_metadata, require_checks_passed
from amrit_assets.checks.refresh_checks import ANONYMIZED_CHECKS
from amrit_assets.partitions import DATABASES, database_partitions
from amrit_assets.resources.dumps import restore_dump
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.refresh_lock import POOL
from amrit_assets.resources.safety import writes_to_targets
from amrit_assets.resources.swap import SwapError, prepare_shadow, swap_prepared, waiting_shadows
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["anonymized_dump"], group_name="refresh", kinds={"mysql"}, pool=POOL)
@writes_to_targets
def uat(
    context: AssetExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> MaterializeResult:
    """The UAT database, refreshed from the anonymized dump whose checks passed."""
    db = context.partition_key
    checked_run = require_checks_passed(context.instance, "anonymized", ANONYMIZED_CHECKS, db)
    dump = latest_metadata(context.instance, "anonymized_dump", db)
    path = settings.dump_path("anonymized", db)
    if dump.get("anonymized_run") != checked_run:
        raise ChecksNotPassed(f"anonymized_dump[{db}] was not made from the checked anonymized[{db}] (run {checked_run}): materialize it again")
    if not dump.get("sha256"):
        raise ChecksNotPassed(f"anonymized_dump[{db}] recorded no sha256: materialize it again")
    expected = {t: int(n) for t, n in (dump.get("row_counts") or {}).items()}  # counted when the dump was made
    # the hash is compared on the private copy the restore reads (dumps.sealed_copy), not on the file
    restore = functools.partial(restore_dump, expected_sha256=str(dump["sha256"]), workers=settings.workers())
    report = prepare_shadow(uat_server.address, db, Path(path), expected, restore)
    if report.recovered:
        context.log.warning(f"{db}: {report.recovered}")
    return MaterializeResult(
        metadata={
            "database": db,
            "tables": report.tables,
            "rows": report.rows,
            "restore_seconds": round(report.restore_seconds, 2),
            "swap": "shadow restored and verified; uat_swap swaps it in together with the other databases",
            "shadow": report.shadow,
            "recovered": report.recovered or "nothing to recover",
            "anonymized_run": checked_run,
            "dump_sha256": dump["sha256"],
        }
    )


@asset(deps=["uat"], group_name="refresh", kinds={"mysql"}, pool=POOL)
@writes_to_targets
def uat_swap(
    context: AssetExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> MaterializeResult:
    """UAT moves as one: every verified shadow of the latest uat[db] runs, swapped in by ONE RENAME TABLE (or none)."""
    shadows = {db: str(meta["shadow"]) for db in DATABASES if (meta := latest_metadata(context.instance, "uat", db)).get("shadow")}
    waiting = waiting_shadows(uat_server.address, shadows)
    if not waiting:
        raise SwapError("no verified shadow is waiting to be swapped in: materialize uat for the refreshed databases first; UAT was not touched")
    reports = swap_prepared(uat_server.address, waiting)
    context.log.info(f"swapped {', '.join(reports)} into UAT in one RENAME TABLE")
    return MaterializeResult(
        metadata={
            "databases": MetadataValue.json(sorted(reports)),
            "tables": sum(r.tables for r in reports.values()),
            "rows": sum(r.rows for r in reports.values()),
            "swap": "all shadows swapped in one RENAME TABLE; the previous states kept for rollback",
            **{f"{db}_{kind}": n for db, r in reports.items() for kind, n in r.objects.items()},
        }
    )
