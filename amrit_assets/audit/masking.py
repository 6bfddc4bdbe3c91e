"""Compare original and masked: the source against UAT on a deterministic sample of rows.

The two sides are on different servers, so no SQL can join them, and no value may leave either
server. Each side computes, per sampled row, a keyed hash of the row's primary key and of every
column value (``SHA2`` with a throwaway session key that only lives in this process and the two
sessions); Python compares the hashes, never a value. What comes back is counts per column:

- a column the catalog keeps (``keep``) must be identical in every sampled row;
- a column with a writing strategy must be changed in every sampled row whose original is not
  NULL or '' (``null`` on a NOT NULL number also counts an original 0 as empty);
- ``scrub_text`` only changes text that holds something to scrub: the source tells, per row, whether
  the scrub expression would change the original (a flag, computed on the source); those rows are
  reported separately (changed / still unchanged), never as a failure of the 100 % rule.

The sample is the first ``sample_rows`` rows in the order of an (unkeyed) MD5 of the primary key: the
same rows on both sides, because rows keep their primary keys, and spread over the whole table rather
than its oldest rows (the price is one scan of each table per side, with a bounded sort). Tables are
skipped, with the reason, when they are views, emptied (``truncate``: the UAT side must be empty),
have no primary key, or have a primary key the catalog rewrites (remapped ids: the same row has
another key in UAT).

The source is read live: a row updated in production after the dump shows up as a difference in a
kept column, and a row inserted since then as a source-only row. Both are counted, not hidden.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from amrit_assets.anonymize.strategies import STRATEGIES, Target, scrub_expr
from amrit_assets.catalog.model import Resolution
from amrit_assets.resources.inspect import base_tables

SAMPLE_ROWS = 1000
HASH_HEX = 16  # 64 bits per value: a false "unchanged" in 17,000 columns x 1,000 rows is ~1e-12 likely
SESSION_VAR = "@amrit_cmp_k"

# What a strategy must do to a sampled value.
IDENTICAL, CHANGED, SCRUB = "identical", "changed", "scrub"


def expectation(strategy: str) -> str | None:
    """identical (keep), changed (every writing strategy), scrub (scrub_text); None: not compared."""
    if strategy == "keep":
        return IDENTICAL
    if strategy == "scrub_text":
        return SCRUB
    if strategy in STRATEGIES and STRATEGIES[strategy].compile is not None:
        return CHANGED
    return None  # derived (views), truncate (the table is emptied), scrub_json (written by the text pass)


@dataclass
class ColumnComparison:
    table: str
    column: str
    strategy: str
    expect: str
    compared: int = 0  # sampled rows present on both sides
    empty: int = 0  # originals NULL or '' (not expected to change)
    identical: int = 0  # same hash on both sides (NULL = NULL included)
    changed: int = 0  # non-empty originals whose UAT value differs
    scrubbable: int = 0  # scrub_text: originals holding something to scrub
    scrubbable_changed: int = 0
    scrubbable_unchanged: int = 0  # something to scrub, yet unchanged: reported, not a failure
    changed_without_scrubbable: int = 0  # scrub_text changed a value the flag found nothing in (the row's names)

    @property
    def non_empty(self) -> int:
        return self.compared - self.empty

    @property
    def share(self) -> float | None:
        """Identical share for kept columns, changed share otherwise (None: nothing to compare)."""
        if self.expect == IDENTICAL:
            return self.identical / self.compared if self.compared else None
        if self.expect == SCRUB:
            return self.scrubbable_changed / self.scrubbable if self.scrubbable else None
        return self.changed / self.non_empty if self.non_empty else None

    @property
    def ok(self) -> bool:
        """Kept: 100 % identical; written: 100 % of non-empty originals changed. scrub_text never fails."""
        if self.expect == IDENTICAL:
            return self.identical == self.compared
        if self.expect == CHANGED:
            return self.changed == self.non_empty
        return True

    def as_dict(self) -> dict:
        out = asdict(self)
        if self.expect != SCRUB:
            for k in ("scrubbable", "scrubbable_changed", "scrubbable_unchanged", "changed_without_scrubbable"):
                out.pop(k)
        share = self.share
        out["share"] = None if share is None else round(share, 6)
        out["ok"] = self.ok
        return out


@dataclass
class TableComparison:
    table: str
    source_rows: int  # sampled on the source
    uat_rows: int  # sampled in UAT
    matched: int  # present on both sides (by primary-key hash)
    columns: list[ColumnComparison] = field(default_factory=list)


@dataclass
class DatabaseComparison:
    database: str
    sample_rows: int
    tables: list[TableComparison] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> tables
    truncated_not_empty: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def columns(self) -> Iterable[ColumnComparison]:
        for t in self.tables:
            yield from t.columns

    def summary(self) -> dict:
        cols = list(self.columns())
        written = [c for c in cols if c.expect == CHANGED and c.non_empty]
        kept = [c for c in cols if c.expect == IDENTICAL and c.compared]
        scrub = [c for c in cols if c.expect == SCRUB]
        per_strategy: dict[str, dict[str, int]] = {}
        for c in cols:
            s = per_strategy.setdefault(c.strategy, {"columns": 0, "compared": 0, "non_empty": 0, "changed": 0, "identical": 0})
            s["columns"] += 1
            s["compared"] += c.compared
            s["non_empty"] += c.non_empty
            s["changed"] += c.changed
            s["identical"] += c.identical
            if c.expect == SCRUB:
                s["scrubbable"] = s.get("scrubbable", 0) + c.scrubbable
                s["scrubbable_changed"] = s.get("scrubbable_changed", 0) + c.scrubbable_changed
        return {
            "database": self.database,
            "sample_rows": self.sample_rows,
            "tables_compared": len(self.tables),
            "tables_skipped": {reason: len(tables) for reason, tables in sorted(self.skipped.items())},
            "rows_compared": sum(t.matched for t in self.tables),
            "source_only_rows": sum(t.source_rows - t.matched for t in self.tables),
            "uat_only_rows": sum(t.uat_rows - t.matched for t in self.tables),
            "pii_columns_compared": len(written),
            "pii_columns_all_changed": sum(c.ok for c in written),
            "pii_values_compared": sum(c.non_empty for c in written),
            "pii_values_changed": sum(c.changed for c in written),
            "pii_changed_share": _share(sum(c.changed for c in written), sum(c.non_empty for c in written)),
            "keep_columns_compared": len(kept),
            "keep_columns_identical": sum(c.ok for c in kept),
            "keep_values_compared": sum(c.compared for c in kept),
            "keep_values_identical": sum(c.identical for c in kept),
            "keep_identical_share": _share(sum(c.identical for c in kept), sum(c.compared for c in kept)),
            "scrub_text_columns": len(scrub),
            "scrub_text_scrubbable": sum(c.scrubbable for c in scrub),
            "scrub_text_scrubbable_changed": sum(c.scrubbable_changed for c in scrub),
            "scrub_text_scrubbable_unchanged": sum(c.scrubbable_unchanged for c in scrub),
            "scrub_text_other_changed": sum(c.changed_without_scrubbable for c in scrub),
            "truncated_not_empty": list(self.truncated_not_empty),
            "per_strategy": dict(sorted(per_strategy.items())),
            "not_ok": [f"{c.table}.{c.column}" for c in cols if not c.ok],
            "seconds": round(self.seconds, 2),
        }

    def as_dict(self) -> dict:
        return {
            "summary": self.summary(),
            "skipped": {reason: sorted(tables) for reason, tables in sorted(self.skipped.items())},
            "columns": [c.as_dict() for c in self.columns()],
        }


def _share(n: int, d: int) -> float | None:
    return round(n / d, 6) if d else None


# --- SQL, per side ---------------------------------------------------------------------------------


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _bin(col: str) -> str:
    # Binary, so columns of any charset/collation concatenate with the key without a collation clash.
    return f"CAST({_q(col)} AS BINARY)"


def value_hash_sql(col: str) -> str:
    return f"LEFT(SHA2(CONCAT({SESSION_VAR}, {_bin(col)}), 256), {HASH_HEX})"


def row_key_sql(pk: list[str]) -> str:
    return f"LEFT(SHA2(CONCAT({SESSION_VAR}, CONCAT_WS('|', {', '.join(_bin(c) for c in pk)})), 256), {HASH_HEX})"


def sample_order_sql(pk: list[str]) -> str:
    """The same deterministic spread of rows on both sides (rows keep their primary key)."""
    return f"MD5(CONCAT_WS('|', {', '.join(_bin(c) for c in pk)}))"


def scrubbable_sql(r: Resolution, row_names: Sequence[str] = ()) -> str:
    """1 when the scrub expression would change the original (computed on the source), NULL when empty.

    Like the compiled UPDATE (``anonymize.compile``), text is scrubbed of the names the rule lists and
    of every name and username column of the row.
    """
    listed = [n for n in r.params.get("names", "").split("|") if n]
    names = list(dict.fromkeys(listed + list(row_names)))
    col = _q(r.column.column)
    return f"(CASE WHEN {col} IS NULL OR {col} = '' THEN NULL ELSE NOT ({scrub_expr(col, names)} <=> {col}) END)"


def sample_sql(db: str, table: str, pk: list[str], columns: list[str], extra: list[str], limit: int) -> str:
    select = [row_key_sql(pk)] + [value_hash_sql(c) for c in columns] + extra
    return f"SELECT {', '.join(select)} FROM {_q(db)}.{_q(table)} ORDER BY {sample_order_sql(pk)} LIMIT {int(limit)}"


def python_hash(session_key: str, value: bytes) -> str:
    """What ``value_hash_sql`` gives for a value's bytes: used only for '' and '0' (empty originals)."""
    return hashlib.sha256(session_key.encode() + value).hexdigest()[:HASH_HEX]


