"""The leak check, written as if the scrubber were not to be trusted (DESIGN decision 6).

What is personal comes from the catalog (which columns hold names, phones, ... by strategy) and
from the staged originals, never from the transformation. While every database is staged and
original (the mapping step), the originals are fingerprinted into the workspace schema as keyed
hashes ``fp(kind ':' normalized)``; no value is stored. After anonymizing, every table is read once
(one streamed SELECT of the columns that can hold something) and every cell is tokenized into the
candidates of the kinds it can hold, which are hashed and looked up. Only counts per
``table.column`` and category leave this module.

Precision: compare only what can leak into what. Each comparison, with its false-alarm rate at
production scale (N = 10M beneficiaries, ~30M people with names, value counts below; the rate is the
expected number of chance matches, a birthday bound: candidates x originals / size of the space):

| category | candidate (after separators, +91/91/0 prefixes) | originals / space | false alarms at 10M |
|---|---|---|---|
| phone | 10 digits led by 6-9 (a 91/0 prefix dropped) | 2e7 / 4e9 = 5e-3 | only numbers that are not fakes of this kind: a kept 10-digit 6-9 number (none in AMRIT's kept columns; INT cannot hold one); replacements avoid originals by the mapping's promise, a breach is a real person's number |
| aadhaar | 12 digits, Verhoeff-valid | 1e7 / 8e10 valid = 1.2e-4 | 12-digit kept numbers are 1/10 Verhoeff-valid; kept BIGINTs of 12 digits: none |
| abha | 14 digits | 1e7 / 9e13 = 1e-7 | < 1 per 10M candidates |
| beneficiary_id | 12 digits, not Verhoeff-valid, not a remapped id | 1e7 / 9e11 = 1.1e-5 | remapped ids are allowed by value (the bijection's outputs), so only unrelated 12-digit numbers: < 1 per 1e5 |
| account | 9-18 digits, not a phone/Aadhaar/ABHA shape | 1e7 / 1e11 = 1e-4 | same argument; fakes of other kinds are excluded by shape |
| benregid | a text cell that is nothing but the number, or a number labelled "...reg...id", not a remapped id | dense (sequential) | P(original and not remapped) ~ 0 at 10M: detected at small scale only; ids in numbers are the orphan check's job |
| email / handle / pan | the token, lower-cased ("x at gmail dot com" too) | 1e7 / >1e15 | 0 |
| full name | two words (either order, one middle word between allowed) that are first + last of one known person | 3e7 pairs / 1e8+ pairs of Indian first x last names | an entry of the fixed fake full-name pool is a replacement, skipped (a real person of that exact name is then invisible: 2,000 pairs, ~ 2000 x 3e7/1e8 = 600 people of 30M); any other pair is a real person's full name, which is what a reader would see; a scrubber must write pool full names (or a placeholder), not independent first + last picks |
| street | house number + >= 2 words equal to an original street line, not a pool line; not in a column the catalog keeps as an address (an office's) | 1e7 / 1e12 | 0 |
| bare/rare name | a cell byte-identical to its source that is a bare name, or holds a name token fewer than 4 people have | per cell, same row key | 0 by chance (it is the original) |

Dates and times are never digit candidates (temporal columns are not read, date spans are cut out of
text), integer columns narrower than BIGINT are not read (INT's maximum, 4,294,967,295, holds no
phone, Aadhaar or ABHA), and columns resolved to a remapped id kind are not compared by value
(their values live in the originals' domain by construction; the orphan check proves the mapping).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from amrit_assets.catalog.model import Resolution
from amrit_assets.common.keys import derive
from amrit_assets.common.kinds import ID_KINDS, WORK_DB, is_text_type
from amrit_assets.common.verhoeff import is_verhoeff_valid

CATEGORIES = ("phone", "aadhaar", "abha", "beneficiary_id", "account", "benregid", "email", "pan", "full_name", "street",
              "bare_name", "rare_name")
RARE_MAX_PEOPLE = 3  # a name token at most this many name values hold
MIN_STREET_WORDS = 3  # house number + at least two words
FP_DDL = (
    f"CREATE DATABASE IF NOT EXISTS {WORK_DB}",
    f"CREATE TABLE IF NOT EXISTS {WORK_DB}.fp_value (h BINARY(16) NOT NULL PRIMARY KEY)",
    f"CREATE TABLE IF NOT EXISTS {WORK_DB}.fp_token (h BINARY(16) NOT NULL PRIMARY KEY, n BIGINT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {WORK_DB}.fp_cell (h BINARY(16) NOT NULL PRIMARY KEY)",
)
FP_TABLES = ("fp_value", "fp_token", "fp_cell")


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
        return bytes.fromhex(h.hexdigest()[:32])


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


def _by_table(resolutions: Iterable[Resolution], db: str) -> dict[str, list[Resolution]]:
    out: dict[str, list[Resolution]] = {}
    for r in resolutions:
        if r.column.db == db and not r.column.is_view:
            out.setdefault(r.column.table, []).append(r)
    return out


def row_key_sql(pk: list[Resolution], *, original: bool) -> str:
    """A row's identity that survives anonymization: PK columns, remapped ids taken through the map."""
    parts = []
    for r in pk:
        q = f"`{r.column.column}`"
        if original and r.strategy in ID_KINDS:
            q = f"COALESCE((SELECT m.new_id FROM {WORK_DB}.id_map m WHERE m.kind = '{r.strategy}' AND m.old_id = {q}), {q})"
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


