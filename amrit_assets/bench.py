"""The anonymization benchmark: rows/s per phase, and anonymize vs a bare keyed UPDATE, in one run.

Why it exists: docs/DESIGN.md ("What fast means here") wants anonymization to run at the speed of a plain
bulk ``UPDATE``, and every performance claim to be a ratio measured in one run on sizes that show how
cost grows. So, per size N (rows in the big per-beneficiary tables such as i_beneficiarydetails),
on one throwaway server holding the real AMRIT schema and generated, linked data, it times:

- ``resolve+plan``: the catalog resolved against the live schema and compiled to one UPDATE per table;
- ``maps``: fake-value pools and the id/value maps over all four databases (as ``benregid_mapping``);
- ``anonymize``: every TablePlan's statements under the session keys (as the ``anonymized`` asset);
- ``bare UPDATE``: on an identical copy of each table, one UPDATE writing exactly the columns
  ``anonymize`` writes, each with one keyed SHA-256: the floor the anonymizer is held to;
- ``free text``: the name dictionary and the streaming free-text/JSON pass (``anonymize.textpass``),
  which the refresh runs before the UPDATEs; reported on its own (rows: text rows read), not in the ratio.

The ratio anonymize/bare is the headline (target <= 1.5); the growth factor across sizes (seconds
ratio over rows ratio, 1.0 = linear) shows how cost scales. The generator is too slow for a million
beneficiaries, so a base of at most ``--base-max`` beneficiaries is generated and the tables that grow
with beneficiaries are replicated set-based (INSERT ... SELECT) with shifted ids and keys and altered
phone/Aadhaar/... digits: the copies stay linked, unique where indexed, and shaped as the strategies
expect. Anonymize and bare run table by table, back to back on identical data, so a busy machine
slows both alike; only the statements are timed (see ``compare_tables``).
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pymysql.cursors import Cursor

from amrit_assets.anonymize.compile import TablePlan, plan_database
from amrit_assets.common.keys import derive, set_session_keys
from amrit_assets.anonymize.maps import VALUE_KINDS, build_maps, map_columns
from amrit_assets.anonymize.freetext import build_name_dictionary
from amrit_assets.anonymize.textpass import scrub_database
from amrit_assets.anonymize.pools import build_pools
from amrit_assets.common.resolve import resolve_live
from amrit_assets.anonymize.strategies import ID_PARK_OFFSET, STRATEGIES, Target
from amrit_assets.common.kinds import ID_KINDS, WORK_DB
from amrit_assets.catalog.model import Resolution, load_catalog
from amrit_assets.demo.generator import PLAN, generate
from amrit_assets.demo.schema import build_from_ddl
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import CATALOG_DIR
from amrit_assets.resources.inspect import on_update_columns, unique_columns
from amrit_assets.resources.mysql import ServerAddress, connect

BENCH_KEY = b"amrit-anon benchmark key (synthetic data only)"  # not a secret: the data is generated
BENCH_DB = "amrit_bench"  # scratch schema for the base rows being replicated
BARE_DB = "amrit_bench_bare"  # the parallel schema holding one table's copy for the bare UPDATE
BARE_KEY_VAR = "@amrit_bench_k"
BIG_TABLES = ("db_identity.i_beneficiarydetails", "db_iemr.t_benvisitdetail")
TARGET_RATIO = 1.5
# Tables whose rows grow with beneficiaries (the generator's drivers); staff and masters stay fixed.
_SCALED_DRIVERS = frozenset({"ben", "ben1097", "visit", "call", "household"})
_DIGIT_STEP = 7919  # prime: copy c adds c*7919 mod 10^4 to the last four digits, distinct for c < 10^4


@dataclass
class Phase:
    phase: str
    seconds: float
    rows: int  # rows of the tables the anonymize phase writes (the data the refresh covers)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class TableTiming:
    """One table under both phases: where the time goes when the ratio is off."""

    table: str
    rows: int
    anonymize_s: float
    bare_s: float
    statements: int  # anonymize statements (1, plus one per remapped id column in a unique index: parked ids moved down)
    sha2_anonymize: int  # SHA2( occurrences in the anonymize statements (per row)
    subqueries: int  # correlated scalar subqueries per row (value/id map lookups; the packed pools are read once)
    identical: bool  # the table and its copy had the same CHECKSUM TABLE before the runs
    truncated: bool = False  # emptied (DELETE) under both phases

    @property
    def ratio(self) -> float:
        return self.anonymize_s / self.bare_s if self.bare_s > 0 else float("inf")


@dataclass
class SizeReport:
    size: int
    base_beneficiaries: int
    copies: int
    big_table_rows: dict[str, int]
    setup_s: float  # schema + generate + scale-up (not a phase)
    phases: list[Phase]
    tables: list[TableTiming]
    maps: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        p = {x.phase: x.seconds for x in self.phases}
        return p["anonymize"] / p["bare UPDATE"] if p.get("bare UPDATE") else float("inf")


@dataclass
class BenchReport:
    sizes: list[SizeReport]

    def growth(self) -> list[dict[str, float | int | str]]:
        """Per phase, between consecutive sizes: seconds ratio / rows ratio (1.0 = linear)."""
        out: list[dict[str, float | int | str]] = []
        for a, b in zip(self.sizes, self.sizes[1:]):
            for pa, pb in zip(a.phases, b.phases):
                rows_x = pb.rows / pa.rows if pa.rows else 0.0
                secs_x = pb.seconds / pa.seconds if pa.seconds else 0.0
                out.append({"phase": pa.phase, "from": a.size, "to": b.size, "rows_x": round(rows_x, 2),
                            "seconds_x": round(secs_x, 2), "growth": round(secs_x / rows_x, 2) if rows_x else 0.0})
        return out

    def to_json(self) -> dict:
        sizes = []
        for s in self.sizes:
            d = asdict(s)
            d["ratio"] = round(s.ratio, 3)
            for ph, p in zip(d["phases"], s.phases):
                ph["rows_per_s"] = round(p.rows_per_s, 1)
            for tj, t in zip(d["tables"], s.tables):
                tj["ratio"] = round(t.ratio, 3)
            sizes.append(d)
        return {"target_ratio": TARGET_RATIO, "sizes": sizes, "growth": self.growth()}


# --- data: generate a base, replicate it set-based --------------------------------------------------


def scaled_tables() -> set[tuple[str, str]]:
    """The generated tables whose rows grow with beneficiaries (copies of them included)."""
    names: set[str] = set()
    for spec in PLAN:
        if spec.driver in _SCALED_DRIVERS or (spec.driver == "copy" and all(s in names for s in spec.source)):
            names.add(spec.name)
    return {tuple(n.split(".", 1)) for n in names}  # type: ignore[misc]


def _q(*parts: str) -> str:
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


def _digits_bump(col: str, is_text: bool, c: int) -> str:
    """Copy c of a phone/Aadhaar/ABHA/PAN/... value: its last run of four digits moved by c*7919 mod 10^4.

    Length, separators, letters and the leading digits stay, so a phone is still 10 digits from 6-9
    and the map strategies see the same shapes; copies of one value differ, so distinct values grow.
    """
    step = c * _DIGIT_STEP
    if not is_text:
        return f"{col} - MOD({col}, 10000) + MOD(MOD({col}, 10000) + {step}, 10000)"
    last4 = "'[0-9]{4}(?=[^0-9]*$)'"
    return f"REGEXP_REPLACE({col}, {last4}, LPAD(MOD(REGEXP_SUBSTR({col}, {last4}) + {step}, 10000), 4, '0'))"


def copy_expr(col: str, column_type: str, role: str, c: int, stride: int) -> str:
    """The value of one column in copy c: ids shifted by c*stride (linked across tables), unique keys
    moved apart, map-kind values with altered digits, everything else copied as is."""
    t = Target(col, column_type)
    if role == "id":
        if t.is_text or t.is_blob:
            return f"IF(TRIM({t.q}) REGEXP '^[0-9]+$', CAST(CAST(TRIM({t.q}) AS UNSIGNED) + {c * stride} AS CHAR), {t.q})"
        return f"IF({t.q} >= 0, {t.q} + {c * stride}, {t.q})"
    if role == "unique":
        if t.is_text or t.is_blob:
            suffix = f"~{c}"
            keep = (t.max_len - len(suffix)) if t.max_len else None
            return f"CONCAT({f'LEFT({t.q}, {keep})' if keep is not None else t.q}, '{suffix}')"
        return f"{t.q} + {c * stride}"
    if role == "value":
        return _digits_bump(t.q, t.is_text, c)
    return t.q


def _stride(max_value: object) -> int:
    """A power of ten above every base value: shifted copies never meet each other or the base."""
    try:
        m = int(max_value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1
    return 10 ** len(str(m)) if m > 0 else 1


def scale_up(addr: ServerAddress, resolutions: list[Resolution], copies: int) -> None:
    """Replicate every beneficiary-driven table ``copies - 1`` more times, one INSERT ... SELECT per copy."""
    if copies <= 1:
        return
    strategy = {(r.column.db, r.column.table, r.column.column.lower()): r.strategy for r in resolutions if not r.column.is_view}
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {BENCH_DB}")
            tables = sorted(scaled_tables())
            uniques = {db: unique_columns(conn, db) for db in DATABASES}
            kind_max: dict[str, int] = defaultdict(int)
            columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for db, table in tables:
                cur.execute(
                    "SELECT column_name, column_type FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
                    " AND extra NOT LIKE '%%VIRTUAL%%' AND extra NOT LIKE '%%STORED%%' ORDER BY ordinal_position",
                    (db, table),
                )
                columns[(db, table)] = [(r[0], r[1]) for r in cur.fetchall()]
                for name, ctype in columns[(db, table)]:
                    s = strategy.get((db, table, name.lower()))
                    if s in ID_KINDS and not Target(name, ctype).is_text:
                        cur.execute(f"SELECT MAX({_q(name)}) FROM {_q(db, table)}")
                        kind_max[s] = max(kind_max[s], int(cur.fetchone()[0] or 0))
            for db, table in tables:
                cur.execute(f"SELECT COUNT(*) FROM {_q(db, table)}")
                if not cur.fetchone()[0]:
                    continue
                exprs: list[tuple[str, str, str, int]] = []
                for name, ctype in columns[(db, table)]:
                    s = strategy.get((db, table, name.lower()))
                    stride = 1
                    if s in ID_KINDS:
                        role, stride = "id", _stride(kind_max[s])
                    elif name in uniques[db].get(table, set()):
                        role = "unique"
                        if not Target(name, ctype).is_text:
                            cur.execute(f"SELECT MAX({_q(name)}) FROM {_q(db, table)}")
                            stride = _stride(cur.fetchone()[0])
                    elif s in VALUE_KINDS:
                        role = "value"
                    else:
                        role = ""
                    exprs.append((name, ctype, role, stride))
                cur.execute(f"DROP TABLE IF EXISTS {BENCH_DB}.base")
                cur.execute(f"CREATE TABLE {BENCH_DB}.base AS SELECT * FROM {_q(db, table)}")
                cols = ", ".join(_q(n) for n, *_ in exprs)
                for c in range(1, copies):
                    select = ", ".join(copy_expr(n, t, role, c, stride) for n, t, role, stride in exprs)
                    cur.execute(f"INSERT INTO {_q(db, table)} ({cols}) SELECT {select} FROM {BENCH_DB}.base")
            cur.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    finally:
        conn.close()


def build_dataset(addr: ServerAddress, base: int, seed: int) -> None:
    """(Re)build the four databases from the DDL and generate ``base`` linked beneficiaries."""
    conn = connect(addr)
    with conn.cursor() as cur:
        for db in DATABASES:
            cur.execute(f"DROP DATABASE IF EXISTS {_q(db)}")
    conn.close()
    build_from_ddl(addr)
    generate(addr, base, seed)


# --- the timed phases -----------------------------------------------------------------------------


def bare_expr(t: Target, unique: bool) -> str:
    """A keyed write of similar cost to any strategy: one SHA-256 of the key and the value, cut to fit.

    Values change (so indexes are maintained as under anonymize); NULL stays NULL. Unique BIGINTs go
    out of range in one step (no collisions with rows not yet written).
    """
    h = f"SHA2(CONCAT({BARE_KEY_VAR}, {t.q}), 256)"
    h8 = f"CONV(LEFT({h}, 8), 16, 10)"
    ty = t.column_type.lower()
    if ty.startswith(("enum", "set")) or ty.startswith(("time", "year")):
        return f"IF({h} IS NULL, {t.q}, {t.q})"
    if t.is_text or t.is_blob:
        return f"LEFT({h}, {min(t.max_len or 64, 64)})"
    if t.is_temporal:
        return f"{t.q} - INTERVAL (1 + MOD({h8}, 100)) DAY"
    if "int" in ty:
        if unique and ty.startswith("bigint"):
            return f"{t.q} + IF({h} IS NULL, 0, {ID_PARK_OFFSET})"
        return f"{t.q} + 1 + MOD({h8}, 100)"
    return f"{t.q} + (1 + MOD({h8}, 9)) / 100"


def bare_statements(
    plan: TablePlan, by_column: dict[str, Resolution], unique: set[str], keep_timestamps: Sequence[str], target: str
) -> list[str]:
    """The baseline for one table (run on ``target``, its copy): the same columns as the plan, one keyed
    hash each; ON UPDATE CURRENT_TIMESTAMP columns kept as the plan keeps them; DELETE stays DELETE."""
    if plan.truncate:
        return [f"DELETE FROM {target}"]
    if not plan.statements:
        return []
    written = [c for c, s in plan.columns.items() if STRATEGIES[s].compile is not None]
    sets = []
    for c in written:
        col = by_column[c].column
        sets.append(f"{_q(c)} = {bare_expr(Target(c, col.column_type, col.nullable), c.lower() in unique)}")
    sets += [f"{_q(c)} = {_q(c)}" for c in keep_timestamps if c not in written]
    return [f"UPDATE {target} SET " + ", ".join(sets)]


def _wait_for_purge(cur: Cursor) -> None:
    """Let the server finish purging the last UPDATE's old row versions, so neither statement pays for
    the other's (MariaDB; elsewhere a no-op)."""
    try:
        cur.execute("SET GLOBAL innodb_max_purge_lag_wait = 0")
    except Exception:  # noqa: BLE001 - MySQL has no such variable; the comparison still holds, only noisier
        pass


