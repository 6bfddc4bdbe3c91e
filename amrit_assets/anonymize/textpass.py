"""The streaming pass over the free-text and JSON columns of one staged database (``freetext`` rules).

Only ``scrub_text`` and ``scrub_json`` columns are read. A table with a one-column primary key is read
in key order, ``BATCH`` rows at a time; the changed values of a batch go to a temporary table on the
server and one ``UPDATE ... JOIN`` writes them. A table without one is read by distinct value (numbered
once, read back by number: linear, not one sort per batch; the changed values collected server-side,
written by one join at the end). Memory is bounded by the batch
and the name dictionary, whatever the table size. The original ids and mapped values a batch needs are
looked up in the maps for that batch only. It runs before the set-based UPDATE, which then removes the
row's own names and any remaining pattern (it reads only what this pass left).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from amrit_assets.anonymize.freetext import Dictionary, JsonScrubber, Lookups, digit_runs, load_dictionary, parse_keys, scrub_free_text, tokens_of
from amrit_assets.anonymize.strategies import WORK_DB
from amrit_assets.progress import Progress

BATCH = 2000
TEXT_STRATEGIES = ("scrub_text", "scrub_json")
TEXT_COUNTS = ("text_columns", "text_rows_read", "text_values_changed", "json_invalid")  # metadata, summed over tables
_JSON_SHORT = re.compile(r'"([^"\\]{1,40})"|:\s*(-?\d+)')


@dataclass
class ColumnScrub:
    column: str
    is_blob: bool
    json: JsonScrubber | None  # None: free text

    def apply(self, value, lookups: Lookups, d: Dictionary, avoid: frozenset[str] = frozenset()):
        text = value.decode("utf8", "surrogateescape") if isinstance(value, bytes) else value
        out = self.json.scrub(text, lookups, avoid) if self.json else scrub_free_text(text, d, lookups)
        return out.encode("utf8", "surrogateescape") if isinstance(value, bytes) else out


def text_columns(db: str, resolutions: Iterable) -> dict[str, list]:
    """The resolutions of the free-text and JSON columns of ``db``'s tables, by table."""
    out: dict[str, list] = defaultdict(list)
    for r in resolutions:
        if r.column.db == db and r.strategy in TEXT_STRATEGIES and not r.column.is_view:
            out[r.column.table].append(r)
    return dict(sorted(out.items()))


def _lookups(cur, values: Iterable[str], json_values: bool) -> Lookups:
    """Original ids among the digit runs of these values; for JSON also the mapped phones/Aadhaar."""
    runs: set[int] = set()
    short: set[str] = set()
    for v in values:
        for d in digit_runs(v):
            if 5 <= len(d) <= 19:
                runs.add(int(d))
        if json_values:
            short.update(a or b for a, b in _JSON_SHORT.findall(v) if any(ch.isdigit() for ch in (a or b)))
    lk = Lookups()
    if runs:
        marks = ",".join(["%s"] * len(runs))
        cur.execute(f"SELECT old_id, kind, new_id FROM {WORK_DB}.id_map WHERE kind IN ('benregid', 'beneficiary_id') AND old_id IN ({marks})", tuple(runs))
        found = cur.fetchall()
        lk.ids = {int(o): (k, int(n)) for o, k, n in found}
        lk.by_kind = {(k, int(o)): int(n) for o, k, n in found}
    if short:
        marks = ",".join(["%s"] * len(short))
        cur.execute(f"SELECT kind, orig, repl FROM {WORK_DB}.value_map WHERE kind IN ('phone', 'aadhaar') AND orig IN ({marks})", tuple(short))
        lk.values = {(k, o): r for k, o, r in cur.fetchall()}
    return lk


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def scrub_database(conn, db: str, resolutions: Iterable, key: bytes, keep_timestamps: dict[str, list[str]] | None = None,
                   batch: int = BATCH, progress: Progress | None = None) -> dict[str, int]:
    """Scrub every free-text/JSON column of ``db`` in place; returns counts (never values) for metadata.
    ``progress`` counts one per table (``text_columns``)."""
    d = load_dictionary(conn)
    by_table = table_resolutions(db, resolutions)
    stats = dict.fromkeys(TEXT_COUNTS, 0)
    start = time.monotonic()
    with conn.cursor() as cur:
        for table in text_columns(db, resolutions):
            for k, v in scrub_table(cur, db, table, by_table[table], key, d, keep_timestamps, batch).items():
                stats[k] += v
            if progress:
                progress.advance()
    stats["text_seconds"] = round(time.monotonic() - start, 2)
    stats["name_dictionary_tokens"] = len(d.names)
    return stats


