"""Build the four AMRIT databases on a server: from the project's DDL, or from Flyway migrations.

``build_from_ddl`` uses ``sql/schema/<db>.sql`` (the real AMRIT schema, carried by the project).
``build_from_migrations`` applies an AMRIT-DB checkout's ``V<n>__*.sql`` files in Flyway's numeric
version order and records them in ``flyway_schema_history``, as AMRIT's own developers do; the databases
in the order their cross-database reads need, with MariaDB's fix-ups (``schema_migrations``).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from amrit_assets.demo.schema_migrations import (
    SESSION_SQL,
    MigrationOrderError,
    database_order,
    error_line,
    failure_hint,
    flyway_checksum,
    prepared_sql,
    references,
)
from amrit_assets.flyway import Migration, list_migrations, parse_version
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import SCHEMA_DIR
from amrit_assets.resources.mysql import ServerAddress, client_defaults_file, connect
from amrit_assets.resources.portable import is_mariadb_version

# The carried DDL is AMRIT-DB at commit 368e374, where each database's last migration is the version
# here; the demo records it as Flyway does a baseline at that version (``flyway baseline``).
BASELINE_VERSIONS = {"db_iemr": "92", "db_identity": "18", "db_reporting": "3", "db_1097_identity": "5"}

# AMRIT-DB's migration folders, per database.
MIGRATION_FOLDERS = {
    "db_iemr": "dbiemr",
    "db_identity": "dbidentity",
    "db_reporting": "dbreporting",
    "db_1097_identity": "db1097identity",
}

class SchemaBuildError(RuntimeError):
    pass


def run_sql_file(addr: ServerAddress, database: str, path: Path) -> None:
    """Pipe a SQL file into the ``mysql`` client (fast for thousands of DDL statements)."""
    with client_defaults_file(addr) as cnf, path.open("rb") as f:
        res = subprocess.run(
            ["mysql", f"--defaults-extra-file={cnf}", "--init-command=SET FOREIGN_KEY_CHECKS=0", database],
            stdin=f,
            capture_output=True,
        )
    if res.returncode != 0:
        raise SchemaBuildError(f"applying {path.name} to {database} failed: {res.stderr.decode(errors='replace')[:2000]}")


def create_databases(addr: ServerAddress, databases: tuple[str, ...] = DATABASES) -> None:
    conn = connect(addr)
    with conn.cursor() as cur:
        for db in databases:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{db}` DEFAULT CHARACTER SET utf8mb4")
    conn.close()


def build_from_ddl(addr: ServerAddress, databases: tuple[str, ...] = DATABASES) -> None:
    create_databases(addr, databases)
    for db in databases:
        run_sql_file(addr, db, SCHEMA_DIR / f"{db}.sql")
        record_flyway_version(addr, db, BASELINE_VERSIONS[db], "<< Flyway Baseline >>", "<< Flyway Baseline >>", "BASELINE")


def record_flyway_version(
    addr: ServerAddress,
    db: str,
    version: str,
    description: str,
    script: str = "",
    kind: str = "SQL",
    checksum: int | None = 0,
    execution_ms: int = 0,
) -> None:
    conn = connect(addr, db)
    with conn.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(installed_rank), 0) + 1 FROM flyway_schema_history")
        rank = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
            " installed_by, installed_on, execution_time, success) VALUES (%s,%s,%s,%s,%s,%s,%s,NOW(),%s,1)",
            (rank, version, description[:200], kind, script or f"V{version}__{description[:50]}.sql", checksum,
             "amrit-anon" if kind == "BASELINE" else addr.user, execution_ms),
        )
    conn.close()


def migrations_folder(checkout: Path, db: str) -> Path:
    """``<checkout>/<db>``, AMRIT-DB's ``src/main/resources/db/migration/<folder>``, or ``<checkout>/<folder>``."""
    folder = MIGRATION_FOLDERS[db]
    for candidate in (checkout / db, checkout / "src/main/resources/db/migration" / folder, checkout / folder):
        if candidate.is_dir():
            return candidate
    raise SchemaBuildError(
        f"no migrations folder for {db} under {checkout}: point at an AMRIT-DB checkout (src/main/resources/db/migration/{folder}/)"
        f" or at a folder holding {folder}/ or {db}/"
    )


_HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY,"
    " version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,"
    " script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,"
    " installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL,"
    " success TINYINT(1) NOT NULL, KEY flyway_schema_history_s_idx (success))"
)


def _server_facts(addr: ServerAddress) -> tuple[bool, set[str]]:
    """Whether the server is MariaDB, and its schemas; refuses a server that keeps names' case."""
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@lower_case_table_names, VERSION()")
            lower, version = cur.fetchone()
            cur.execute("SELECT LOWER(schema_name) FROM information_schema.schemata")
            schemas = {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    if int(lower) != 1:
        raise SchemaBuildError(
            f"the server runs lower_case_table_names={lower}; AMRIT runs 1 and its migrations name one table in several"
            " cases (i_BeneficiaryDetails, i_beneficiarydetails): start the server with lower_case_table_names=1"
            " (a start option; MySQL 8 takes it only when the data directory is initialized)"
        )
    return is_mariadb_version(version), schemas


def _applied_versions(addr: ServerAddress, db: str) -> set[tuple[int, ...]]:
    conn = connect(addr, db)
    try:
        with conn.cursor() as cur:
            cur.execute(_HISTORY_DDL)
            cur.execute("SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL")
            return {parse_version(r[0]) for r in cur.fetchall()}
    finally:
        conn.close()


def migration_plan(checkout: Path, databases: tuple[str, ...] = DATABASES, present: set[str] = frozenset()) -> list[tuple[str, list[Migration]]]:
    """Each database's migrations, the databases ordered by what their views and copies read."""
    found = {db: list_migrations(migrations_folder(checkout, db)) for db in databases}
    refs = {db: references(db, migs, MIGRATION_FOLDERS) for db, migs in found.items()}
    for db, rs in refs.items():
        for r in rs:
            if r.other not in databases and r.other not in present:
                raise SchemaBuildError(
                    f"{r.script} of {db} reads {r.other}.{r.name}, and {r.other} is neither on the server nor in this build: build {r.other} too"
                )
    try:
        return [(db, found[db]) for db in database_order(refs, databases)]
    except MigrationOrderError as e:
        raise SchemaBuildError(str(e)) from None


def apply_migration(addr: ServerAddress, db: str, path: Path, mariadb: bool) -> int:
    """One migration through the ``mysql`` client under MySQL 8's session settings; returns its milliseconds."""
    start = time.monotonic()
    with client_defaults_file(addr) as cnf:
        res = subprocess.run(
            ["mysql", f"--defaults-extra-file={cnf}", f"--init-command={SESSION_SQL}", db],
            input=prepared_sql(path, mariadb),
            capture_output=True,
        )
    if res.returncode != 0:
        err = res.stderr.decode(errors="replace")
        raise SchemaBuildError(f"{path.name} of {db} failed ({path}): {error_line(err)}\nfix: {failure_hint(err, db)}")
    return int((time.monotonic() - start) * 1000)


def build_from_migrations(addr: ServerAddress, checkout: Path, databases: tuple[str, ...] = DATABASES) -> dict[str, str]:
    """Apply each database's pending migrations in Flyway's order, recorded as Flyway does; returns the last version per database."""
    mariadb, present = _server_facts(addr)
    plan = migration_plan(checkout, databases, present)
    create_databases(addr, databases)
    applied: dict[str, str] = {}
    for db, migrations in plan:
        done = _applied_versions(addr, db)
        for mig in migrations:
            if mig.version in done:
                continue
            ms = apply_migration(addr, db, mig.path, mariadb)
            checksum = flyway_checksum(mig.path.read_bytes())
            record_flyway_version(addr, db, mig.version_text, mig.description, mig.path.name, checksum=checksum, execution_ms=ms)
            applied[db] = mig.version_text
    return applied
