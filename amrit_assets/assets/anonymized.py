"""Stage 4: anonymize a staged database in place: the catalog compiled to one UPDATE per table, tables on
``AMRIT_PARALLELISM`` connections at once (``anonymize.execute``)."""

import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets import policy
from amrit_assets.anonymize.compile import plan_database
from amrit_assets.common.keys import fingerprint
from amrit_assets.common.resolve import resolve_live
from amrit_assets.anonymize.execute import anonymize_database, progress_total
from amrit_assets.catalog.coverage import catalog_hash
from amrit_assets.assets.state import mark_anonymized, require_original
from amrit_assets.checks.guard import require_checks_passed, require_mapping_current
from amrit_assets.partitions import DATABASES, database_partitions
from amrit_assets.progress import Progress
from amrit_assets.resources.inspect import on_update_columns, unique_columns
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.refresh_lock import POOL
from amrit_assets.resources.safety import writes_to_targets
from amrit_assets.resources.settings import RefreshSettings
from amrit_assets.resources.swap import triggers_suspended


@asset(partitions_def=database_partitions, deps=["staging", "benregid_mapping"], group_name="refresh", kinds={"mysql"}, pool=POOL)
@writes_to_targets
def anonymized(
    context: AssetExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> MaterializeResult:
    """The staged database with every personal column replaced per the catalog (fail-closed)."""
    db = context.partition_key
    require_checks_passed(context.instance, "benregid_mapping", ["mapping_is_bijection"], None)
    require_mapping_current(context.instance, DATABASES)
    key = policy.key(settings)
    catalog = policy.catalog(settings)
    with workspace.get_connection() as conn:
        require_original(conn, db)
        resolutions = resolve_live(conn, catalog, (db,))
        on_update = on_update_columns(conn, db)
        plans = plan_database(db, resolutions, on_update, unique_columns(conn, db))
        strategy_columns: dict[str, int] = {}
        for plan in plans:
            for strategy in plan.columns.values():
                strategy_columns[strategy] = strategy_columns.get(strategy, 0) + 1
        progress = Progress(context.log.info, db, "anonymize", progress_total(db, plans, resolutions))
        start = time.monotonic()
        with triggers_suspended(conn, db) as suspended:
            # per table: free text and JSON first (name dictionary, maps), then the UPDATEs that read what it left
            stats = anonymize_database(
                conn, workspace.connect, db, plans, resolutions, key, uat_credential=settings.uat_credential or None,
                on_update=on_update, workers=settings.workers(), progress=progress,
            )
        mark_anonymized(conn, db, context.run.run_id)
    seconds = time.monotonic() - start
    text_stats = stats.text
    context.log.info(f"anonymized {db}: {stats.tables_changed} tables, {stats.rows_changed} rows changed in {seconds:.1f}s"
                     f" on {settings.workers()} connections (free text and JSON: {text_stats['text_rows_read']} rows)")
    return MaterializeResult(
        metadata={
            "database": db,
            "tables_changed": stats.tables_changed,
            "triggers_suspended": suspended,
            "rows_changed": stats.rows_changed,
            "columns_per_strategy": MetadataValue.json(dict(sorted(strategy_columns.items()))),
            "catalog": catalog.source,
            "catalog_sha256": catalog_hash(catalog),
            "key_fingerprint": fingerprint(key),
            **text_stats,
            "seconds": round(seconds, 2),
            "workers": settings.workers(),
        }
    )