def table_resolutions(db: str, resolutions: Iterable) -> dict[str, list]:
    """The resolutions of every column of ``db``'s tables (views left out), by table."""
    out: dict[str, list] = defaultdict(list)
    for r in resolutions:
        if r.column.db == db and not r.column.is_view:
            out[r.column.table].append(r)
    return out


def scrub_table(cur, db: str, table: str, mine: list, key: bytes, d: Dictionary,
                keep_timestamps: dict[str, list[str]] | None = None, batch: int = BATCH) -> dict[str, int]:
    """Scrub the free-text/JSON columns of one table in place, given its resolutions (``table_resolutions``);
    it reads only that table and the maps, so tables are independent of each other."""
    res = [r for r in mine if r.strategy in TEXT_STRATEGIES]
    if not res:
        return dict.fromkeys(TEXT_COUNTS, 0)
    cols = [ColumnScrub(r.column.column, "blob" in r.column.column_type.lower() or "binary" in r.column.column_type.lower(),
                        _json(key, d, r.params) if r.strategy == "scrub_json" else None) for r in res]
    keep = [c for c in (keep_timestamps or {}).get(table, ()) if c not in {x.column for x in cols}]
    pk = [(r.column.column, r.column.column_type) for r in mine if r.column.key == "PRI"]
    if len(pk) == 1:
        names = [r.column.column for r in mine if r.strategy == "name"]
        read, changed = _by_key(cur, db, table, pk[0], cols, names, d, keep, batch)
    else:
        read, changed = _by_value(cur, db, table, cols, d, keep, batch)
    return {"text_columns": len(cols), "text_rows_read": read, "text_values_changed": changed,
            "json_invalid": sum(c.json.invalid for c in cols if c.json)}


def _json(key: bytes, d: Dictionary, params: dict[str, str]) -> JsonScrubber:
    s = JsonScrubber(key, d)
    s.keys.update(parse_keys(params.get("keys", "")))
    return s


def _temp_table(cur, key_type: str, cols: list[ColumnScrub]) -> None:
    cur.execute(f"DROP TEMPORARY TABLE IF EXISTS {WORK_DB}.scrub_batch")
    values = ", ".join(f"v{i} {'LONGBLOB' if c.is_blob else 'LONGTEXT CHARACTER SET utf8mb4'} NULL" for i, c in enumerate(cols))
    # utf8mb4: a text key converts to and from any column character set (most keys are integers)
    cur.execute(f"CREATE TEMPORARY TABLE {WORK_DB}.scrub_batch (k {key_type} NOT NULL PRIMARY KEY, {values}) DEFAULT CHARSET=utf8mb4")


def _scrub_rows(rows: list[tuple], cols: list[ColumnScrub], lk: Lookups, d: Dictionary) -> tuple[list[tuple], int]:
    """(key, new value or None per column) for the rows where some column changed; and the count.
    A row is (key, the text columns..., the row's name columns...)."""
    out, changed = [], 0
    for row in rows:
        new = []
        names = row[1 + len(cols):]
        avoid = frozenset(t for n in names if isinstance(n, str) for t in tokens_of(n))
        for c, v in zip(cols, row[1 : 1 + len(cols)]):
            if v is None or v == "" or v == b"":
                new.append(None)
                continue
            s = c.apply(v, lk, d, avoid)
            new.append(s if s != v else None)
        if any(x is not None for x in new):
            changed += sum(x is not None for x in new)
            out.append((row[0], *new))
    return out, changed


