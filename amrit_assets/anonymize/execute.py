"""Run one staged database's anonymization: per table, its free-text pass and then its compiled UPDATEs.

Tables are independent: a table's text pass and statements read only that table's own row and the
maps in ``amrit_anon`` (written by ``benregid_mapping`` before, only read here), so the tables run on
``workers`` connections at once (``resources.parallel``), largest first, and the result is the same
for any number of workers. Within a table the order stays: the text pass first, then the UPDATE that
reads what it left. Every worker session gets the derived keys and ``FOREIGN_KEY_CHECKS = 0``;
the caller suspends the triggers around the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pymysql

from amrit_assets.anonymize.compile import TablePlan
from amrit_assets.anonymize.freetext import Dictionary, load_dictionary
from amrit_assets.anonymize.textpass import BATCH, TEXT_COUNTS, scrub_table, table_resolutions, text_columns
from amrit_assets.common.keys import set_session_keys
from amrit_assets.progress import TABLE_COST_BYTES, Progress
from amrit_assets.resources.inspect import table_bytes
from amrit_assets.resources.parallel import on_connections


@dataclass
class AnonymizeStats:
    rows_changed: int = 0
    tables_changed: int = 0
    text: dict[str, float] = field(default_factory=dict)  # the text pass's counts (``TEXT_COUNTS``), text_seconds, name_dictionary_tokens


@dataclass
class _Table:
    plan: TablePlan
    text: list  # resolutions of the table's columns when it has free text or JSON, else empty


def progress_total(db: str, plans: Iterable[TablePlan], resolutions: Iterable) -> int:
    """Units of ``anonymize_database``'s progress: a table counts once for its free text and once for its UPDATE."""
    return len(text_columns(db, resolutions)) + sum(1 for p in plans if p.statements)


def anonymize_database(
    conn: pymysql.Connection,
    open_connection: Callable[[], pymysql.Connection],
    db: str,
    plans: list[TablePlan],
    resolutions: list,
    key: bytes,
    *,
    uat_credential: str | None = None,
    on_update: dict[str, list[str]] | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> AnonymizeStats:
    """Anonymize ``db`` in place; ``conn`` reads the dictionary and sizes, ``open_connection`` opens each worker's session."""
    d = load_dictionary(conn)
    texts = text_columns(db, resolutions)
    by_table = table_resolutions(db, resolutions)
    tables = {p.table: _Table(p, by_table[p.table] if p.table in texts else []) for p in plans}
    sizes = table_bytes(conn, db)
    work = sorted((t for t in tables.values() if t.text or t.plan.statements), key=lambda t: (-sizes.get(t.plan.table, 0), t.plan.table))

    weight = {t.plan.table: sizes.get(t.plan.table, 0) + TABLE_COST_BYTES for t in work}
    if progress:  # largest first: the time left follows the bytes done, not the tables
        progress.weigh(sum(weight.values()))

    def prepare(c: pymysql.Connection) -> None:
        with c.cursor() as cur:
            set_session_keys(cur, key, uat_credential)
            cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")

    def one(c: pymysql.Connection, t: _Table) -> tuple[dict[str, int], int | None, float]:
        return _anonymize_table(c, db, t, key, d, on_update, batch)

    stats = AnonymizeStats(text=dict.fromkeys(TEXT_COUNTS, 0))
    text_seconds = 0.0

    def done(t: _Table, result: tuple[dict[str, int], int | None, float]) -> None:
        nonlocal text_seconds
        counts, rows, seconds = result
        for k, v in counts.items():
            stats.text[k] += v
        text_seconds += seconds
        if rows is not None:
            stats.rows_changed += rows
            stats.tables_changed += 1
        if progress:
            progress.advance(bool(t.text) + bool(t.plan.statements), work=weight[t.plan.table])

    on_connections(open_connection, prepare, work, one, workers, done)
    stats.text["text_seconds"] = round(text_seconds, 2)  # summed over the workers' tables
    stats.text["name_dictionary_tokens"] = len(d.names)
    return stats


def _anonymize_table(conn, db: str, t: _Table, key: bytes, d: Dictionary, on_update, batch: int) -> tuple[dict[str, int], int | None, float]:
    """(text pass counts, rows the first UPDATE changed or None when the table is empty or has none, text seconds)."""
    start = time.monotonic()
    with conn.cursor() as cur:
        counts = scrub_table(cur, db, t.plan.table, t.text, key, d, on_update, batch) if t.text else dict.fromkeys(TEXT_COUNTS, 0)
        text_seconds = time.monotonic() - start
        if not t.plan.statements:
            return counts, None, text_seconds
        cur.execute(f"SELECT 1 FROM `{db}`.`{t.plan.table}` LIMIT 1")
        if cur.fetchone() is None:
            return counts, None, text_seconds
        rows = cur.execute(t.plan.statements[0])
        for statement in t.plan.statements[1:]:
            cur.execute(statement)
    return counts, rows, text_seconds
