"""Build the four AMRIT databases on a server: from the project's DDL, or from Flyway migrations.

``build_from_ddl`` uses ``sql/schema/<db>.sql`` (the real AMRIT schema, carried by the project).
``build_from_migrations`` applies an AMRIT-DB checkout's ``V<n>__*.sql`` files in Flyway's numeric
version order and records them in ``flyway_schema_history``, as AMRIT's own developers do.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from amrit_assets.flyway import list_migrations, parse_version
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import SCHEMA_DIR
from amrit_assets.resources.mysql import ServerAddress, client_defaults_file, connect

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
    addr: ServerAddress, db: str, version: str, description: str, script: str = "", kind: str = "SQL"
) -> None:
    conn = connect(addr, db)
    with conn.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(installed_rank), 0) + 1 FROM flyway_schema_history")
        rank = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
            " installed_by, installed_on, execution_time, success) VALUES (%s,%s,%s,%s,%s,0,'amrit-anon',NOW(),0,1)",
            (rank, version, description[:200], kind, script or f"V{version}__{description[:50]}.sql"),
        )
    conn.close()


def migrations_folder(checkout: Path, db: str) -> Path:
    """Either ``<checkout>/<db>`` or AMRIT-DB's ``src/main/resources/db/migration/<folder>``."""
    for candidate in (checkout / db, checkout / "src/main/resources/db/migration" / MIGRATION_FOLDERS[db]):
        if candidate.is_dir():
            return candidate
    raise SchemaBuildError(f"no migrations folder for {db} under {checkout} (expected {db}/ or src/main/resources/db/migration/)")


def build_from_migrations(addr: ServerAddress, checkout: Path, databases: tuple[str, ...] = DATABASES) -> dict[str, str]:
    """Apply each database's migrations in version order; returns the last version applied per database."""
    create_databases(addr, databases)
    applied: dict[str, str] = {}
    for db in databases:
        conn = connect(addr, db)
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY,"
                " version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,"
                " script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,"
                " installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL,"
                " success TINYINT(1) NOT NULL, KEY ix_success (success))"
            )
            cur.execute("SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL")
            done = {parse_version(r[0]) for r in cur.fetchall()}
        conn.close()
        for mig in list_migrations(migrations_folder(checkout, db)):
            if mig.version in done:
                continue
            run_sql_file(addr, db, mig.path)
            record_flyway_version(addr, db, mig.version_text, mig.description, mig.path.name)
            applied[db] = mig.version_text
    return applied
