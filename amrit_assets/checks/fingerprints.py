"""Fingerprints of the originals, taken while every database is staged and original (the mapping
step): set-based INSERTs of keyed hashes ``fp(form ':' normalized)`` into the workspace schema, so the
leak check (checks/leaks.py) can recognise an original without any value being stored."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable

import pymysql

from amrit_assets.catalog.model import Resolution
from amrit_assets.common.keys import derive, set_session_keys
from amrit_assets.common.kinds import ID_KINDS, WORK_DB, is_text_type
from amrit_assets.control import ddl
from amrit_assets.resources.inspect import table_bytes
from amrit_assets.resources.parallel import on_connections


RARE_MAX_PEOPLE = 3  # a name token at most this many name values hold
# One table of keyed hashes of "<form>:<normalized>"; the scan looks its candidates up in batches, so
# the check's memory does not grow with production. fp_token counts name tokens on the way to the
# "tok:" (any name token) and "rare:" forms; "new:" forms are the remapped ids, allowed by value.
FP_TABLES = ("fp_value", "fp_token")
FP_DDL = ddl(*FP_TABLES)


def fp_sql(expr: str) -> str:
    """The keyed fingerprint the server computes; ``Hasher`` computes the same in Python."""
    return f"UNHEX(LEFT(SHA2(CONCAT(@amrit_k_fp, {expr}), 256), 32))"


def fp_key_hex(key: bytes) -> str:
    return derive(key, "fp").hex()


class Hasher:
    def __init__(self, key: bytes):
        self._base = hashlib.sha256(fp_key_hex(key).encode())

    def __call__(self, value: str) -> bytes:
        h = self._base.copy()
        h.update(value.encode("utf-8"))
        return h.digest()[:16]  # = UNHEX(LEFT(SHA2(...), 32))


# --- fingerprinting the originals (SQL, in staging) ---------------------------------------------

def _chr(q: str) -> str:
    return f"CAST({q} AS CHAR CHARACTER SET utf8mb4)"


def _digits(q: str) -> str:
    return f"REGEXP_REPLACE({_chr(q)}, '[^0-9]', '')"


def _low(q: str) -> str:
    return f"LOWER(TRIM(REGEXP_REPLACE({_chr(q)}, '[[:space:]]+', ' ')))"


# strategy -> (kind prefix, normalized expression, filter on it)
def _value_forms(strategy: str, q: str) -> list[tuple[str, str]]:
    d = _digits(q)
    if strategy == "phone":
        return [(f"CONCAT('phone:', RIGHT({d}, 10))", f"CHAR_LENGTH({d}) >= 10 AND RIGHT({d}, 10) REGEXP '^[6-9]'")]
    if strategy == "aadhaar":
        return [(f"CONCAT('aadhaar:', {d})", f"CHAR_LENGTH({d}) = 12")]
    if strategy == "abha_number":
        return [(f"CONCAT('abha:', {d})", f"CHAR_LENGTH({d}) = 14")]
    if strategy in ("bank_account", "id_digits"):
        return [(f"CONCAT('account:', {d})", f"CHAR_LENGTH({d}) BETWEEN 9 AND 18")]
    if strategy == "beneficiary_id":
        return [(f"CONCAT('beneficiary_id:', {d})", f"CHAR_LENGTH({d}) >= 9")]
    if strategy == "benregid":
        return [(f"CONCAT('benregid:', {d})", f"CHAR_LENGTH({d}) >= 6")]
    if strategy in ("email", "abha_address"):
        return [(f"CONCAT('email:', {_low(q)})", f"{_low(q)} LIKE '%_@_%'")]
    if strategy == "pan":
        return [(f"CONCAT('pan:', {_low(q)})", f"CHAR_LENGTH({_low(q)}) = 10")]
    if strategy == "address":  # a street line with a house number ("H.No. 12, MG Road"): it identifies a home
        s = f"TRIM(REGEXP_REPLACE(LOWER({_chr(q)}), '[^[:alnum:]]+', ' '))"
        return [(f"CONCAT('street:', SUBSTRING({s}, REGEXP_INSTR({s}, '[0-9]')))", f"{s} REGEXP '^([a-z]+ ){{0,3}}[0-9]+[a-z]? [[:alpha:]]+ [[:alnum:]]'")]
    return []


def _first(q: str) -> str:
    return f"SUBSTRING_INDEX({_low(q)}, ' ', 1)"


def _last(q: str) -> str:
    return f"SUBSTRING_INDEX({_low(q)}, ' ', -1)"


def _pair_key(column: str) -> str:
    return re.sub(r"first|last|_|name", "", column.lower())


def name_pairs(rs: list[Resolution]) -> list[tuple[str, str]]:
    """(first, last) expressions of the people one table names: first/last columns paired by the rest of
    their column name (FirstName/LastName, fatherFirstName/fatherLastName), full-name columns split."""
    names = [r for r in rs if r.strategy == "name"]
    firsts = [r for r in names if r.params.get("part") == "first" and "middle" not in r.column.column.lower()]
    lasts = [r for r in names if r.params.get("part") == "last"]
    pairs = []
    for f in firsts:
        match = [x for x in lasts if _pair_key(x.column.column) == _pair_key(f.column.column)] or (lasts if len(lasts) == 1 == len(firsts) else [])
        pairs += [(_low(f"`{f.column.column}`"), _low(f"`{x.column.column}`")) for x in match]
    for r in names:
        if r.params.get("part", "full") == "full":
            q = f"`{r.column.column}`"
            pairs.append((_first(q), _last(q)))
    return pairs


def own_name_pair(rs: list[Resolution]) -> list[tuple[str, str]]:
    """The (first, last) expressions of the person a row is about: FirstName/LastName with nothing else
    in their column names (not fatherFirstName), as ``name_pairs`` pairs them."""
    def own(part: str) -> list[str]:
        return [r.column.column for r in rs if r.strategy == "name" and r.params.get("part") == part and _pair_key(r.column.column) == ""]

    return [(_low(f"`{a}`"), _low(f"`{b}`")) for a in own("first") for b in own("last")]


def tables_of(resolutions: Iterable[Resolution], db: str) -> dict[str, list[Resolution]]:
    """The resolutions of one database's tables (views left out), by table."""
    out: dict[str, list[Resolution]] = {}
    for r in resolutions:
        if r.column.db == db and not r.column.is_view:
            out.setdefault(r.column.table, []).append(r)
    return out