def cell_form(db: str, table: str, column: str, key: str, value: str) -> str:
    return f"cell:{db}.{table}.{column}|{key}|{value}"


def fingerprint_statements(db: str, resolutions: list[Resolution]) -> list[str]:
    """Set-based INSERTs fingerprinting the originals of one staged database (session holds the keys)."""
    stmts = []
    for table, rs in sorted(_by_table(resolutions, db).items()):
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
                        f"INSERT INTO {WORK_DB}.fp_token (h, n) SELECT {fp_sql(form)} h, COUNT(*) FROM {src}"
                        f" WHERE CHAR_LENGTH({tok}) >= 2 GROUP BY h ON DUPLICATE KEY UPDATE n = n + VALUES(n)")
        pk = row_key([r for r in rs if r.column.key == "PRI"])
        if pk:
            key = row_key_sql(pk, original=True)
            for r in cell_columns(rs):
                q = f"`{r.column.column}`"
                form = f"CONCAT('cell:{db}.{table}.{r.column.column}|', {key}, '|', {_chr(q)})"
                stmts.append(f"INSERT IGNORE INTO {WORK_DB}.fp_cell (h) SELECT {fp_sql(form)} FROM {src} WHERE {q} IS NOT NULL AND {q} <> ''")
    return stmts


def fingerprint_originals(conn, databases: Iterable[str], resolutions: list[Resolution]) -> dict[str, int]:
    """Fingerprint every staged original database, afresh (the session must hold the derived keys)."""
    with conn.cursor() as cur:
        for ddl in FP_DDL:
            cur.execute(ddl)
        for t in FP_TABLES:
            cur.execute(f"TRUNCATE {WORK_DB}.{t}")
        for db in databases:
            for stmt in fingerprint_statements(db, resolutions):
                cur.execute(stmt)
        counts = {}
        for t in FP_TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {WORK_DB}.{t}")
            counts[f"{t}_fingerprints"] = cur.fetchone()[0]
    return counts


# --- candidates in a value (pure functions) -----------------------------------------------------

_MONTH, _DAY = r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12][0-9]|3[01])"
_DATE = re.compile(  # ISO and Indian day-first dates (with a time), and times: never identifiers
    rf"(?<![0-9])(?:(?:19|20)[0-9]{{2}}-{_MONTH}-{_DAY}(?:[ T][0-9]{{1,2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]+)?)?)?"
    rf"|{_DAY}[/-]{_MONTH}[/-](?:19|20)[0-9]{{2}}|[0-9]{{1,2}}:[0-9]{{2}}(?::[0-9]{{2}})?)(?![0-9])")
