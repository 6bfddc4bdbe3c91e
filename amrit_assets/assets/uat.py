"""Stage 6: the anonymized dump restored into UAT, only if it is the one the checks passed on.

The dump goes into a shadow database, is verified against the anonymized workspace database, and
is swapped into place atomically (``resources/swap.py``): UAT is never half-refreshed.
"""

import functools
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, asset

from amrit_assets.checks.guard import ChecksNotPassed, latest_metadata, require_checks_passed
from amrit_assets.checks.refresh_checks import ANONYMIZED_CHECKS
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import restore_dump
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.refresh_lock import POOL
from amrit_assets.resources.safety import writes_to_targets
from amrit_assets.resources.swap import publish
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
    restore = functools.partial(restore_dump, expected_sha256=str(dump["sha256"]))
    report = publish(uat_server.address, db, Path(path), expected, restore)
    if report.recovered:
        context.log.warning(f"{db}: {report.recovered}")
    return MaterializeResult(
        metadata={
            "database": db,
            "tables": report.tables,
            "rows": report.rows,
            "restore_seconds": round(report.restore_seconds, 2),
            "swap": "shadow restored, verified, swapped atomically; previous state kept for rollback",
            "recovered": report.recovered or "nothing to recover",
            **{f"{kind}": n for kind, n in report.objects.items()},
            "anonymized_run": checked_run,
            "dump_sha256": dump["sha256"],
        }
    )
