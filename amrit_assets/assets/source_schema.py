"""Stage 0: the live schema of one source database and its Flyway version, read before anything moves.

Its blocking check ``catalog_covers_schema`` (``checks/schema_gate.py``) is the schema gate: a
refresh (``raw_dump`` onwards) only runs on a schema the catalog covers, at the Flyway version the
catalog was verified against. The Flyway sensor materializes this asset on its own (the
``schema_gate`` job) whenever a source database gets a new migration.
"""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets import policy
from amrit_assets.catalog.coverage import columns_from_server
from amrit_assets.catalog.gate import schema_fingerprint
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.inspect import schema_version
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(partitions_def=database_partitions, group_name="refresh", kinds={"mysql"})
def source_schema(context: AssetExecutionContext, source: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """The source database's tables, views and columns (information_schema) and its Flyway version.

    Metadata holds counts, names and versions only, never a data value.
    """
    db = context.partition_key
    with source.get_connection() as conn:
        version = schema_version(conn, db)
        columns = columns_from_server(conn, [db])
    tables = {c.table for c in columns if not c.is_view}
    views = {c.table for c in columns if c.is_view}
    verified = policy.catalog(settings).verified.get(db)
    context.log.info(f"{db}: Flyway version {version or 'unknown'}, {len(tables)} tables, {len(views)} views, {len(columns)} columns")
    return MaterializeResult(
        metadata={
            "database": db,
            "schema_version": version or "unknown",
            "catalog_verified_version": verified or "none",
            "tables": len(tables),
            "views": len(views),
            "columns": len(columns),
            "schema_sha256": schema_fingerprint(columns),
            "table_names": MetadataValue.json(sorted(tables | views)),
        }
    )