def _write(cur, db: str, table: str, on: str, cols: list[ColumnScrub], keep: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    marks = ", ".join(["%s"] * (len(cols) + 1))
    cur.execute(f"DELETE FROM {WORK_DB}.scrub_batch")
    cur.executemany(f"INSERT INTO {WORK_DB}.scrub_batch VALUES ({marks})", rows)
    sets = [f"t.{_q(c.column)} = COALESCE(b.v{i}, t.{_q(c.column)})" for i, c in enumerate(cols)]
    sets += [f"t.{_q(c)} = t.{_q(c)}" for c in keep]  # ON UPDATE CURRENT_TIMESTAMP columns keep their values
    cur.execute(f"UPDATE {_q(db)}.{_q(table)} t JOIN {WORK_DB}.scrub_batch b ON {on} SET {', '.join(sets)}")


def _by_key(cur, db, table, pk: tuple[str, str], cols, names: list[str], d, keep, batch) -> tuple[int, int]:
    name, key_type = pk
    _temp_table(cur, key_type, cols)
    select = f"SELECT {_q(name)}, {', '.join(_q(c) for c in [x.column for x in cols] + names)} FROM {_q(db)}.{_q(table)}"
    read = changed = 0
    last = None
    while True:
        where = "" if last is None else f" WHERE {_q(name)} > %s"
        cur.execute(f"{select}{where} ORDER BY {_q(name)} LIMIT {batch}", () if last is None else (last,))
        rows = cur.fetchall()
        if not rows:
            break
        last = rows[-1][0]
        read += len(rows)
        texts = [v.decode("utf8", "replace") if isinstance(v, bytes) else v for r in rows for v in r[1 : 1 + len(cols)] if v]
        lk = _lookups(cur, texts, any(c.json for c in cols))
        out, n = _scrub_rows(rows, cols, lk, d)
        changed += n
        _write(cur, db, table, f"t.{_q(name)} = b.k", cols, keep, out)
    cur.execute(f"DROP TEMPORARY TABLE IF EXISTS {WORK_DB}.scrub_batch")
    return read, changed


def _by_value(cur, db, table, cols, d, keep, batch) -> tuple[int, int]:
    """No one-column primary key: each column's distinct values, numbered once into a temporary table
    (one scan of the table) and read back by number, rewritten by value."""
    read = changed = 0
    for c in cols:
        _temp_table(cur, "VARBINARY(32)", [c, ColumnScrub("orig", True, None)])
        cur.execute(f"DROP TEMPORARY TABLE IF EXISTS {WORK_DB}.scrub_values")
        cur.execute(f"CREATE TEMPORARY TABLE {WORK_DB}.scrub_values (i INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v LONGBLOB NOT NULL)")
        cur.execute(f"INSERT INTO {WORK_DB}.scrub_values (v) SELECT DISTINCT CAST({_q(c.column)} AS BINARY) FROM {_q(db)}.{_q(table)}"
                    f" WHERE {_q(c.column)} IS NOT NULL")
        last = 0
        while True:
            cur.execute(f"SELECT i, v FROM {WORK_DB}.scrub_values WHERE i > %s ORDER BY i LIMIT {batch}", (last,))
            page = cur.fetchall()
            if not page:
                break
            last = page[-1][0]
            values = [bytes(r[1]) for r in page]
            read += len(values)
            texts = [v.decode("utf8", "replace") for v in values]
            lk = _lookups(cur, texts, c.json is not None)
            rows = []
            for raw, text in zip(values, texts):
                new = c.apply(raw if c.is_blob else text, lk, d)
                if new != (raw if c.is_blob else text):
                    rows.append((hashlib.sha256(raw).digest(), new, raw))
            changed += len(rows)
            if rows:
                cur.executemany(f"INSERT INTO {WORK_DB}.scrub_batch VALUES (%s, %s, %s)", rows)
        sets = [f"t.{_q(c.column)} = b.v0"] + [f"t.{_q(k)} = t.{_q(k)}" for k in keep]
        cur.execute(f"UPDATE {_q(db)}.{_q(table)} t JOIN {WORK_DB}.scrub_batch b ON b.k = UNHEX(SHA2(t.{_q(c.column)}, 256))"
                    f" SET {', '.join(sets)}")
        cur.execute(f"DROP TEMPORARY TABLE IF EXISTS {WORK_DB}.scrub_batch")
        cur.execute(f"DROP TEMPORARY TABLE IF EXISTS {WORK_DB}.scrub_values")
    return read, changed
