"""Stage 5: the anonymized database dumped: the shareable artifact."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets.assets.state import require_anonymized
from amrit_assets.checks.guard import ChecksNotPassed, require_checks_passed
from amrit_assets.checks.refresh_checks import ANONYMIZED_CHECKS
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import dump_database
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["anonymized"], group_name="refresh", kinds={"mysql"})
def anonymized_dump(context: AssetExecutionContext, workspace: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """mysqldump of the anonymized workspace database (never of a staged, original one)."""
    db = context.partition_key
    checked_run = require_checks_passed(context.instance, "anonymized", ANONYMIZED_CHECKS, db)
    with workspace.get_connection() as conn:
        anonymized_run = require_anonymized(conn, db)
        counts = row_counts(conn, db)  # what UAT's shadow must hold before it is swapped in
    if anonymized_run != checked_run:
        raise ChecksNotPassed(
            f"the workspace holds {db} from run {anonymized_run}, but the checks passed on run {checked_run}: "
            f"materialize anonymized[{db}] again"
        )
    result = dump_database(workspace.address, db, settings.dump_path("anonymized", db))
    return MaterializeResult(
        metadata={
            "database": db,
            "anonymized_run": anonymized_run,
            "bytes": MetadataValue.int(result.bytes),
            "sha256": result.sha256,
            "path": MetadataValue.path(str(result.path)),
            "seconds": round(result.seconds, 2),
            "row_counts": MetadataValue.json(counts),
        }
    )
