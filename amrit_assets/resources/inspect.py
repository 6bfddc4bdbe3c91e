"""Read-only facts about a database: Flyway version, tables, exact row counts, ON UPDATE columns."""

from __future__ import annotations

from amrit_assets.flyway import is_numeric_version, parse_version

FLYWAY_VERSIONS_SQL = "SELECT version FROM `{db}`.flyway_schema_history WHERE success = 1 AND version IS NOT NULL"
BASE_TABLES_SQL = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name"
)
ON_UPDATE_SQL = (
    "SELECT table_name, column_name FROM information_schema.columns "
    "WHERE table_schema = %s AND LOWER(extra) LIKE '%%on update%%'"
)

TABLE_BYTES_SQL = (
    "SELECT table_name, COALESCE(data_length, 0) + COALESCE(index_length, 0) FROM information_schema.tables"
    " WHERE table_schema = %s AND table_type = 'BASE TABLE'"
)
UNIQUE_COLUMNS_SQL = "SELECT DISTINCT table_name, column_name FROM information_schema.statistics WHERE table_schema = %s AND non_unique = 0"


def schema_version(conn, db: str) -> str | None:
    """The highest successfully applied Flyway version (numeric order: V10 after V9), or None."""
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'flyway_schema_history'", (db,))
        if not cur.fetchone()[0]:
            return None
        cur.execute(FLYWAY_VERSIONS_SQL.format(db=db))
        versions = [r[0] for r in cur.fetchall()]
    numeric = [v for v in versions if is_numeric_version(v)]
    if numeric:
        return max(numeric, key=parse_version)
    return max(versions) if versions else None


def base_tables(conn, db: str) -> list[str]:
    with conn.cursor() as cur:
        cur.execute(BASE_TABLES_SQL, (db,))
        return [r[0] for r in cur.fetchall()]


def row_counts(conn, db: str) -> dict[str, int]:
    """Exact row count of every base table (one COUNT(*) per table, in one round trip each)."""
    counts = {}
    with conn.cursor() as cur:
        for table in base_tables(conn, db):
            cur.execute(f"SELECT COUNT(*) FROM `{db}`.`{table}`")
            counts[table] = cur.fetchone()[0]
    return counts


def table_bytes(conn, db: str) -> dict[str, int]:
    """The server's estimate of each base table's size (data + indexes): largest first balances parallel work."""
    with conn.cursor() as cur:
        cur.execute(TABLE_BYTES_SQL, (db,))
        return {t: int(n) for t, n in cur.fetchall()}


def on_update_columns(conn, db: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with conn.cursor() as cur:
        cur.execute(ON_UPDATE_SQL, (db,))
        for table, column in cur.fetchall():
            out.setdefault(table, []).append(column)
    return out


def unique_columns(conn, db: str) -> dict[str, set[str]]:
    """Columns that take part in a primary key or unique index, per table."""
    out: dict[str, set[str]] = {}
    with conn.cursor() as cur:
        cur.execute(UNIQUE_COLUMNS_SQL, (db,))
        for table, column in cur.fetchall():
            out.setdefault(table, set()).add(column)
    return out
