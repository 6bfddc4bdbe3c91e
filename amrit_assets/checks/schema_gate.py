"""The schema gate as Dagster sees it: a blocking check on ``source_schema``, and a migration preview.

``catalog_covers_schema`` runs with every materialization of ``source_schema[db]``: in the
``schema_gate`` job the Flyway sensor starts, and in every refresh (``extract`` selects
``source_schema`` first, and ``raw_dump`` refuses unless this check passed on the latest
``source_schema[db]``). The verdict itself is ``catalog.gate.evaluate_gate``; this module only reads
the server and reports.

``preview_migrations`` answers the same question for migrations that are not in production yet:
it copies the source database's schema (no data) into a throwaway server, applies the pending
``V<n>__*.sql`` files of an AMRIT-DB checkout (``AMRIT_MIGRATIONS_DIR``), and runs the gate on the
result, so a DBA sees the verdict before the migration reaches production.
"""

import os
import subprocess
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    Config,
    Failure,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    asset_check,
    op,
)

from amrit_assets import policy
from amrit_assets.catalog.coverage import columns_from_server
from amrit_assets.catalog.gate import (
    FlywayMigration,
    GateVerdict,
    evaluate_gate,
    highest_version,
    is_after,
    read_flyway_history,
    schema_fingerprint,
)
from amrit_assets.demo.schema import MIGRATION_FOLDERS
from amrit_assets.demo.schema_migrations import SESSION_SQL, prepared_sql
from amrit_assets.flyway import Migration, list_migrations
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.dumps import DumpError, find_client
from amrit_assets.resources.mysql import MySQLResource, ServerAddress, client_defaults_file, connection
from amrit_assets.resources.portable import is_mariadb_client, map_0900_collations
from amrit_assets.resources.settings import RefreshSettings

MIGRATIONS_ENV = "AMRIT_MIGRATIONS_DIR"


# --- an AMRIT-DB checkout ---------------------------------------------------------------------------


def migrations_checkout() -> Path | None:
    """The AMRIT-DB checkout named by ``AMRIT_MIGRATIONS_DIR``, if any (optional everywhere)."""
    value = os.environ.get(MIGRATIONS_ENV, "").strip()
    return Path(value) if value else None


def migration_folder(checkout: Path, db: str) -> Path | None:
    """``<checkout>/<db>/``, AMRIT-DB's ``src/main/resources/db/migration/<folder>/`` or ``<checkout>/<folder>/``; None if none exists."""
    folder = MIGRATION_FOLDERS.get(db, db)
    for candidate in (checkout / db, checkout / "src/main/resources/db/migration" / folder, checkout / folder):
        if candidate.is_dir():
            return candidate
    return None


def migrations_of(checkout: Path | None, db: str) -> list[Migration]:
    folder = migration_folder(checkout, db) if checkout else None
    return list_migrations(folder) if folder else []


def as_flyway(m: Migration) -> FlywayMigration:
    return FlywayMigration(m.version_text, m.description, m.path.name)


def migration_texts(migrations: list[Migration]) -> list[tuple[FlywayMigration, str]]:
    return [(as_flyway(m), m.path.read_text(errors="replace")) for m in migrations]


# --- reporting ---------------------------------------------------------------------------------------


def _dagster_metadata(verdict: GateVerdict, extra: dict | None = None) -> dict:
    out: dict = {}
    for key, value in {**verdict.metadata(), **(extra or {})}.items():
        if key == "stub":
            if value:
                out[key] = MetadataValue.md(f"```\n{value}```")
        elif isinstance(value, (list, dict)):
            out[key] = MetadataValue.json(value)
        elif isinstance(value, str) and len(value) > 200:
            out[key] = MetadataValue.text(value)
        else:
            out[key] = value
    return out


def _recorded_fingerprint(context: AssetCheckExecutionContext, db: str) -> str | None:
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("source_schema"), asset_partitions=[db]), limit=1
    ).records
    if not records or records[0].run_id != context.op_execution_context.run_id:
        return None
    mat = records[0].asset_materialization
    value = mat.metadata.get("schema_sha256") if mat else None
    return getattr(value, "value", value)


# --- the gate ----------------------------------------------------------------------------------------


@asset_check(
    asset="source_schema",
    blocking=True,
    partitions_def=database_partitions,
    description=(
        "Fail-closed schema gate: every column of the live source schema resolves in the catalog, and the "
        "database's Flyway version is the catalog's @verified one. Fails with the unresolved columns, the "
        "migration that introduced them, and a stub of suggested catalog lines."
    ),
)
def catalog_covers_schema(context: AssetCheckExecutionContext, source: MySQLResource, settings: RefreshSettings) -> AssetCheckResult:
    db = context.partition_key
    catalog = policy.catalog(settings)
    with source.get_connection() as conn:
        applied = read_flyway_history(conn, db)
        columns = columns_from_server(conn, [db])
    files = migration_texts(migrations_of(migrations_checkout(), db))
    verdict = evaluate_gate(catalog, db, columns, applied, files)
    fingerprint = schema_fingerprint(columns)
    recorded = _recorded_fingerprint(context, db)
    passed = verdict.passed
    headline = verdict.headline()
    if recorded is not None and recorded != fingerprint:
        passed = False
        headline = f"the schema of {db} changed between source_schema and its gate: materialize source_schema[{db}] again"
    if passed:
        context.log.info(headline)
    else:
        context.log.error(verdict.message() if not verdict.passed else headline)
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=headline,
        metadata=_dagster_metadata(verdict, {"schema_sha256": fingerprint}),
    )