_SPAN = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:(?:[ .\-/]{1,2}|[ ]?\)[ .\-]?|[ ]?\()[0-9]+)*(?![0-9A-Za-z])")
_GROUP = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*")
_SPELLED = re.compile(r"([a-z0-9._%+-]+)\s*(?:\(at\)|\[at\]|\bat\b)\s*([a-z0-9-]+(?:\s*(?:\(dot\)|\[dot\]|\bdot\b|\.)\s*[a-z0-9-]+)+)")
_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\]|\bdot\b|\.)\s*")
_PAN = re.compile(r"(?<![a-z0-9])[a-z]{5}[0-9]{4}[a-z](?![a-z0-9])")
_WORD = re.compile(r"[^\W\d_]+(?:['.][^\W\d_]+)*")


def number_forms(digits: str) -> list[str]:
    """The kinds a bare digit string can be, by length and shape (see the table above)."""
    n, out = len(digits), []
    phone = None
    if n == 10:
        phone = digits
    elif n == 11 and digits[0] == "0":
        phone = digits[1:]
    elif n == 12 and digits.startswith("91"):
        phone = digits[2:]
    elif n == 13 and digits.startswith("091"):
        phone = digits[3:]
    if phone and phone[0] in "6789":
        out.append("phone:" + phone)
        if n == 10:
            return out
    if n == 12 and is_verhoeff_valid(digits):
        return out + ["aadhaar:" + digits]
    if n == 14:
        return out + ["abha:" + digits]
    if n == 12:
        out.append("beneficiary_id:" + digits)
    if 9 <= n <= 18:
        out.append("account:" + digits)
    return out


def digit_candidates(text: str) -> set[str]:
    """Every digit string a reader could take for an identifier: groups separated by spaces, dashes,
    dots, slashes or parentheses, joined in every run of consecutive groups of 9-18 digits."""
    out: set[str] = set()
    text = _DATE.sub(" ", text)
    for span in _SPAN.finditer(text):
        groups = _GROUP.findall(span.group())
        for i in range(len(groups)):
            acc = ""
            for g in groups[i:]:
                acc += g
                if len(acc) > 18:
                    break
                if len(acc) >= 9:
                    out.update(number_forms(acc))
    return out


_LABELLED_REGID = re.compile(r"reg[a-z_ ]{0,6}id[\"' ]*[:=]?[\"' ]*([0-9]{6,12})(?![0-9])")


def benregid_candidates(low: str) -> set[str]:
    """A BenRegID is a dense sequential number: only a text cell that is nothing but the number, or a
    number labelled as one (``"beneficiaryRegID":123456``, ``ben reg id: 123456``), is compared."""
    s = low.strip()
    out = {s} if s.isdigit() and len(s) >= 6 else set()
    if "reg" in low:
        out.update(m.group(1) for m in _LABELLED_REGID.finditer(low))
    return out


def email_candidates(low: str) -> set[str]:
    out = {"email:" + m.group().strip(".") for m in _EMAIL.finditer(low)} if "@" in low else set()
    if " at " in low or "(at)" in low or "[at]" in low:
        for m in _SPELLED.finditer(low):
            out.add("email:" + m.group(1) + "@" + _DOT.sub(".", m.group(2)))
    return out


def words(low: str) -> list[str]:
    return _WORD.findall(low)


def name_pair_candidates(ws: list[str]) -> set[str]:
    """Adjacent words, and words one apart (a middle name between), in both orders."""
    out = set()
    for i, a in enumerate(ws):
        for b in ws[i + 1 : i + 3]:
            out.add(f"full:{a} {b}")
    return out


def street_tokens(low: str) -> list[str]:
    return re.sub(r"[^\w]+|_", " ", low).split()


def street_form(low: str) -> str:
    """A street line as the originals are fingerprinted: from its house number on."""
    toks = street_tokens(low)
    i = next((k for k, t in enumerate(toks) if t[0].isdigit()), len(toks))
    return " ".join(toks[i:])