# --- the comparison ----------------------------------------------------------------------------------


def _tables(resolutions: list[Resolution], db: str) -> dict[str, list[Resolution]]:
    out: dict[str, list[Resolution]] = {}
    for r in resolutions:
        if r.column.db == db:
            out.setdefault(r.column.table, []).append(r)
    return out


def plan_table(rs: list[Resolution]) -> tuple[str | None, list[Resolution]]:
    """(reason to skip, or None) and the table's primary-key resolutions."""
    if any(r.column.is_view for r in rs):
        return "view", []
    if any(r.strategy == "truncate" for r in rs):
        return "truncated", []
    pk = [r for r in rs if r.column.key == "PRI"]
    if not pk:
        return "no primary key", []
    if any(expectation(r.strategy) != IDENTICAL for r in pk):
        return "primary key rewritten", pk
    return None, pk


def _fetch(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def _set_key(conn, key: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f"SET {SESSION_VAR} = %s", (key,))


def _clear_key(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(f"SET {SESSION_VAR} = NULL")


def compare_table(source, uat, db: str, table: str, rs: list[Resolution], pk: list[Resolution], session_key: str, limit: int) -> TableComparison:
    """One table: hashes of the same sampled rows on both sides, counted per column."""
    cols = [r for r in rs if expectation(r.strategy) is not None]
    names = [r.column.column for r in cols]
    pk_names = [r.column.column for r in pk]
    scrub = [r for r in cols if r.strategy == "scrub_text"]
    row_names = [r.column.column for r in rs if r.strategy in ("name", "username") and not r.column.is_view]
    src_rows = _fetch(source, sample_sql(db, table, pk_names, names, [scrubbable_sql(r, row_names) for r in scrub], limit))
    uat_rows = _fetch(uat, sample_sql(db, table, pk_names, names, [], limit))
    after = {row[0]: row[1:] for row in uat_rows}
    empty = python_hash(session_key, b"")
    zero = python_hash(session_key, b"0")
    result = TableComparison(table, len(src_rows), len(uat_rows), 0)
    comps = [ColumnComparison(table, r.column.column, r.strategy, expectation(r.strategy) or "") for r in cols]
    scrub_index = {r.column.column: len(names) + i for i, r in enumerate(scrub)}
    for row in src_rows:
        other = after.get(row[0])
        if other is None:
            continue
        result.matched += 1
        values = row[1:]
        for i, (r, c) in enumerate(zip(cols, comps)):
            a, b = values[i], other[i]
            c.compared += 1
            same = a == b
            if same:
                c.identical += 1
            is_empty = a is None or a == empty or (r.strategy == "null" and a == zero and not Target(r.column.column, r.column.column_type).is_text)
            if is_empty:
                c.empty += 1
                continue
            if not same:
                c.changed += 1
            if c.expect == SCRUB:
                flag = values[scrub_index[r.column.column]]
                if flag:
                    c.scrubbable += 1
                    if same:
                        c.scrubbable_unchanged += 1
                    else:
                        c.scrubbable_changed += 1
                elif not same:
                    c.changed_without_scrubbable += 1
    result.columns = comps
    return result


def compare_database(source, uat, db: str, resolutions: list[Resolution], sample_rows: int = SAMPLE_ROWS) -> DatabaseComparison:
    """Every table of ``db`` present on both sides, sampled; the two connections get a throwaway key."""
    start = time.monotonic()
    out = DatabaseComparison(db, sample_rows)
    uat_tables = set(base_tables(uat, db))
    session_key = secrets.token_hex(32)  # never stored or logged; dies with the sessions
    _set_key(source, session_key)
    _set_key(uat, session_key)
    try:
        for table, rs in sorted(_tables(resolutions, db).items()):
            reason, pk = plan_table(rs)
            if reason == "truncated" and table in uat_tables:
                with uat.cursor() as cur:
                    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(db)}.{_q(table)})")
                    if cur.fetchone()[0]:
                        out.truncated_not_empty.append(table)
            if reason is None and table not in uat_tables:
                reason = "missing in UAT"
            if reason:
                out.skipped.setdefault(reason, []).append(table)
                continue
            t = compare_table(source, uat, db, table, rs, pk, session_key, sample_rows)
            if not t.source_rows and not t.uat_rows:
                out.skipped.setdefault("empty", []).append(table)
                continue
            out.tables.append(t)
    finally:
        _clear_key(source)
        _clear_key(uat)
    out.seconds = time.monotonic() - start
    return out
