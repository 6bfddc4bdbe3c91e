"""Stage 4: anonymize a staged database in place: the catalog compiled to one UPDATE per table."""

import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets import policy
from amrit_assets.anonymize.compile import plan_database
from amrit_assets.common.keys import fingerprint, set_session_keys
from amrit_assets.common.resolve import resolve_live
from amrit_assets.anonymize.textpass import scrub_database, text_columns
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
        with conn.cursor() as cur:
            set_session_keys(cur, key, settings.uat_credential or None)
        # a table counts once for its free text and once for its UPDATE
        progress = Progress(context.log.info, db, "anonymize", len(text_columns(db, resolutions)) + sum(1 for p in plans if p.statements))
        start = time.monotonic()
        rows_changed = 0
        tables_changed = 0
        strategy_columns: dict[str, int] = {}
        with triggers_suspended(conn, db) as suspended, conn.cursor() as cur:
            cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
            # Free text and JSON first, by the name dictionary and the maps; the UPDATEs then read what it left.
            text_stats = scrub_database(conn, db, resolutions, key, on_update, progress=progress)
            for plan in plans:
                for strategy in plan.columns.values():
                    strategy_columns[strategy] = strategy_columns.get(strategy, 0) + 1
                if not plan.statements:
                    continue
                cur.execute(f"SELECT 1 FROM `{db}`.`{plan.table}` LIMIT 1")
                if cur.fetchone() is not None:
                    rows_changed += cur.execute(plan.statements[0])
                    for statement in plan.statements[1:]:
                        cur.execute(statement)
                    tables_changed += 1
                progress.advance()
        mark_anonymized(conn, db, context.run.run_id)
    seconds = time.monotonic() - start
    context.log.info(f"anonymized {db}: {tables_changed} tables, {rows_changed} rows changed in {seconds:.1f}s"
                     f" (free text and JSON: {text_stats['text_rows_read']} rows in {text_stats['text_seconds']:.1f}s)")
    return MaterializeResult(
        metadata={
            "database": db,
            "tables_changed": tables_changed,
            "triggers_suspended": suspended,
            "rows_changed": rows_changed,
            "columns_per_strategy": MetadataValue.json(dict(sorted(strategy_columns.items()))),
            "catalog": catalog.source,
            "catalog_sha256": catalog_hash(catalog),
            "key_fingerprint": fingerprint(key),
            **text_stats,
            "seconds": round(seconds, 2),
        }
    )