def street_candidates(low: str) -> set[str]:
    """From each house number, the normalized runs of 3-12 words (the originals' normalization)."""
    toks = street_tokens(low)
    out = set()
    for i, t in enumerate(toks):
        if t[0].isdigit() and re.fullmatch(r"[0-9]+[a-z]?", t) and i + 2 < len(toks) and toks[i + 1].isalpha():
            for j in range(i + MIN_STREET_WORDS, min(len(toks), i + 12) + 1):
                out.add("street:" + " ".join(toks[i:j]))
    return out


# --- the scan -----------------------------------------------------------------------------------

@dataclass
class LeakReport:
    findings: Counter = field(default_factory=Counter)  # ("table.column", category) -> cells
    scanned_columns: int = 0
    scanned_values: int = 0
    tables_without_row_identity: int = 0

    @property
    def total(self) -> int:
        return sum(self.findings.values())

    def by_category(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (where, cat), n in sorted(self.findings.items()):
            out.setdefault(cat, {})[where] = n
        return out


@dataclass
class _Column:
    name: str
    kind: str  # "text" | "number"
    strategy: str
    cell: bool = False
    kept_address: bool = False  # the catalog keeps an address here on purpose (an office's, a facility's)


def scanned_columns(rs: list[Resolution]) -> list[_Column]:
    """What one table's SELECT reads: every text/JSON column and every BIGINT/DECIMAL/DOUBLE/FLOAT,
    except remapped ids (their values are originals' by construction) and dropped/emptied ones."""
    out = []
    cells = {r.column.column for r in cell_columns(rs)}
    for r in rs:
        t = r.column.column_type.lower()
        if r.strategy in ID_KINDS or r.strategy in ("truncate", "null", "media", "credential"):
            continue
        if is_text_type(t) and not t.startswith(("enum", "set(")):
            kept_address = r.strategy == "keep" and "address" in r.column.column.lower()
            out.append(_Column(r.column.column, "text", r.strategy, r.column.column in cells, kept_address))
        elif t.startswith(("bigint", "decimal", "double", "float", "real", "numeric")):
            out.append(_Column(r.column.column, "number", r.strategy))
    return out


def _stream(conn, sql: str, batch: int = 5000) -> Iterator[tuple]:
    import pymysql.cursors

    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute(sql)
        while rows := cur.fetchmany(batch):
            yield from rows


class _Known:
    """The fingerprints (and what is a replacement by construction), loaded once per scan."""

    def __init__(self, conn, key: bytes):
        self.h = Hasher(key)
        with conn.cursor() as cur:
            cur.execute(f"SELECT h FROM {WORK_DB}.fp_value")
            self.values = {bytes(r[0]) for r in cur.fetchall()}
            cur.execute(f"SELECT h, n FROM {WORK_DB}.fp_token")
            tokens = {bytes(h): n for h, n in cur.fetchall()}
            cur.execute(f"SELECT h FROM {WORK_DB}.fp_cell")
            self.cells = {bytes(r[0]) for r in cur.fetchall()}
            cur.execute(f"SELECT CAST(new_id AS CHAR) FROM {WORK_DB}.id_map")
            self.new_ids = {r[0] for r in cur.fetchall()}
            pool_tokens: set[str] = set()
            self.pool_pairs: set[str] = set()
            self.pool_streets: set[str] = set()
            for pool in ("first_name", "last_name", "full_name", "street"):
                cur.execute(f"SELECT v FROM {WORK_DB}.pool_{pool}")
                for (v,) in cur.fetchall():
                    low = v.lower()
                    if pool == "street":
                        self.pool_streets.add(street_form(low))
                        continue
                    ws = low.split()
                    pool_tokens.update(ws)
                    if len(ws) >= 2:
                        self.pool_pairs.update({f"full:{ws[0]} {ws[-1]}", f"full:{ws[-1]} {ws[0]}"})
        self.tokens = set(tokens)
        pool_h = {self.h("tok:" + t) for t in pool_tokens}
        self.rare = {t for t, n in tokens.items() if n <= RARE_MAX_PEOPLE and t not in pool_h}

    def hit(self, form: str) -> bool:
        return self.h(form) in self.values


def _fingerprints_exist(conn) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name IN"
                    " ('fp_value', 'fp_token', 'fp_cell', 'id_map', 'pool_first_name', 'pool_last_name', 'pool_full_name', 'pool_street')", (WORK_DB,))
        return cur.fetchone()[0] == 8


