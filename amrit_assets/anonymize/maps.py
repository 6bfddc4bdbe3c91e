"""Replacement maps built once per refresh over the distinct values of all four databases.

Identifiers (BenRegID, BeneficiaryID) get a keyed Feistel permutation: one-to-one by construction,
the same digit count (still BIGINT, a 12-digit id stays 12 digits), stable across refreshes. An id whose
new value is also some original id of its kind is flagged ``park``: only those must step out of the way
(see ``strategies.id_lookup``) when a unique index is rewritten in place.
Phones, Aadhaar, ABHA, PAN and bank details get keyed replacements that are unique, never equal to
any original value of their kind, and carry valid shapes (Verhoeff check digit for Aadhaar).
The server collects the distinct values (set-based); Python computes replacements for them;
the maps are then joined by the per-table UPDATEs. The fake-value pools are also packed here into one
fixed-width string per pool (``pool_packed``), which the name and address strategies slice instead of
looking a row up (see ``strategies.pool_pick``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from amrit_assets.common.keys import derive
from amrit_assets.common.kinds import ID_KINDS, WORK_DB
from amrit_assets.anonymize.strategies import POOL_FIELD, POOL_START, STRATEGIES, Target, as_map_text
from amrit_assets.common.verhoeff import verhoeff_check_digit
from amrit_assets.control import ddl, ensure


WORK_TABLES_DDL = ddl("id_map", "value_map")  # id_map recreated, not truncated (control.RECREATED)


# --- identifiers: keyed Feistel permutation within each digit length --------------------------

def _round(key: bytes, kind: str, rnd: int, value: int, bits: int) -> int:
    msg = f"{kind}/{rnd}/{value}".encode()
    return int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:8], "big") & ((1 << bits) - 1)


def _feistel(x: int, key: bytes, kind: str, half: int) -> int:
    mask = (1 << half) - 1
    left, right = x >> half, x & mask
    for rnd in range(6):
        left, right = right, left ^ _round(key, kind, rnd, right, half)
    return (left << half) | right


def permute_id(x: int, key: bytes, kind: str) -> int:
    """A keyed bijection on the non-negative integers with the same number of decimal digits."""
    if x < 0:
        raise ValueError("identifiers are non-negative")
    digits = len(str(x))
    low = 0 if digits == 1 else 10 ** (digits - 1)
    size = 10**digits - low
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    y = x - low
    while True:  # cycle-walk until back inside the domain: still a bijection on it
        y = _feistel(y, key, kind, half)
        if y < size:
            return y + low


# --- values: keyed, shaped, unique, never an original -----------------------------------------

def _digit_stream(key: bytes, kind: str, value: str, attempt: int) -> str:
    h = hmac.new(key, f"{kind}/{attempt}/{value}".encode(), hashlib.sha512).digest()
    return str(int.from_bytes(h, "big"))[-60:]


def _letters(digits: str, n: int) -> str:
    return "".join(chr(65 + int(digits[i : i + 2]) % 26) for i in range(0, 2 * n, 2))


def _reshape(original: str, new_digits: str) -> str:
    """Put new digits where the original had digits (keeps '91-', spaces, dashes); else plain."""
    if sum(c.isdigit() for c in original) != len(new_digits):
        return new_digits
    it = iter(new_digits)
    return "".join(next(it) if c.isdigit() else c for c in original)


def _phone(original: str, d: str) -> str:
    new = "6789"[int(d[0]) % 4] + d[1:10]
    digits = re.sub(r"\D", "", original)
    if len(digits) > 10:  # keep a country code / trunk prefix, replace the subscriber number
        return _reshape(original, digits[:-10] + new)
    return _reshape(original, new)


def _aadhaar(original: str, d: str) -> str:
    body = str(2 + int(d[0]) % 8) + d[1:11]
    return _reshape(original, body + str(verhoeff_check_digit(body)))


def _abha_number(original: str, d: str) -> str:
    return _reshape(original, "91" + d[:12])


def _abha_address(original: str, d: str) -> str:
    suffix = original.split("@", 1)[1] if "@" in original else "abdm"
    return f"uat{d[:8]}@{suffix}"  # no name-like prefix: "ben" is also a first name


def _pan(original: str, d: str) -> str:
    return _letters(d, 3) + "P" + _letters(d[6:], 1) + d[10:14] + _letters(d[14:], 1)


def _bank_account(original: str, d: str) -> str:
    n = sum(c.isdigit() for c in original) or 11
    return _reshape(original, d[:n])


def _id_digits(original: str, d: str) -> str:
    """Digits replaced in place (letters and separators kept); a digit-free value replaced whole."""
    n = sum(c.isdigit() for c in original)
    if n == 0:
        return "ID" + _letters(d, 8)
    return _reshape(original, (d * (n // len(d) + 1))[:n])


def _ifsc(original: str, d: str) -> str:
    bank = original[:4].upper() if re.match(r"^[A-Za-z]{4}", original) else _letters(d, 4)
    return f"{bank}0{d[:6]}"


VALUE_KINDS: dict[str, Callable[[str, str], str]] = {
    "phone": _phone,
    "aadhaar": _aadhaar,
    "abha_number": _abha_number,
    "abha_address": _abha_address,
    "pan": _pan,
    "bank_account": _bank_account,
    "ifsc": _ifsc,
    "id_digits": _id_digits,
}


def comparable_forms(value: str) -> set[str]:
    """The forms in which the leak check compares values: as written, lower-cased, its digits, and,
    for more than ten digits, the last ten (a phone with its country code).

    A replacement must differ from every original in every form, or the check (rightly) cannot tell
    it from a leak: a fake Aadhaar whose last ten digits are somebody's real mobile number is one.
    """
    digits = re.sub(r"\D", "", value)
    forms = {value, value.strip().lower()}
    if len(digits) >= 8:
        forms.add(digits)
    if len(digits) > 10:
        forms.add(digits[-10:])
    return forms


def replacements(kind: str, originals: Iterable[str], key: bytes, also_forbidden: Iterable[str] = ()) -> dict[str, str]:
    """Keyed replacement per distinct original: unique, and never any original of this kind
    (nor any value in ``also_forbidden``: the originals of the other kinds, digits-only too).

    A draw that hits an original (in any ``comparable_forms``) or an earlier replacement is re-drawn with the next attempt
    number, deterministically, so the same data and key always give the same map. Short values
    have few shapes (a 2-digit id has 100): after ``_STRICT_ATTEMPTS`` a replacement may equal
    another original, and after ``_SHAPE_ATTEMPTS`` it grows a digit; it never equals its own.
    """
    make = VALUE_KINDS[kind]
    kkey = derive(key, "map/" + kind)
    originals = sorted(set(originals))
    forbidden = set(also_forbidden).union(*(comparable_forms(o) for o in originals))
    used: set[str] = set()
    out: dict[str, str] = {}
    for orig in originals:
        attempt = 0
        while True:
            repl = make(orig, _digit_stream(kkey, kind, orig, attempt))
            if attempt >= _SHAPE_ATTEMPTS:
                repl += _digit_stream(kkey, kind, orig, -attempt)[: 1 + (attempt - _SHAPE_ATTEMPTS) // 20]
            clash = not forbidden.isdisjoint(comparable_forms(repl))
            if repl != orig and repl not in used and (not clash or attempt >= _STRICT_ATTEMPTS):
                break
            attempt += 1
        used.add(repl)
        out[orig] = repl
    return out


_STRICT_ATTEMPTS = 50
_SHAPE_ATTEMPTS = 100


@dataclass(frozen=True)
class MapColumn:
    db: str
    table: str
    column: str
    is_text: bool


def map_columns(resolutions: Iterable) -> tuple[dict[str, list[MapColumn]], dict[str, list[MapColumn]]]:
    """The table columns whose strategy reads a map, by id kind and by value kind."""
    id_cols: dict[str, list[MapColumn]] = {k: [] for k in ID_KINDS}
    value_cols: dict[str, list[MapColumn]] = {}
    for r in resolutions:
        kind = STRATEGIES[r.strategy].map_kind
        if kind is None or r.column.is_view:
            continue
        col = MapColumn(r.column.db, r.column.table, r.column.column, Target(r.column.column, r.column.column_type).is_text)
        (id_cols if kind in ID_KINDS else value_cols).setdefault(kind, []).append(col)
    return id_cols, value_cols


def collect_sql(kind: str, col: MapColumn, *, ids: bool) -> str:
    """Set-based: the distinct values of one column into the collection table of its kind."""
    src = f"`{col.db}`.`{col.table}`"
    c = f"`{col.column}`"
    if ids:
        val = f"CAST(TRIM({c}) AS UNSIGNED)" if col.is_text else c
        where = f"TRIM({c}) REGEXP '^[0-9]+$'" if col.is_text else f"{c} >= 0"
        return f"INSERT IGNORE INTO {WORK_DB}.id_src (kind, old_id) SELECT DISTINCT '{kind}', {val} FROM {src} WHERE {where}"
    return (
        f"INSERT IGNORE INTO {WORK_DB}.value_src (kind, orig) SELECT DISTINCT '{kind}', {as_map_text(c)} "
        f"FROM {src} WHERE {c} IS NOT NULL AND {as_map_text(c)} <> ''"
    )


def build_maps(conn, key: bytes, id_columns: dict[str, list[MapColumn]], value_columns: dict[str, list[MapColumn]]) -> dict[str, dict[str, int]]:
    """(Re)build id_map and value_map on the workspace server; returns counts per kind for metadata."""
    stats: dict[str, dict[str, int]] = {}
    with conn.cursor() as cur:
        for stmt in WORK_TABLES_DDL:
            cur.execute(stmt)
        cur.execute(f"TRUNCATE {WORK_DB}.id_map")
        cur.execute(f"TRUNCATE {WORK_DB}.value_map")
        cur.execute(f"CREATE TEMPORARY TABLE {WORK_DB}.id_src (kind VARCHAR(16), old_id BIGINT UNSIGNED, PRIMARY KEY (kind, old_id))")
        cur.execute(
            f"CREATE TEMPORARY TABLE {WORK_DB}.value_src (kind VARCHAR(16), orig VARCHAR(700), PRIMARY KEY (kind, orig))"
            " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        )
        for kind, cols in id_columns.items():
            for col in cols:
                cur.execute(collect_sql(kind, col, ids=True))
            cur.execute(f"SELECT old_id FROM {WORK_DB}.id_src WHERE kind = %s", (kind,))
            olds = [r[0] for r in cur.fetchall()]
            kkey = derive(key, "id/" + kind)
            old_set = set(olds)
            rows = []
            for old in olds:
                new = permute_id(old, kkey, kind)
                rows.append((kind, old, new, int(new in old_set)))  # park: the new id is taken until its owner moves
            _insert_many(cur, f"INSERT INTO {WORK_DB}.id_map (kind, old_id, new_id, park) VALUES (%s, %s, %s, %s)", rows)
            stats[kind] = {"columns": len(cols), "distinct_in": len(olds), "distinct_out": len({r[2] for r in rows})}
        originals: dict[str, list[str]] = {}
        for kind, cols in value_columns.items():
            for col in cols:
                cur.execute(collect_sql(kind, col, ids=False))
            cur.execute(f"SELECT orig FROM {WORK_DB}.value_src WHERE kind = %s", (kind,))
            originals[kind] = [r[0] for r in cur.fetchall()]
        every_original = {form for vals in originals.values() for v in vals for form in comparable_forms(v)}
        for kind, cols in value_columns.items():
            mapping = replacements(kind, originals[kind], key, every_original)
            _insert_many(cur, f"INSERT INTO {WORK_DB}.value_map (kind, orig, repl) VALUES (%s, %s, %s)", [(kind, o, r) for o, r in mapping.items()])
            stats[kind] = {"columns": len(cols), "distinct_in": len(mapping), "distinct_out": len(set(mapping.values()))}
        cur.execute(f"DROP TEMPORARY TABLE {WORK_DB}.id_src")
        cur.execute(f"DROP TEMPORARY TABLE {WORK_DB}.value_src")
        pack_pools(cur)
    return stats


# --- pools packed for slicing --------------------------------------------------------------------

def pool_entry(lower: str, value: str, alt: str) -> bytes:
    """One pool entry as the name/address strategies slice it: START lower FIELD value FIELD alt.

    ``strategies.pool_pick`` removes ``START <the original, trimmed and lowercased> FIELD`` from the
    picked entry and returns the second FIELD-separated part: ``value``, or ``alt`` when the pick
    equals the original.
    """
    start, field = chr(POOL_START), chr(POOL_FIELD)
    if any(start in x or field in x for x in (lower, value, alt)):
        raise ValueError(f"pool value {value!r} holds a separator byte")
    return (start + lower + field + value + field + alt).encode("utf8")


def pack_pools(cur) -> dict[str, int]:
    """(Re)build ``pool_packed`` from the pool tables (when there are any): per pool, every entry padded
    with FIELD bytes to one width ``w``, so entry i is ``SUBSTRING(packed, i * w + 1, w)`` of a binary string."""
    ensure(cur, "pool_packed")
    cur.execute(f"DELETE FROM {WORK_DB}.pool_packed")
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name = 'pool_size'", (WORK_DB,))
    if not cur.fetchall():
        return {}
    cur.execute(f"SELECT pool FROM {WORK_DB}.pool_size")
    out = {}
    for (pool,) in cur.fetchall():
        # LOWER(TRIM()) on the server: the strategies compare it with the server's LOWER(TRIM()) of the original.
        cur.execute(f"SELECT i, CONVERT(LOWER(TRIM(v)) USING utf8mb4), v, alt FROM {WORK_DB}.`pool_{pool}` ORDER BY i")
        rows = cur.fetchall()
        if [r[0] for r in rows] != list(range(len(rows))) or not rows:
            raise ValueError(f"pool {pool} is not numbered 0..n-1")
        entries = [pool_entry(lower, v, alt) for _, lower, v, alt in rows]
        w = max(len(e) for e in entries)
        packed = b"".join(e.ljust(w, bytes([POOL_FIELD])) for e in entries)
        cur.execute(f"INSERT INTO {WORK_DB}.pool_packed (pool, n, w, packed) VALUES (%s, %s, %s, %s)", (pool, len(rows), w, packed))
        out[pool] = len(rows)
    return out


def _insert_many(cur, sql: str, rows: list[tuple], batch: int = 20000) -> None:
    for i in range(0, len(rows), batch):
        cur.executemany(sql, rows[i : i + batch])
