"""Stage 2: the raw dump restored into the isolated workspace server, where anonymization happens.

Only the encrypted dump whose sha256 the latest ``raw_dump`` recorded is restored (a plaintext or
replaced file is refused); it is verified whole before the workspace database is dropped, and decrypted as it
streams into the ``mysql`` client. With ``AMRIT_RAW_DUMP_RETENTION_HOURS=0`` the dump is deleted as
soon as it is restored.
"""

import time
from pathlib import Path

from dagster import AssetExecutionContext, DagsterInstance, MaterializeResult, MetadataValue, asset

from amrit_assets import policy
from amrit_assets.assets.state import mark_staged
from amrit_assets.checks.integrity import record_row_counts
from amrit_assets.partitions import database_partitions
from amrit_assets.progress import Progress
from amrit_assets.checks.guard import latest_metadata
from amrit_assets.resources.dumps import DumpError, apply_retention, restore_dump
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.refresh_lock import POOL
from amrit_assets.resources.safety import writes_to_targets
from amrit_assets.resources.settings import RefreshSettings


def recorded_sha256(instance: DagsterInstance, db: str, path: Path) -> str:
    """The sha256 the latest raw_dump[db] recorded: staging restores that file and no other."""
    sha = latest_metadata(instance, "raw_dump", db).get("sha256")
    if not sha:
        raise DumpError(
            f"dump {path} has no record: no materialization of raw_dump[{db}] recorded its sha256, so the file cannot be "
            f"proven to be the one raw_dump wrote. Fix: materialize raw_dump[{db}] again; the staged {db} was not touched"
        )
    return str(sha)


@asset(partitions_def=database_partitions, deps=["raw_dump"], group_name="refresh", kinds={"mysql"}, pool=POOL)
@writes_to_targets
def staging(
    context: AssetExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> MaterializeResult:
    """A staging copy of the source database on the workspace server (still holds PII)."""
    db = context.partition_key
    path = settings.raw_dump_path(db)
    tables = int(latest_metadata(context.instance, "raw_dump", db).get("tables") or 0)  # what raw_dump counted
    restored = restore_dump(
        workspace.address, db, path, key=policy.key(settings), expected_sha256=recorded_sha256(context.instance, db, path), require_encrypted=True,
        progress=Progress(context.log.info, db, "staging restore", tables), workers=settings.workers(),
    )
    retention = apply_retention(path.parent, settings.raw_retention_hours(), restored=path)
    if restored.views_pending:
        context.log.warning(f"views waiting for another database (created when it is restored): {', '.join(restored.views_pending)}")
    start = time.monotonic()
    with workspace.get_connection() as conn:
        counts = row_counts(conn, db)
        record_row_counts(conn, db, counts)
        mark_staged(conn, db, context.run.run_id)
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