def _timed(cur: Cursor, statements: Sequence[str]) -> float:
    _wait_for_purge(cur)
    start = time.perf_counter()
    for statement in statements:
        cur.execute(statement)
    return time.perf_counter() - start


def compare_tables(
    addr: ServerAddress, plans: list[TablePlan], by_table: dict[str, dict[str, Resolution]],
    meta: dict[str, tuple[dict[str, list[str]], dict[str, set[str]]]], key: bytes,
) -> list[TableTiming]:
    """Per table, back to back: anonymize the table, and run the bare UPDATE on an identical copy.

    The copy (CREATE TABLE ... LIKE + INSERT ... SELECT into a parallel schema: same rows, same
    indexes) is made just before and dropped just after, so memory stays one table above the data.
    Both tables are then warmed by CHECKSUM TABLE (which also proves them identical); the two runs
    alternate which goes first, so neither systematically gets the warmer server or the other's purge.
    Only the statements are timed. The session is the anonymized asset's: derived keys, FK checks off.
    """
    out: list[TableTiming] = []
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            set_session_keys(cur, key, None)
            cur.execute(f"SET {BARE_KEY_VAR} = %s", (derive(key, "bench").hex(),))
            cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
            cur.execute(f"DROP DATABASE IF EXISTS {BARE_DB}")
            cur.execute(f"CREATE DATABASE {BARE_DB}")
            for plan in plans:
                orig, copy = _q(plan.db, plan.table), _q(BARE_DB, plan.table)
                cur.execute(f"SELECT COUNT(*) FROM {orig}")
                rows = cur.fetchone()[0]
                if not plan.statements or not rows:
                    continue
                cur.execute(f"CREATE TABLE {copy} LIKE {orig}")
                cur.execute(f"INSERT INTO {copy} SELECT * FROM {orig}")
                sums = []
                for t in (copy, orig):
                    cur.execute(f"CHECKSUM TABLE {t}")
                    sums.append(cur.fetchone()[1])
                on_update, unique = meta[plan.db][0].get(plan.table, []), meta[plan.db][1].get(plan.table, set())
                bare = bare_statements(plan, by_table[plan.qualified], {c.lower() for c in unique}, on_update, copy)
                if len(out) % 2:
                    anon_s, bare_s = _timed(cur, plan.statements), _timed(cur, bare)
                else:
                    bare_s, anon_s = _timed(cur, bare), _timed(cur, plan.statements)
                cur.execute(f"DROP TABLE {copy}")
                text = "\n".join(plan.statements)
                lookups = text.count("(SELECT ") - text.count(f"FROM {WORK_DB}.pool_packed")  # pool reads: once per statement
                out.append(TableTiming(plan.qualified, rows, round(anon_s, 4), round(bare_s, 4), len(plan.statements),
                                       text.count("SHA2("), lookups, sums[0] == sums[1], plan.truncate))
            cur.execute(f"DROP DATABASE {BARE_DB}")
    finally:
        conn.close()
    return out


