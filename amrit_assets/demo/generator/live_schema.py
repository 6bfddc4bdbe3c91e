"""The live schema: columns, keys and FKs read from the built server (the truth), and the carried column kinds."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from amrit_assets.demo.generator.base import KINDS_FILE, GenerationError
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.resources.mysql import ServerAddress, connect


@dataclass
class Column:
    name: str
    data_type: str
    column_type: str
    nullable: bool
    key: str
    max_len: int | None
    precision: int | None
    scale: int | None

    @property
    def lname(self) -> str:
        return self.name.lower()

    @property
    def is_int(self) -> bool:
        return self.data_type in ("tinyint", "smallint", "mediumint", "int", "bigint")

    @property
    def is_numeric(self) -> bool:
        return self.is_int or self.data_type in ("decimal", "float", "double", "bit", "year")

    @property
    def is_text(self) -> bool:
        return self.data_type in ("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json", "enum", "set")

    @property
    def is_temporal(self) -> bool:
        return self.data_type in ("date", "datetime", "timestamp", "time", "year")

    @property
    def int_max(self) -> int:
        unsigned = "unsigned" in self.column_type
        bits = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "bigint": 64}.get(self.data_type, 64)
        return 2**bits - 1 if unsigned else 2 ** (bits - 1) - 1


@dataclass
class TableInfo:
    db: str
    name: str
    columns: list[Column]
    pk: list[str]
    uniques: list[list[str]]
    fks: dict[str, tuple[str, str, str]]  # column -> (ref db, ref table, ref column)


def read_schema(addr: ServerAddress, tables: set[tuple[str, str]], dbs: Sequence[str]) -> dict[tuple[str, str], TableInfo]:
    """Column types, keys and FKs of the tables to fill, from information_schema (the built schema is the truth)."""
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            ph = ",".join(["%s"] * len(dbs))
            cur.execute(
                "SELECT TABLE_SCHEMA, LOWER(TABLE_NAME), COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY,"
                " CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS"
                f" WHERE TABLE_SCHEMA IN ({ph}) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
                tuple(dbs),
            )
            cols: dict[tuple[str, str], list[Column]] = {}
            for db, t, c, dt, ct, nul, key, ml, prec, scale in cur.fetchall():
                if (db, t) in tables:
                    cols.setdefault((db, t), []).append(
                        Column(c, dt.lower(), ct.lower(), nul == "YES", key, int(ml) if ml is not None else None, prec, scale)
                    )
            cur.execute(
                "SELECT TABLE_SCHEMA, LOWER(TABLE_NAME), INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS"
                f" WHERE TABLE_SCHEMA IN ({ph}) AND NON_UNIQUE = 0 ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
                tuple(dbs),
            )
            idx: dict[tuple[str, str, str], list[str]] = {}
            for db, t, ix, c in cur.fetchall():
                if (db, t) in tables:
                    idx.setdefault((db, t, ix), []).append(c)
            fks = read_fks(cur, dbs)
    finally:
        conn.close()
    out = {}
    for (db, t), cs in cols.items():
        pk = idx.get((db, t, "PRIMARY"), [])
        uniques = [v for (d, tt, ix), v in idx.items() if d == db and tt == t]
        out[(db, t)] = TableInfo(db, t, cs, pk, uniques, {c: ref for (d, tt, c), ref in fks.items() if d == db and tt == t})
    missing = tables - set(out)
    if missing:
        raise GenerationError(f"tables missing from the schema on the server: {sorted(missing)[:10]}")
    return out


def read_fks(cur, dbs: Sequence[str]) -> dict[tuple[str, str, str], tuple[str, str, str]]:
    ph = ",".join(["%s"] * len(dbs))
    cur.execute(
        "SELECT TABLE_SCHEMA, LOWER(TABLE_NAME), COLUMN_NAME, REFERENCED_TABLE_SCHEMA, LOWER(REFERENCED_TABLE_NAME),"
        f" REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA IN ({ph})"
        " AND REFERENCED_TABLE_NAME IS NOT NULL",
        tuple(dbs),
    )
    return {(db, t, c): (rdb, rt, rc) for db, t, c, rdb, rt, rc in cur.fetchall()}


def fk_closure(plan: Sequence[TableSpec], fks: dict[tuple[str, str, str], tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Master tables referenced (transitively) by the planned tables' declared FKs, not planned themselves."""
    planned = {(s.db, s.table) for s in plan}
    by_table: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for (db, t, _c), (rdb, rt, _rc) in fks.items():
        by_table.setdefault((db, t), set()).add((rdb, rt))
    seen: list[tuple[str, str]] = []
    todo = sorted(planned)
    while todo:
        cur = todo.pop(0)
        for ref in sorted(by_table.get(cur, ())):
            if ref not in planned and ref not in seen:
                seen.append(ref)
                todo.append(ref)
    return seen

def load_kinds(path: Path = KINDS_FILE) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(db, table, lower(column)) -> (pii_category, link_kind), from the committed TSV."""
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    with path.open(newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            out[(r["db"], r["table"].lower(), r["column"].lower())] = (r["pii_category"], r["link_kind"])
    return out