# --- the preview of pending migrations ---------------------------------------------------------------

def _client(*names: str) -> str:
    try:
        return find_client(*names)
    except DumpError as e:
        raise Failure(str(e)) from None


def copy_schema(source: ServerAddress, target: ServerAddress, db: str) -> None:
    """The structure of ``db`` (tables and views, no rows) from the source into ``target``."""
    dump_bin, mysql_bin = _client("mysqldump", "mariadb-dump"), _client("mysql", "mariadb")
    args = ["--no-data", "--skip-triggers", "--no-tablespaces", "--skip-lock-tables", "--single-transaction", "--default-character-set=utf8mb4"]
    if not is_mariadb_client(dump_bin):
        args += ["--set-gtid-purged=OFF", "--column-statistics=0"]
    with client_defaults_file(source) as cnf:
        res = subprocess.run([dump_bin, f"--defaults-extra-file={cnf}", *args, db], capture_output=True)
    if res.returncode != 0:
        raise Failure(f"dumping the schema of {db} failed: {res.stderr.decode(errors='replace')[:1500]}")
    ddl = map_0900_collations(res.stdout)  # a MariaDB preview server does not know them; a column list does not change
    with connection(target) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{db}` DEFAULT CHARACTER SET utf8mb4")
    with client_defaults_file(target) as cnf:
        res = subprocess.run(
            [mysql_bin, f"--defaults-extra-file={cnf}", "--init-command=SET FOREIGN_KEY_CHECKS=0", db], input=ddl, capture_output=True
        )
    if res.returncode != 0:
        raise Failure(f"loading the schema of {db} into the preview server failed: {res.stderr.decode(errors='replace')[:1500]}")


def apply_migration(target: ServerAddress, db: str, path: Path) -> None:
    mysql_bin = _client("mysql", "mariadb")
    with client_defaults_file(target) as cnf:
        res = subprocess.run(
            [mysql_bin, f"--defaults-extra-file={cnf}", f"--init-command={SESSION_SQL}", db], input=prepared_sql(path, mariadb=True), capture_output=True
        )
    if res.returncode != 0:
        raise Failure(f"{path.name} does not apply to the current schema of {db}: {res.stderr.decode(errors='replace')[:1500]}")


def pending_migrations(migrations: list[Migration], live_version: str | None) -> list[Migration]:
    """The checkout's migrations Flyway would still apply: versions after the live one."""
    return [m for m in migrations if live_version is None or is_after(m.version_text, live_version)]


class PreviewConfig(Config):
    db: str


@op(
    out=Out(Nothing),
    description=(
        "The schema gate on the source schema plus the pending migrations of the AMRIT-DB checkout in "
        f"{MIGRATIONS_ENV}, applied on a throwaway server: fails with the stub before the migration reaches production."
    ),
)
def preview_migrations(context: OpExecutionContext, config: PreviewConfig, source: MySQLResource, settings: RefreshSettings) -> Output:
    from amrit_assets.resources.embedded import EmbeddedServer

    db = config.db
    checkout = migrations_checkout()
    if checkout is None:
        raise Failure(f"set {MIGRATIONS_ENV} to an AMRIT-DB checkout (<db>/V<n>__*.sql) to preview its migrations")
    catalog = policy.catalog(settings)
    with source.get_connection() as conn:
        applied = read_flyway_history(conn, db) or []
    live = highest_version(m.version for m in applied)
    migrations = migrations_of(checkout, db)
    pending = pending_migrations(migrations, live)
    if not pending:
        context.log.info(f"{db}: no migration in {checkout} after the source's version {live}")
        return Output(None, metadata={"database": db, "schema_version": live or "unknown", "pending": MetadataValue.json([])})
    with EmbeddedServer(f"preview-{db}") as server:
        assert server.address is not None
        copy_schema(source.address, server.address, db)
        for m in pending:
            apply_migration(server.address, db, m.path)
        with connection(server.address) as preview:
            columns = columns_from_server(preview, [db])
    after = applied + [as_flyway(m) for m in pending]
    verdict = evaluate_gate(catalog, db, columns, after, migration_texts(migrations), require_verified_version=False)
    extra = {"source_version": live or "unknown", "pending": [m.path.name for m in pending]}
    metadata = _dagster_metadata(verdict, extra)
    if not verdict.passed:
        context.log.error(verdict.message())
        raise Failure(description=f"preview of {', '.join(m.path.name for m in pending)}: {verdict.headline()}", metadata=metadata)
    bump = verdict.live_version
    context.log.info(f"{verdict.headline()}. When it reaches production, re-verify and set '@verified {db} {bump}'.")
    return Output(None, metadata=metadata)