def bench_size(addr: ServerAddress, size: int, seed: int, base_max: int, log: Callable[[str], None] = print) -> SizeReport:
    """One size: build and scale the data, then time resolve+plan, maps, and anonymize vs bare per table."""
    copies = max(1, math.ceil(size / base_max))
    base = math.ceil(size / copies)
    catalog = load_catalog(CATALOG_DIR / "amrit.catalog")
    log(f"[{size}] generating {base} beneficiaries x {copies} copies ...")
    start = time.perf_counter()
    build_dataset(addr, base, seed)

    conn = connect(addr)
    t0 = time.perf_counter()
    resolutions = resolve_live(conn, catalog, DATABASES)
    meta = {db: (on_update_columns(conn, db), unique_columns(conn, db)) for db in DATABASES}
    plans = [p for db in DATABASES for p in plan_database(db, resolutions, *meta[db])]
    resolve_s = time.perf_counter() - t0
    conn.close()
    scale_up(addr, resolutions, copies)
    setup = time.perf_counter() - start - resolve_s
    log(f"[{size}] resolve+plan {resolve_s:.1f}s; setup {setup:.1f}s; maps ...")

    conn = connect(addr)
    t0 = time.perf_counter()
    id_cols, value_cols = map_columns(resolutions)
    build_pools(conn)
    maps = build_maps(conn, BENCH_KEY, id_cols, value_cols)
    maps_s = time.perf_counter() - t0
    # The free-text/JSON pass (name dictionary, then the streaming pass per database): the refresh runs
    # it before the UPDATEs; timed on its own, outside the anonymize/bare ratio, on the rows it reads.
    t0 = time.perf_counter()
    build_name_dictionary(conn, resolutions)
    text_rows = sum(scrub_database(conn, db, resolutions, BENCH_KEY, meta[db][0])["text_rows_read"] for db in DATABASES)
    text_s = time.perf_counter() - t0
    big = {}
    with conn.cursor() as cur:
        for name in BIG_TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {_q(*name.split('.', 1))}")
            big[name] = cur.fetchone()[0]
    conn.close()
    log(f"[{size}] maps {maps_s:.1f}s; free text {text_s:.1f}s; anonymize and bare UPDATE, table by table ...")

    by_table: dict[str, dict[str, Resolution]] = defaultdict(dict)
    for r in resolutions:
        if not r.column.is_view:
            by_table[f"{r.column.db}.{r.column.table}"][r.column.column] = r
    tables = compare_tables(addr, plans, by_table, meta, BENCH_KEY)
    rows = sum(t.rows for t in tables)
    phases = [
        Phase("resolve+plan", round(resolve_s, 3), rows),
        Phase("maps", round(maps_s, 3), rows),
        Phase("anonymize", round(sum(t.anonymize_s for t in tables), 3), rows),
        Phase("bare UPDATE", round(sum(t.bare_s for t in tables), 3), rows),
        Phase("free text", round(text_s, 3), text_rows),  # rows: free-text/JSON rows read, not in the ratio
    ]
    return SizeReport(size, base, copies, big, round(setup, 2), phases, tables, maps)


