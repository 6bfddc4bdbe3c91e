"""The leak check, independent of the transformation (DESIGN decision 6).

Before anonymizing, the original values of every personal column are fingerprinted with a keyed
hash into the workspace schema (never the values themselves). After anonymizing, the data is
searched for those fingerprints:

- high-entropy values (phones, Aadhaar, ABHA, e-mails, account numbers...) anywhere, in every text
  column, free text and JSON included, and in numeric columns;
- low-entropy values (names, usernames) only in the same row: a fake name is also
  somebody's real name, so "appears anywhere" would be wrong for them;
- and ID-shaped tokens (10-digit mobiles, Verhoeff-valid 12-digit numbers, ABHA numbers, e-mails
  outside the replacement domain) that are not replacement values.

Only counts per table and column leave this module.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from amrit_assets.common.keys import derive
from amrit_assets.common.kinds import ID_KINDS, WORK_DB, is_text_type
from amrit_assets.common.verhoeff import is_verhoeff_valid
from amrit_assets.catalog.model import Resolution

# Strategy -> how its originals are normalized for the high-entropy fingerprint.
HIGH_ENTROPY = {
    "phone": "phone",
    "aadhaar": "digits",
    "abha_number": "digits",
    "bank_account": "digits",
    "id_digits": "digits",
    "abha_address": "lower",
    "email": "lower",
    "pan": "lower",
}
# Street lines are not here: they often equal the village or town the row keeps on purpose.
LOW_ENTROPY = {"name", "username"}
# Columns rewritten from the fake-value pools: a pool value that happens to equal (or contain) one
# of the row's original names is a coincidence nobody can tell from any other pool value.
POOLED = {"name", "username", "address"}
MIN_HIGH_LENGTH = 8  # shorter values (a 4-digit id) would match unrelated numbers everywhere
MIN_LOW_LENGTH = 3
REPLACEMENT_EMAIL_DOMAIN = "@uat.amrit.invalid"

FP_DDL = (
    f"CREATE DATABASE IF NOT EXISTS {WORK_DB}",
    f"CREATE TABLE IF NOT EXISTS {WORK_DB}.fp_high (h BINARY(16) NOT NULL PRIMARY KEY, db VARCHAR(64) NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {WORK_DB}.fp_row (db VARCHAR(64) NOT NULL, tbl VARCHAR(64) NOT NULL,"
    " rowkey BINARY(16) NOT NULL, h BINARY(16) NOT NULL, PRIMARY KEY (db, tbl, rowkey, h))",
)


def fp_sql(expr: str) -> str:
    """The keyed fingerprint the server computes; ``fp_py`` computes the same in Python."""
    return f"UNHEX(LEFT(SHA2(CONCAT(@amrit_k_fp, {expr}), 256), 32))"


def fp_py(kfp_hex: str, value: str) -> bytes:
    return bytes.fromhex(hashlib.sha256((kfp_hex + value).encode("utf-8")).hexdigest()[:32])


def fp_key_hex(key: bytes) -> str:
    return derive(key, "fp").hex()


def _normalized_sql(mode: str, q: str) -> str:
    text = f"CAST({q} AS CHAR CHARACTER SET utf8mb4)"
    if mode == "phone":
        return f"RIGHT(REGEXP_REPLACE({text}, '[^0-9]', ''), 10)"
    if mode == "digits":
        return f"REGEXP_REPLACE({text}, '[^0-9]', '')"
    return f"LOWER(TRIM({text}))"


def row_key_sql(pk: list[Resolution], *, original: bool, alias: str = "") -> str:
    """A row's identity that survives anonymization: PK columns, remapped ids taken through the map."""
    parts = []
    for r in pk:
        q = f"{alias + '.' if alias else ''}`{r.column.column}`"
        if original and r.strategy in ID_KINDS:
            q = f"COALESCE((SELECT m.new_id FROM {WORK_DB}.id_map m WHERE m.kind = '{r.strategy}' AND m.old_id = {q}), {q})"
        parts.append(f"CAST({q} AS CHAR)")
    return f"UNHEX(MD5(CONCAT_WS('|', {', '.join(parts)})))"