def row_key_sql(pk: list[Resolution], *, original: bool, alias: str = "") -> str:
    """A row's identity that survives anonymization: PK columns, remapped ids taken through the map."""
    parts = []
    for r in pk:
        q = f"{alias + '.' if alias else ''}`{r.column.column}`"
        if original and r.strategy in ID_KINDS:
            q = f"COALESCE((SELECT km.new_id FROM {WORK_DB}.id_map km WHERE km.kind = '{r.strategy}' AND km.old_id = {q}), {q})"
        parts.append(f"CAST({q} AS CHAR)")
    return f"CONCAT_WS('|', {', '.join(parts)})"


def row_key(pk: list[Resolution]) -> list[Resolution] | None:
    """The PK columns usable as a row identity (kept or remapped through the id map), else None."""
    if pk and all(r.strategy == "keep" or r.strategy in ID_KINDS for r in pk):
        return pk
    return None


def cell_columns(rs: list[Resolution]) -> list[Resolution]:
    """Text columns whose cells are fingerprinted in place: what the scrubber rewrites inside."""
    return [r for r in rs if r.strategy in ("scrub_text", "replace_text") and is_text_type(r.column.column_type)]


def rowid_prefix(db: str, table: str) -> str:
    """A row's form of its own beneficiary's original id: this, its row key, '|' and the digits."""
    return f"rowid:{db}.{table}|"


def cell_prefix(db: str, table: str, column: str) -> str:
    """A cell's form is this, its row key, '|' and its value: the same cell unchanged, the same form."""
    return f"cell:{db}.{table}.{column}|"