class FingerprintsMissing(RuntimeError):
    pass


def text_findings(text: str, known: _Known) -> set[str]:
    """Categories of the originals one text holds (empty when it holds none)."""
    low = text.lower()
    cats = set()
    for form in digit_candidates(low):
        cat, digits = form.split(":", 1)
        if known.hit(form) and not (cat == "beneficiary_id" and digits in known.new_ids):
            cats.add(cat)
    for digits in benregid_candidates(low):
        if digits not in known.new_ids and known.hit("benregid:" + digits):
            cats.add("benregid")
    for form in email_candidates(low):
        if known.hit(form):
            cats.add("email")
    if "@" not in low:
        for m in _PAN.finditer(low):
            if known.hit("pan:" + m.group()):
                cats.add("pan")
    ws = words(low)
    if len(ws) >= 2:
        for form in name_pair_candidates(ws):
            if form not in known.pool_pairs and known.hit(form):
                cats.add("full_name")
    if any(c.isdigit() for c in low):
        for form in street_candidates(low):
            if form[7:] not in known.pool_streets and known.hit(form):
                cats.add("street")
    return cats


def integral_digits(value) -> str | None:
    """The digits of a whole number of at least 9 digits (INT/BIGINT/DECIMAL/DOUBLE/FLOAT), else None."""
    if isinstance(value, float):
        value = int(value) if value.is_integer() and 1e8 <= value < 1e19 else None
    elif isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else None
    if not isinstance(value, int) or value < 10**8:
        return None
    return str(value)


def number_findings(value, known: _Known) -> set[str]:
    """Categories of the original a number equals; a remapped BeneficiaryID is that replacement."""
    digits = integral_digits(value)
    if digits is None:
        return set()
    cats = {form.split(":", 1)[0] for form in number_forms(digits) if known.hit(form)}
    return cats - {"beneficiary_id"} if digits in known.new_ids else cats


def unchanged_name_findings(text: str, cell: str, known: _Known) -> set[str]:
    """A cell byte-identical to its source: a bare name (the whole value) or one with a rare name token."""
    if known.h(cell) not in known.cells:
        return set()
    ws = words(text.lower())
    if not ws:
        return set()
    hashes = [known.h("tok:" + w) for w in ws]
    if len(ws) <= 3 and all(h in known.tokens for h in hashes):
        return {"bare_name"}
    if any(h in known.rare for h in hashes):
        return {"rare_name"}
    return set()


def scan_database(conn, db: str, resolutions: list[Resolution], key: bytes) -> LeakReport:
    """Search one anonymized database, every table once, for the fingerprinted originals."""
    if not _fingerprints_exist(conn):
        raise FingerprintsMissing(f"the workspace has no fingerprints of the originals ({WORK_DB}.fp_*): materialize benregid_mapping first")
    known = _Known(conn, key)
    report = LeakReport()
    for table, rs in sorted(_by_table(resolutions, db).items()):
        cols = scanned_columns(rs)
        if not cols:
            continue
        report.scanned_columns += len(cols)
        pk = row_key([r for r in rs if r.column.key == "PRI"])
        if any(c.cell for c in cols) and not pk:
            report.tables_without_row_identity += 1
        select = [f"`{c.name}`" for c in cols]
        if pk:
            select.append(row_key_sql(pk, original=False))
        for row in _stream(conn, f"SELECT {', '.join(select)} FROM `{db}`.`{table}`"):
            rk = row[len(cols)] if pk else None
            for c, value in zip(cols, row):
                if value is None or value == "":
                    continue
                report.scanned_values += 1
                if c.kind == "number":
                    cats = number_findings(value, known)
                else:
                    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
                    cats = text_findings(text, known)
                    if c.kept_address:  # an office at the same street line as somebody's home is still an office
                        cats.discard("street")
                    if c.cell and rk is not None:
                        cats |= unchanged_name_findings(text, cell_form(db, table, c.name, rk, text), known)
                for cat in cats:
                    report.findings[(f"{table}.{c.name}", cat)] += 1
    return report