def fingerprint_statements(db: str, resolutions: list[Resolution]) -> list[str]:
    """Set-based INSERTs fingerprinting the originals of one staged database."""
    stmts = [f"DELETE FROM {WORK_DB}.fp_high WHERE db = '{db}'", f"DELETE FROM {WORK_DB}.fp_row WHERE db = '{db}'"]
    by_table: dict[str, list[Resolution]] = {}
    for r in resolutions:
        if r.column.db == db and not r.column.is_view:
            by_table.setdefault(r.column.table, []).append(r)
    for table, rs in sorted(by_table.items()):
        src = f"`{db}`.`{table}`"
        for r in rs:
            q = f"`{r.column.column}`"
            mode = HIGH_ENTROPY.get(r.strategy)
            if mode:
                norm = _normalized_sql(mode, q)
                stmts.append(
                    f"INSERT IGNORE INTO {WORK_DB}.fp_high (h, db) SELECT DISTINCT {fp_sql(norm)}, '{db}' FROM {src}"
                    f" WHERE {q} IS NOT NULL AND CHAR_LENGTH({norm}) >= {MIN_HIGH_LENGTH}"
                )
        pk = [r for r in rs if r.column.key == "PRI"]
        low = [r for r in rs if r.strategy in LOW_ENTROPY]
        if pk and low:
            key = row_key_sql(pk, original=True)
            for r in low:
                norm = _normalized_sql("lower", f"`{r.column.column}`")
                stmts.append(
                    f"INSERT IGNORE INTO {WORK_DB}.fp_row (db, tbl, rowkey, h) SELECT '{db}', '{table}', {key}, {fp_sql(norm)}"
                    f" FROM {src} WHERE CHAR_LENGTH({norm}) >= {MIN_LOW_LENGTH}"
                )
    return stmts


def fingerprint_originals(conn, db: str, resolutions: list[Resolution]) -> dict[str, int]:
    """Run the fingerprinting (the session must hold the derived keys); returns counts."""
    with conn.cursor() as cur:
        for ddl in FP_DDL:
            cur.execute(ddl)
        for stmt in fingerprint_statements(db, resolutions):
            cur.execute(stmt)
        cur.execute(f"SELECT COUNT(*) FROM {WORK_DB}.fp_high WHERE db = %s", (db,))
        high = cur.fetchone()[0]
        cur.execute(f"SELECT COUNT(*) FROM {WORK_DB}.fp_row WHERE db = %s", (db,))
        low = cur.fetchone()[0]
    return {"high_entropy_fingerprints": high, "row_fingerprints": low}


