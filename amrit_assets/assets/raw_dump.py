"""Stage 1: a consistent snapshot dump of one source database (read-only session), encrypted at rest.

The dump holds production PII, so it is written as ``raw/<db>.sql.enc`` (AES-256-GCM under a subkey
of ``AMRIT_ANON_KEY``), and raw dumps older than ``AMRIT_RAW_DUMP_RETENTION_HOURS`` are deleted.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets import policy
from amrit_assets.catalog.gate import check_dump_version
from amrit_assets.checks.guard import require_checks_passed
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import apply_retention, dump_database
from amrit_assets.resources.inspect import base_tables, schema_version
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["source_schema"], group_name="refresh", kinds={"mysql"})
def raw_dump(context: AssetExecutionContext, source: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """The source database as mysqldump wrote it, with routines, triggers and events. Holds PII."""
    db = context.partition_key
    # The schema gate and preflight must have passed on the latest source_schema[db], also when this run selects raw_dump alone.
    require_checks_passed(context.instance, "source_schema", ["catalog_covers_schema", "preflight"], db)
    with source.get_connection() as conn:
        version = schema_version(conn, db)
        tables = len(base_tables(conn, db))
    check_dump_version(db, version, policy.catalog(settings).verified.get(db))  # no migration since the gate passed
    path = settings.raw_dump_path(db)
    retention = apply_retention(path.parent, settings.raw_retention_hours())  # first: frees disk for the new dump
    result = dump_database(source.address, db, path, key=policy.key(settings))
    retention = retention.keeping(path)
    context.log.info(
        f"dumped {db}: {tables} tables, {result.bytes} bytes (encrypted) in {result.seconds:.1f}s; "
        f"{len(retention.deleted)} raw dump(s) past retention deleted"
    )
    return MaterializeResult(
        metadata={
            "database": db,
            "schema_version": version or "unknown",
            "tables": tables,
            "bytes": MetadataValue.int(result.bytes),
            "sha256": result.sha256,
            "path": MetadataValue.path(str(result.path)),
            "seconds": round(result.seconds, 2),
            "encryption": "AES-256-GCM, HKDF-SHA256 subkey of AMRIT_ANON_KEY",
            **retention.metadata(),
        }
    )
