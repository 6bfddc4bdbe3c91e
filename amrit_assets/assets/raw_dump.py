"""Stage 1: a consistent snapshot dump of one source database (read-only session)."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets.catalog.gate import check_dump_version
from amrit_assets.checks.guard import require_checks_passed
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import dump_database
from amrit_assets.resources.inspect import base_tables, schema_version
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, deps=["source_schema"], group_name="refresh", kinds={"mysql"})
def raw_dump(context: AssetExecutionContext, source: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """The source database as mysqldump wrote it, with routines, triggers and events. Holds PII."""
    db = context.partition_key
    # The schema gate must have passed on the latest source_schema[db], also when this run selects raw_dump alone.
    require_checks_passed(context.instance, "source_schema", ["catalog_covers_schema"], db)
    conn = source.connect()
    version = schema_version(conn, db)
    tables = len(base_tables(conn, db))
    conn.close()
    check_dump_version(db, version, settings.catalog().verified.get(db))  # no migration since the gate passed
    result = dump_database(source.address, db, settings.dump_path("raw", db))
    context.log.info(f"dumped {db}: {tables} tables, {result.bytes} bytes in {result.seconds:.1f}s")
    return MaterializeResult(
        metadata={
            "database": db,
            "schema_version": version or "unknown",
            "tables": tables,
            "bytes": MetadataValue.int(result.bytes),
            "sha256": result.sha256,
            "path": MetadataValue.path(str(result.path)),
            "seconds": round(result.seconds, 2),
        }
    )
