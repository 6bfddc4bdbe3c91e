"""Stage 2: the raw dump restored into the isolated workspace server, where anonymization happens.

The encrypted dump is verified whole before the workspace database is dropped, and decrypted as it
streams into the ``mysql`` client. With ``AMRIT_RAW_DUMP_RETENTION_HOURS=0`` the dump is deleted as
soon as it is restored.
"""

import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets.assets.state import mark_staged
from amrit_assets.checks.integrity import record_row_counts
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import apply_retention, restore_dump
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.safety import require_safe_targets
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["raw_dump"], group_name="refresh", kinds={"mysql"})
def staging(
    context: AssetExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> MaterializeResult:
    """A staging copy of the source database on the workspace server (still holds PII)."""
    db = context.partition_key
    # config may have changed since preflight: never restore a PII copy onto the source or onto UAT
    require_safe_targets(source.address, {"workspace": workspace.address, "uat": uat_server.address})
    path = settings.raw_dump_path(db)
    restored = restore_dump(workspace.address, db, path, key=settings.key())
    retention = apply_retention(path.parent, settings.raw_retention_hours(), restored=path)
    if restored.views_pending:
        context.log.warning(f"views waiting for another database (created when it is restored): {', '.join(restored.views_pending)}")
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
            "restore_seconds": round(restored.seconds, 2),
            "count_seconds": round(time.monotonic() - start, 2),
            "views_created": len(restored.views_created),
            "views_pending": MetadataValue.json(restored.views_pending),
            "views_completed_elsewhere": MetadataValue.json(restored.views_completed),
            **retention.metadata(),
        }
    )