# --- the scan ----------------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[0-9]|[ -](?=[0-9])){6,}(?![0-9])")
# For ID shapes, a digit run inside a longer token (a hex session id, a pseudonym) is no phone number.
_STANDALONE_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[0-9]|[ -](?=[0-9])){6,}(?![0-9A-Za-z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")
_WORD = re.compile(r"[^\W\d_]+(?:[.'][^\W\d_]+)*")
_ABHA = re.compile(r"^[0-9]{2}-?[0-9]{4}-?[0-9]{4}-?[0-9]{4}$")


def high_tokens(text: str) -> set[str]:
    """Candidate normalized forms of high-entropy values inside a text."""
    out = {text.strip().lower()}
    for m in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        out.add(digits)
        if len(digits) > 10:
            out.add(digits[-10:])
    for m in _EMAIL.finditer(text):
        out.add(m.group().lower().strip("."))
    return out


def word_ngrams(text: str, n: int = 3) -> set[str]:
    """Words and runs of up to n words, lower-cased: where a person's name can hide in free text."""
    words = [w.lower() for w in _WORD.findall(text)]
    out = set(words)
    for size in range(2, n + 1):
        out.update(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return out


def id_shaped(text: str, replacements: set[str]) -> int:
    """ID-shaped tokens that are not replacement values (mobiles, Aadhaar, ABHA, e-mails)."""
    hits = 0
    for m in _STANDALONE_RUN.finditer(text):
        raw = m.group()
        digits = re.sub(r"\D", "", raw)
        shaped = (
            (len(digits) == 10 and digits[0] in "6789")
            or (len(digits) == 12 and digits[0] in "23456789" and is_verhoeff_valid(digits))
            or (len(digits) == 14 and _ABHA.match(raw) is not None)
        )
        if shaped and digits not in replacements and raw not in replacements:
            hits += 1
    for m in _EMAIL.finditer(text):
        email = m.group().lower()
        if "." in email.split("@", 1)[1] and not email.endswith(REPLACEMENT_EMAIL_DOMAIN) and email not in replacements:
            hits += 1
    return hits


@dataclass
class LeakReport:
    high_entropy: Counter = field(default_factory=Counter)  # "table.column" -> hits
    same_row: Counter = field(default_factory=Counter)
    id_shaped: Counter = field(default_factory=Counter)
    scanned_columns: int = 0
    scanned_values: int = 0
    tables_without_row_identity: int = 0

    @property
    def total(self) -> int:
        return sum(self.high_entropy.values()) + sum(self.same_row.values()) + sum(self.id_shaped.values())


def _stream(conn, sql: str, batch: int = 5000) -> Iterator[tuple]:
    import pymysql.cursors

    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute(sql)
        while rows := cur.fetchmany(batch):
            yield from rows


FREE_TEXT_MIN_LENGTH = 100  # VARCHARs at least this long (and TEXT types) are searched word by word
_CANDIDATE = "'[0-9][0-9 -]{6,}[0-9]|@'"


def _is_free_text(column_type: str) -> bool:
    m = re.match(r"^(?:var)?char\((\d+)\)", column_type.lower())
    return "text" in column_type.lower() or "json" in column_type.lower() or (int(m.group(1)) if m else 0) >= FREE_TEXT_MIN_LENGTH


def scan_database(conn, db: str, resolutions: list[Resolution], key: bytes) -> LeakReport:
    """Search one anonymized database for fingerprinted originals and ID-shaped non-replacements.

    The server does the bulk: whole-value matches are joins against the fingerprint tables, and
    only rows holding digit runs or an '@' (or free text, for names) come to Python for tokenizing.
    Columns rewritten from a name pool are not searched for the row's other names: a pool name
    equal to, say, the mother's real first name is a coincidence a reader cannot tell from any other.
    The session must hold the derived keys (``set_session_keys``).
    """
    kfp = fp_key_hex(key)
    report = LeakReport()
    with conn.cursor() as cur:
        cur.execute(f"SELECT h FROM {WORK_DB}.fp_high")  # originals of every database: ids travel between them
        high = {bytes(r[0]) for r in cur.fetchall()}
        cur.execute(f"SELECT repl FROM {WORK_DB}.value_map")
        replacements = {r[0] for r in cur.fetchall()}
        replacements |= {re.sub(r"\D", "", r) for r in replacements}
        cur.execute(f"SELECT CAST(new_id AS CHAR) FROM {WORK_DB}.id_map")  # remapped ids are replacements too
        replacements |= {r[0] for r in cur.fetchall()}
    by_table: dict[str, list[Resolution]] = {}
    for r in resolutions:
        if r.column.db == db and not r.column.is_view:
            by_table.setdefault(r.column.table, []).append(r)
    for table, rs in sorted(by_table.items()):
        src = f"`{db}`.`{table}`"
        cols = [r.column for r in rs]
        text_cols = [c for c in cols if is_text_type(c.column_type)]
        num_cols = [c for c in cols if _is_big_number(c.column_type)]
        report.scanned_columns += len(text_cols) + len(num_cols)
        with conn.cursor() as cur:
            for c in num_cols:  # account numbers, Aadhaar or phones kept in numeric columns
                cur.execute(
                    f"SELECT COUNT(*) FROM {src} t JOIN {WORK_DB}.fp_high f ON f.h = {fp_sql(f'CAST(t.`{c.column}` AS CHAR)')}"
                    f" WHERE t.`{c.column}` >= 10000000"
                )
                if n := cur.fetchone()[0]:
                    report.high_entropy[f"{table}.{c.column}"] += n
        if text_cols:
            _scan_text(conn, src, table, text_cols, kfp, high, replacements, report)
        pk = [r for r in rs if r.column.key == "PRI"]
        pooled = {r.column.column for r in rs if r.strategy in POOLED}
        searched = [c for c in text_cols if c.column not in pooled]
        if searched and not pk:
            report.tables_without_row_identity += 1
        if searched and pk:
            _scan_same_row(conn, db, src, table, searched, pk, kfp, report)
    return report


def _scan_text(conn, src: str, table: str, cols: list, kfp: str, high: set[bytes], replacements: set[str], report: LeakReport) -> None:
    """High-entropy originals and ID-shaped tokens in the rows the server finds digit runs or '@' in."""
    where = " OR ".join(f"`{c.column}` REGEXP {_CANDIDATE}" for c in cols)
    sql = f"SELECT {', '.join(f'`{c.column}`' for c in cols)} FROM {src} WHERE {where}"
    for row in _stream(conn, sql):
        for c, value in zip(cols, row):
            if value is None or value == "":
                continue
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            report.scanned_values += 1
            if any(fp_py(kfp, t) in high for t in high_tokens(text) if len(t) >= MIN_HIGH_LENGTH):
                report.high_entropy[f"{table}.{c.column}"] += 1
            if id_shaped(text, replacements):
                report.id_shaped[f"{table}.{c.column}"] += 1


CATEGORY_MIN_ROWS = 10
CATEGORY_MIN_SHARE = 0.01


def _categories(cur, src: str, column: str) -> list[str]:
    """Values a column repeats in at least 1 % of rows (and 10): categories such as a title "Master"
    or an occupation "Tailor", which are not made personal by equalling someone's surname."""
    cur.execute(
        f"SELECT LOWER(TRIM(`{column}`)) v FROM {src} WHERE `{column}` IS NOT NULL GROUP BY v"
        f" HAVING COUNT(*) >= GREATEST({CATEGORY_MIN_ROWS}, {CATEGORY_MIN_SHARE} * (SELECT COUNT(*) FROM {src}))"
    )
    return [r[0] for r in cur.fetchall()]


def _scan_same_row(conn, db: str, src: str, table: str, cols: list, pk: list[Resolution], kfp: str, report: LeakReport) -> None:
    """A row's original names, street lines or usernames in any of its text columns after anonymization."""
    rowkey = row_key_sql(pk, original=False)
    fp_join = f"JOIN {WORK_DB}.fp_row f ON f.db = '{db}' AND f.tbl = '{table}' AND f.rowkey = {row_key_sql(pk, original=False, alias='t')}"
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {WORK_DB}.fp_row WHERE db = %s AND tbl = %s", (db, table))
        if not cur.fetchone()[0]:
            return
        sums, args = [], []
        for c in cols:
            norm = f"LOWER(TRIM(t.`{c.column}`))"
            common = _categories(cur, src, c.column)
            exclude = f" AND {norm} NOT IN ({', '.join(['%s'] * len(common))})" if common else ""
            sums.append(f"SUM(f.h = {fp_sql(norm)}{exclude})")
            args += common
        cur.execute(f"SELECT {', '.join(sums)} FROM {src} t {fp_join}", args)
        for c, n in zip(cols, cur.fetchone()):
            if n:
                report.same_row[f"{table}.{c.column}"] += int(n)
        free = [c for c in cols if _is_free_text(c.column_type)]
        if not free:
            return
        cur.execute(f"SELECT rowkey, h FROM {WORK_DB}.fp_row WHERE db = %s AND tbl = %s", (db, table))
        fps: dict[bytes, set[bytes]] = {}
        for rk, h in cur.fetchall():
            fps.setdefault(bytes(rk), set()).add(bytes(h))
    sql = f"SELECT {rowkey}, {', '.join(f'`{c.column}`' for c in free)} FROM {src}"
    for row in _stream(conn, sql):
        row_fps = fps.get(bytes(row[0])) if row[0] is not None else None
        if not row_fps:
            continue
        for c, value in zip(free, row[1:]):
            if value and any(fp_py(kfp, t) in row_fps for t in word_ngrams(str(value)) if len(t) >= MIN_LOW_LENGTH):
                report.same_row[f"{table}.{c.column}"] += 1


def _is_big_number(column_type: str) -> bool:
    return column_type.lower().startswith(("bigint", "decimal"))