def run(
    addr: ServerAddress, sizes: Sequence[int], seed: int = 7, base_max: int = 20000, log: Callable[[str], None] = print
) -> BenchReport:
    """Every size on the one server, smallest first; each size rebuilds the databases from scratch."""
    return BenchReport([bench_size(addr, n, seed, base_max, log) for n in sizes])


# --- report ---------------------------------------------------------------------------------------


def format_report(report: BenchReport, top: int = 10) -> str:
    lines = [f"{'size':>9}  {'phase':<13} {'seconds':>9} {'rows':>10} {'rows/s':>11}"]
    for s in report.sizes:
        for p in s.phases:
            lines.append(f"{s.size:>9}  {p.phase:<13} {p.seconds:>9.2f} {p.rows:>10} {p.rows_per_s:>11.0f}")
        verdict = "within" if s.ratio <= TARGET_RATIO else "ABOVE"
        big = ", ".join(f"{k.split('.')[1]}={v}" for k, v in s.big_table_rows.items())
        same = all(t.identical for t in s.tables)
        lines.append(f"{s.size:>9}  ratio anonymize / bare UPDATE = {s.ratio:.2f}  ({verdict} the {TARGET_RATIO}x target)")
        lines.append(f"{'':>9}  {big}; base {s.base_beneficiaries} x {s.copies}; setup {s.setup_s:.1f}s;"
                     f" identical data under both: {same}")
    growth = report.growth()
    if growth:
        lines.append("\ngrowth (seconds ratio / rows ratio; 1.0 = linear)")
        for g in growth:
            lines.append(f"  {g['phase']:<13} {g['from']:>9} -> {g['to']:<9} rows x{g['rows_x']:<7} seconds x{g['seconds_x']:<7}"
                         f" growth {g['growth']}")
    for s in report.sizes:
        lines.append(f"\n[{s.size}] tables by seconds over bare (top {top}); SHA2/subq: per row in the anonymize statements")
        lines.append(f"  {'table':<48} {'rows':>9} {'anon s':>8} {'bare s':>8} {'over s':>7} {'ratio':>6} {'stmts':>5} {'SHA2':>5} {'subq':>5}")
        for t in sorted(s.tables, key=lambda t: t.bare_s - t.anonymize_s)[:top]:
            lines.append(f"  {t.table:<48} {t.rows:>9} {t.anonymize_s:>8.2f} {t.bare_s:>8.2f} {t.anonymize_s - t.bare_s:>7.2f}"
                         f" {t.ratio:>6.2f} {t.statements:>5} {t.sha2_anonymize:>5} {t.subqueries:>5}")
    return "\n".join(lines)


def measure(sizes: Sequence[int], seed: int = 7, base_max: int = 20000, buffer_pool: str = "4G", top: int = 10,
            json_path: Path | None = None) -> int:
    """``amrit-anon bench`` (``./run bench``): every size on one throwaway server, the report on stdout
    (progress on stderr), and as JSON in ``json_path`` when given."""
    # Stop the throwaway server on Ctrl-C and kill alike (a background job may have SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from amrit_assets.resources.embedded import EmbeddedServer

    with EmbeddedServer("bench", buffer_pool=buffer_pool) as srv:
        assert srv.address is not None
        report = run(srv.address, sizes, seed, base_max, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(format_report(report, top))
    if json_path:
        json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return 0
