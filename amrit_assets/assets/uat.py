"""Stage 6: the anonymized dump restored into UAT, only if it is the one the checks passed on."""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, asset

from amrit_assets.checks.guard import ChecksNotPassed, latest_metadata, require_checks_passed
from amrit_assets.checks.refresh_checks import ANONYMIZED_CHECKS
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import file_sha256, restore_database
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["anonymized_dump"], group_name="refresh", kinds={"mysql"})
def uat(context: AssetExecutionContext, uat_server: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """The UAT database, refreshed from the anonymized dump whose checks passed."""
    db = context.partition_key
    checked_run = require_checks_passed(context.instance, "anonymized", ANONYMIZED_CHECKS, db)
    dump = latest_metadata(context.instance, "anonymized_dump", db)
    path = settings.dump_path("anonymized", db)
    if dump.get("anonymized_run") != checked_run:
        raise ChecksNotPassed(f"anonymized_dump[{db}] was not made from the checked anonymized[{db}] (run {checked_run}): materialize it again")
    if not Path(path).exists() or file_sha256(path) != dump.get("sha256"):
        raise ChecksNotPassed(f"{path} is missing or differs from the dump anonymized_dump[{db}] recorded: materialize it again")
    seconds = restore_database(uat_server.address, db, path)
    conn = uat_server.connect()
    counts = row_counts(conn, db)
    conn.close()
    return MaterializeResult(
        metadata={
            "database": db,
            "tables": len(counts),
            "rows": sum(counts.values()),
            "restore_seconds": round(seconds, 2),
            "anonymized_run": checked_run,
            "dump_sha256": dump["sha256"],
        }
    )
