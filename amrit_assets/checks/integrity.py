"""Link and shape integrity: what anonymization must not break.

Baselines are taken while every database is staged and original (in the mapping step), so a check
on one anonymized database does not depend on the order the others are published in:
- the registry: db_identity's mapping ids, as they will be after remapping;
- orphans per id column before anonymization, so production's own orphans are reported, not blamed;
- violations per declared FK before anonymization;
- row counts at staging.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from amrit_assets.common.kinds import ID_KINDS, WORK_DB, is_text_type
from amrit_assets.catalog.model import Resolution
from amrit_assets.control import ddl

# Where each id kind is registered: a reference that resolves there is not an orphan.
REGISTRY = {"benregid": ("db_identity", "m_beneficiaryregidmapping", "BenRegId"),
            "beneficiary_id": ("db_identity", "m_beneficiaryregidmapping", "BeneficiaryID")}

BASELINE_DDL = ddl("registry", "baseline")

FK_SQL = (
    "SELECT k.table_schema, k.table_name, k.constraint_name, k.column_name, k.referenced_table_schema,"
    " k.referenced_table_name, k.referenced_column_name FROM information_schema.key_column_usage k"
    " WHERE k.table_schema = %s AND k.referenced_table_name IS NOT NULL ORDER BY k.table_name, k.constraint_name"
)


def _ensure(cur) -> None:
    for stmt in BASELINE_DDL:
        cur.execute(stmt)


def _id_value(col: str, is_text: bool, alias: str = "t") -> str:
    q = f"{alias}.`{col}`"
    return f"CAST(TRIM({q}) AS UNSIGNED)" if is_text else q


def _id_filter(col: str, is_text: bool, alias: str = "t") -> str:
    q = f"{alias}.`{col}`"
    return f"TRIM({q}) REGEXP '^[0-9]+$'" if is_text else f"{q} IS NOT NULL"


def id_columns(resolutions: Iterable[Resolution]) -> list[Resolution]:
    return [r for r in resolutions if r.strategy in ID_KINDS and not r.column.is_view]


def orphan_count_sql(r: Resolution, *, after: bool) -> str:
    """References of one id column that do not resolve: in the source registry before, in the remapped one after."""
    is_text = is_text_type(r.column.column_type)
    src = f"`{r.column.db}`.`{r.column.table}`"
    val = _id_value(r.column.column, is_text)
    if after:
        exists = f"SELECT 1 FROM {WORK_DB}.registry g WHERE g.kind = '{r.strategy}' AND g.new_id = {val}"
    else:
        db, table, col = REGISTRY[r.strategy]
        exists = f"SELECT 1 FROM `{db}`.`{table}` g WHERE g.`{col}` = {val}"
    return f"SELECT COUNT(*) FROM {src} t WHERE {_id_filter(r.column.column, is_text)} AND NOT EXISTS ({exists})"


def fk_violation_sql(table: str, column: str, ref_db: str, ref_table: str, ref_column: str, db: str) -> str:
    return (
        f"SELECT COUNT(*) FROM `{db}`.`{table}` t WHERE t.`{column}` IS NOT NULL AND NOT EXISTS"
        f" (SELECT 1 FROM `{ref_db}`.`{ref_table}` p WHERE p.`{ref_column}` = t.`{column}`)"
    )


def _foreign_keys(cur, db: str) -> list[tuple]:
    cur.execute(FK_SQL, (db,))
    return list(cur.fetchall())


def record_baselines(conn, databases: Iterable[str], resolutions: list[Resolution]) -> dict[str, int]:
    """Before anything is anonymized: the remapped registry, orphans per id column, FK violations per constraint."""
    stats = {"registry_ids": 0, "orphans_in_source": 0, "fk_violations_in_source": 0}
    with conn.cursor() as cur:
        _ensure(cur)
        cur.execute(f"TRUNCATE {WORK_DB}.registry")
        for kind, (db, table, col) in REGISTRY.items():
            cur.execute(
                f"INSERT IGNORE INTO {WORK_DB}.registry (kind, new_id) SELECT '{kind}', m.new_id FROM `{db}`.`{table}` g"
                f" JOIN {WORK_DB}.id_map m ON m.kind = '{kind}' AND m.old_id = g.`{col}`"
            )
            stats["registry_ids"] += cur.rowcount
        for db in databases:
            cur.execute(f"DELETE FROM {WORK_DB}.baseline WHERE db = %s AND what LIKE 'orphans:%%' OR db = %s AND what LIKE 'fk:%%'", (db, db))
            for r in id_columns(x for x in resolutions if x.column.db == db):
                cur.execute(orphan_count_sql(r, after=False))
                n = cur.fetchone()[0]
                stats["orphans_in_source"] += n
                cur.execute(f"REPLACE INTO {WORK_DB}.baseline VALUES (%s, %s, %s, %s)", (db, r.column.table, f"orphans:{r.column.column}", n))
            for _, table, constraint, column, ref_db, ref_table, ref_column in _foreign_keys(cur, db):
                cur.execute(fk_violation_sql(table, column, ref_db, ref_table, ref_column, db))
                n = cur.fetchone()[0]
                stats["fk_violations_in_source"] += n
                cur.execute(f"REPLACE INTO {WORK_DB}.baseline VALUES (%s, %s, %s, %s)", (db, table, f"fk:{constraint}", n))
    return stats


def record_row_counts(conn, db: str, counts: dict[str, int]) -> None:
    with conn.cursor() as cur:
        _ensure(cur)
        cur.execute(f"DELETE FROM {WORK_DB}.baseline WHERE db = %s AND what = 'rows'", (db,))
        cur.executemany(f"INSERT INTO {WORK_DB}.baseline VALUES (%s, %s, 'rows', %s)", [(db, t, n) for t, n in counts.items()])


def _baseline(cur, db: str, prefix: str) -> dict[tuple[str, str], int]:
    cur.execute(f"SELECT tbl, what, n FROM {WORK_DB}.baseline WHERE db = %s AND what LIKE %s", (db, prefix + "%"))
    return {(t, w): n for t, w, n in cur.fetchall()}


@dataclass
class Finding:
    """Counts per place; ``new`` is what the refresh is to blame for."""

    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    @property
    def new(self) -> dict[str, int]:
        return {k: a - self.before.get(k, 0) for k, a in self.after.items() if a > self.before.get(k, 0)}


def new_orphans(conn, db: str, resolutions: list[Resolution]) -> tuple[Finding, Finding]:
    """(id references, declared FKs) of one anonymized database against their baselines."""
    ids, fks = Finding(), Finding()
    with conn.cursor() as cur:
        base = _baseline(cur, db, "orphans:")
        for r in id_columns(x for x in resolutions if x.column.db == db):
            where = f"{r.column.table}.{r.column.column}"
            cur.execute(orphan_count_sql(r, after=True))
            ids.after[where] = cur.fetchone()[0]
            ids.before[where] = base.get((r.column.table, f"orphans:{r.column.column}"), 0)
        base = _baseline(cur, db, "fk:")
        for _, table, constraint, column, ref_db, ref_table, ref_column in _foreign_keys(cur, db):
            cur.execute(fk_violation_sql(table, column, ref_db, ref_table, ref_column, db))
            fks.after[f"{table}.{constraint}"] = cur.fetchone()[0]
            fks.before[f"{table}.{constraint}"] = base.get((table, f"fk:{constraint}"), 0)
    return ids, fks


def row_count_changes(conn, db: str, counts: dict[str, int], truncated: set[str]) -> dict[str, tuple[int, int]]:
    """Tables whose row count differs from staging (truncated tables must be empty)."""
    with conn.cursor() as cur:
        base = {t: n for (t, _), n in _baseline(cur, db, "rows").items()}
    out = {}
    for table, n in counts.items():
        expected = 0 if table in truncated else base.get(table)
        if expected is None or n != expected:
            out[table] = (base.get(table, -1), n)
    return out


UNIQUE_INDEXES_SQL = (
    "SELECT table_name, index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM information_schema.statistics"
    " WHERE table_schema = %s AND non_unique = 0 GROUP BY table_name, index_name"
)


def unique_violations(conn, db: str) -> dict[str, int]:
    """Duplicate keys per unique index (NULLs excepted, as MySQL allows them)."""
    out = {}
    with conn.cursor() as cur:
        cur.execute(UNIQUE_INDEXES_SQL, (db,))
        for table, index, cols in cur.fetchall():
            q = ", ".join(f"`{c}`" for c in cols.split(","))
            not_null = " AND ".join(f"`{c}` IS NOT NULL" for c in cols.split(","))
            cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM `{db}`.`{table}` WHERE {not_null} GROUP BY {q} HAVING COUNT(*) > 1) d")
            if n := cur.fetchone()[0]:
                out[f"{table}.{index}"] = n
    return out


def bijection_violations(conn) -> dict[str, int]:
    """Per map kind: entries minus distinct replacements (0 when one-to-one)."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT kind, COUNT(*) - COUNT(DISTINCT new_id) FROM {WORK_DB}.id_map GROUP BY kind")
        out = {k: int(n) for k, n in cur.fetchall()}
        cur.execute(f"SELECT kind, COUNT(*) - COUNT(DISTINCT repl) FROM {WORK_DB}.value_map GROUP BY kind")
        out.update({k: int(n) for k, n in cur.fetchall()})
    return out