def fingerprint_statements(db: str, resolutions: list[Resolution]) -> dict[str, list[str]]:
    """Set-based INSERTs fingerprinting the originals of one staged database, by table (session holds the keys)."""
    out = {}
    for table, rs in sorted(tables_of(resolutions, db).items()):
        stmts: list[str] = []
        out[table] = stmts
        src = f"`{db}`.`{table}`"
        for r in rs:
            for form, where in _value_forms(r.strategy, f"`{r.column.column}`"):
                stmts.append(f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT DISTINCT {fp_sql(form)} FROM {src} WHERE {where}")
        for a, b in name_pairs(rs):
            ok = f"CHAR_LENGTH({a}) >= 2 AND CHAR_LENGTH({b}) >= 2 AND {a} <> {b}"
            for x, y in ((a, b), (b, a)):
                form = f"CONCAT('full:', {x}, ' ', {y})"
                stmts.append(f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT DISTINCT {fp_sql(form)} FROM {src} WHERE {ok}")
        for r in rs:
            if r.strategy == "name":
                q = f"`{r.column.column}`"
                toks = [_first(q), _last(q)] if r.params.get("part", "full") == "full" else [_low(q)]
                for tok in toks:
                    form = f"CONCAT('tok:', {tok})"
                    stmts.append(
                        f"INSERT INTO {WORK_DB}.fp_token (t, n) SELECT {fp_sql(form)} t, COUNT(*) FROM {src}"
                        f" WHERE CHAR_LENGTH({tok}) >= 2 GROUP BY t ON DUPLICATE KEY UPDATE n = n + VALUES(n)")
        for reg in (r for r in rs if r.strategy == "benregid"):  # whose names these are, by their remapped id
            for a, b in own_name_pair(rs):
                form = f"CONCAT('benname:', m.new_id, '|', {a}, ' ', {b})"
                stmts.append(f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT {fp_sql(form)} FROM {src} s JOIN {WORK_DB}.id_map m"
                             f" ON m.kind = 'benregid' AND m.old_id = s.`{reg.column.column}` WHERE CHAR_LENGTH({a}) >= 2 AND CHAR_LENGTH({b}) >= 2")
        pk = row_key([r for r in rs if r.column.key == "PRI"])
        if pk:
            key = row_key_sql(pk, original=True)
            for r in rs:  # the row's own beneficiary's original ids, where the bijection moved them
                if r.strategy in ID_KINDS:
                    q = f"s.`{r.column.column}`"
                    form = f"CONCAT('{rowid_prefix(db, table)}', {row_key_sql(pk, original=True, alias='s')}, '|', CAST(m.old_id AS CHAR))"
                    stmts.append(f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT {fp_sql(form)} FROM {src} s JOIN {WORK_DB}.id_map m"
                                 f" ON m.kind = '{r.strategy}' AND m.old_id = {q} WHERE m.new_id <> m.old_id")
            for r in cell_columns(rs):
                q = f"`{r.column.column}`"
                form = f"CONCAT('{cell_prefix(db, table, r.column.column)}', {key}, '|', {_chr(q)})"
                stmts.append(f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT {fp_sql(form)} FROM {src} WHERE {q} IS NOT NULL AND {q} <> ''")
    return {table: stmts for table, stmts in out.items() if stmts}


TOK_POOL = "CONCAT('tok:', LOWER(TRIM(v)))"


def _token_and_id_statements() -> list[str]:
    """After every database: "tok:"/"rare:" forms from the token counts (a pool token is never rare),
    and the remapped ids as "new:" forms."""
    pool_tok = " UNION ".join(f"SELECT {fp_sql(TOK_POOL)} FROM {WORK_DB}.pool_{p}" for p in ("first_name", "last_name"))
    rare = fp_sql("CONCAT('rare:', HEX(t))")
    new = fp_sql("CONCAT('new:', kind, ':', new_id)")
    return [
        f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT t FROM {WORK_DB}.fp_token",
        f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT {rare} FROM {WORK_DB}.fp_token WHERE n <= {RARE_MAX_PEOPLE} AND t NOT IN ({pool_tok})",
        f"INSERT IGNORE INTO {WORK_DB}.fp_value (h) SELECT {new} FROM {WORK_DB}.id_map",
    ]


def fingerprint_originals(conn, databases: Iterable[str], resolutions: list[Resolution], *,
                          open_connection: Callable[[], pymysql.Connection] | None = None, key: bytes | None = None,
                          workers: int = 1) -> dict[str, int]:
    """Fingerprint the staged original databases, afresh (``conn``'s session must hold the derived keys).

    With ``open_connection``, ``key`` and ``workers`` > 1, tables are fingerprinted on that many
    sessions at once, largest first (the server hashes; at 100k beneficiaries this was 216 of the
    mapping step's 284 s on one session). Sessions inserting the same hash can deadlock; a statement
    that deadlocks was rolled back whole, so it is run again."""
    with conn.cursor() as cur:
        for stmt in FP_DDL:
            cur.execute(stmt)
        for t in FP_TABLES:
            cur.execute(f"TRUNCATE {WORK_DB}.{t}")
    work = []
    for db in databases:
        size = table_bytes(conn, db)
        work += [(size.get(table, 0), db, table, stmts) for table, stmts in fingerprint_statements(db, resolutions).items()]
    work.sort(key=lambda w: (-w[0], w[1], w[2]))

    def run(c: pymysql.Connection, item: tuple[int, str, str, list[str]]) -> None:
        with c.cursor() as cur:
            for stmt in item[3]:
                _execute_retrying(cur, stmt)

    parallel = workers > 1 and open_connection is not None and key is not None
    if parallel:
        def prepare(c: pymysql.Connection) -> None:
            with c.cursor() as cur:
                set_session_keys(cur, key)

        on_connections(open_connection, prepare, work, run, workers)
    else:
        for item in work:
            run(conn, item)
    with conn.cursor() as cur:
        for stmt in _token_and_id_statements():
            cur.execute(stmt)
        cur.execute(f"SELECT COUNT(*) FROM {WORK_DB}.fp_value")
        return {"leak_fingerprints": cur.fetchone()[0], "leak_fingerprint_workers": workers if parallel else 1}


_RETRIED = (1213, 1205)  # deadlock; lock wait timeout


def _execute_retrying(cur, stmt: str, attempts: int = 5) -> None:
    for attempt in range(attempts):
        try:
            cur.execute(stmt)
            return
        except pymysql.err.OperationalError as e:
            if e.args[0] not in _RETRIED or attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
