"""Stage 2: the raw dump restored into the isolated workspace server, where anonymization happens."""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from amrit_assets.assets.state import mark_staged
from amrit_assets.checks.integrity import record_row_counts
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import restore_database
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["raw_dump"], group_name="refresh", kinds={"mysql"})
def staging(context: AssetExecutionContext, workspace: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """A staging copy of the source database on the workspace server (still holds PII)."""
    db = context.partition_key
    seconds = restore_database(workspace.address, db, settings.dump_path("raw", db))
    start = time.monotonic()
    conn = workspace.connect()
    counts = row_counts(conn, db)
    record_row_counts(conn, db, counts)
    mark_staged(conn, db, context.run.run_id)
    conn.close()
    return MaterializeResult(
        metadata={
            "database": db,
            "tables": len(counts),
            "rows": sum(counts.values()),
            "restore_seconds": round(seconds, 2),
            "count_seconds": round(time.monotonic() - start, 2),
        }
    )
