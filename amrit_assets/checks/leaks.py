"""The leak check, written as if the scrubber were not to be trusted (DESIGN decision 6).

What is personal comes from the catalog (which columns hold names, phones, ... by strategy) and
from the staged originals, never from the transformation. While every database is staged and
original (the mapping step), the originals are fingerprinted into the workspace schema as keyed
hashes ``fp(kind ':' normalized)``; no value is stored. After anonymizing, every table is read once
(one streamed SELECT of the columns that can hold something) and every cell is tokenized into the
candidates of the kinds it can hold, which are hashed and looked up in the fingerprint table per
batch of rows on a second session (memory bounded by the batch, not by production). Only counts per
``table.column`` and category leave this module.

Precision: compare only what can leak into what. Each comparison, with its false-alarm rate at
production scale (N = 10M beneficiaries, ~30M people with names, value counts below; the rate is the
expected number of chance matches, a birthday bound: candidates x originals / size of the space):

| category | candidate (after separators, +91/91/0 prefixes) | originals / space | false alarms at 10M |
|---|---|---|---|
| phone | 10 digits led by 6-9 (a 91/0 prefix dropped) | 2e7 / 4e9 = 5e-3 | a 10-digit 6-9 number equal to a real mobile reaches that person when dialled: a finding by definition, whoever wrote it (the value maps avoid originals of every kind); kept integer ids never get there (< 1e8 in AMRIT; INT cannot hold 6e9) |
| aadhaar | 12 digits, Verhoeff-valid | 1e7 / 8e10 valid = 1.2e-4 | 12-digit kept numbers are 1/10 Verhoeff-valid; kept BIGINTs of 12 digits: none |
| abha | 14 digits | 1e7 / 9e13 = 1e-7 | < 1 per 10M candidates |
| beneficiary_id | 12 digits, not Verhoeff-valid, not a remapped id | 1e7 / 9e11 = 1.1e-5 | remapped ids are allowed by value (the bijection's outputs), so only unrelated 12-digit numbers: < 1 per 1e5 |
| account | 9-18 digits, not a phone/Aadhaar/ABHA shape | 1e7 / 1e11 = 1e-4 | same argument; fakes of other kinds are excluded by shape |
| benregid | a number labelled "...reg...id" in a text, or any 6-12 digit run in a text column whose name says it holds beneficiary ids (`RelatedBeneficiaryIds`), not a remapped id | labelled: the only legitimate value there is a remapped id | 0 by chance: a labelled number that is an original and not a remapped id is an id the mapping did not move. An unlabelled bare number is not compared: at 100k beneficiaries (ids 100001-200000) 19,857 kept PIN codes equalled some original id, and at any scale a 6-digit number alone is as often a PIN code, a count or another table's sequential id (the chance rate is the density of originals among numbers of that length: up to 1). Blind spot: another beneficiary's id copied bare into a column not named as one |
| benregid (own) | the same labelled number, equal to an original id of the row's own beneficiary (its id columns through the map, where the bijection moved it) | one id per row, not all ids | the scale-proof form of the above (at production density every original is also some remapped id, so by value the row above is blind): a labelled number equals that one id by chance ~ 1/1e7 |
| email / handle / pan | the token, lower-cased ("x at gmail dot com" too) | 1e7 / >1e15 | 0 |
| full name | two words (either order, one middle word between allowed) that are first + last of one known person | 3e7 pairs / 1e8+ pairs of Indian first x last names | an entry of the fixed fake full-name pool is a replacement, skipped (a real person of that exact name is then invisible: 2,000 pairs, ~ 2000 x 3e7/1e8 = 600 people of 30M); any other pair is a real person's full name, which is what a reader would see; a scrubber must write pool full names (or a placeholder), not independent first + last picks |
| full name in a JSON payload | as above inside one string value; across two values only when a word is not in the first/last-name pools | as above | two pool words in two fields is what a replacement writes (and a random pool pair equals someone's name ~3e7/1e8 of the time: every payload at scale), so it is not compared; blind spot: a person whose first and last names are both pool words, surviving in two fields of an otherwise changed payload |
| full name of the row's beneficiary in its payload | ``firstName`` + ``lastName`` of one JSON object, in a row with a BenRegID, equal to that beneficiary's real first + last name (by its remapped id) | one pair per beneficiary | pool words or not (closes the blind spot above for the person a payload is about): a chance match needs the payload's name pair to equal its own beneficiary's real pair, which a replacement of that person's names never is (each part differs from the original); another person's pseudonym there (~1/(531 x 538) per payload) is not compared, it sits under other keys |
| full name in an address column | as above, except word pairs of the fixed street pool ("Indira Nagar" is a place a replacement address writes, and somebody's name) | as above | 2,000 pool lines: at 100k beneficiaries 633 address cells matched a person's name this way, every one a replacement |
| street | house number + >= 2 words equal to an original street line, not (a run of) a pool line; not in an address column (kept on purpose, an office's, or rewritten from the pool: a replacement) | 1e7 / 1e12 | 0 |
| any of the above, as read | the same candidates taken also from the text as a reader sees it (``reading``: HTML/URL escapes of letters and digits, NFKD, invisible Cf characters and Latin diacritics dropped, Cyrillic/Greek lookalikes as Latin, every dash as "-", digits of any script, "x@gmail" as "x@gmail.com", CamelCase and a label glued to a number apart, spaced dash and "@" closed, "at the rate", spoken digits "nine eight ..."), in addition to the text as written | as the row of its category | the reading differs from the text only where such a writing occurs, so the extra candidates are few (a Hindi remark's ZWJ, an entity, a CamelCase word) and each has its category's rate; each is what a reader sees on screen. CamelCase splits add word pairs ("whats app") at the full-name rate; spoken digits need 9+ digits said in a row |
| phone split in a payload | consecutive fields of one JSON object whose keys name a phone (mobile1/mobile2, contactNo...), 2-9 digits each, joined into 10-12 digits (``reading``) | as the phone row | values under phone-named keys are phones or parts of one, so a joined number equal to a real mobile is that mobile; numbers under other keys (a PIN code next to a year) are never joined |
| bare/rare name | a cell byte-identical to its source that is a bare name, or holds a name token fewer than 4 people have | per cell, same row key | 0 by chance (it is the original) |

The false alarms seen at 100k beneficiaries by the earlier check cannot recur: ``registration_date``
and ``visit_date`` are DATE columns (not read) and dates in text are cut out; a kept ``CallID`` is an
integer under 1e8 (no digit form, and a BenRegID is compared only labelled, in the text or by its column's name);
``general_opd_entry.beneficiary_id`` is a remapped id column (not compared by value).

Dates and times are never digit candidates (temporal columns are not read, date spans are cut out of
text), integer columns narrower than BIGINT are not read (INT's maximum, 4,294,967,295, holds no
phone, Aadhaar or ABHA), and columns resolved to a remapped id kind are not compared by value
(their values live in the originals' domain by construction; the orphan check proves the mapping).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from amrit_assets.catalog.model import Resolution
from amrit_assets.checks.reading import reading
from amrit_assets.common.keys import derive
from amrit_assets.common.kinds import ID_KINDS, WORK_DB, is_text_type
from amrit_assets.common.verhoeff import is_verhoeff_valid
from amrit_assets.control import ddl
from amrit_assets.progress import Progress

CATEGORIES = ("phone", "aadhaar", "abha", "beneficiary_id", "account", "benregid", "email", "pan", "full_name", "street",
              "bare_name", "rare_name")
RARE_MAX_PEOPLE = 3  # a name token at most this many name values hold
MIN_STREET_WORDS = 3  # house number + at least two words
# One table of keyed hashes of "<form>:<normalized>"; the scan looks its candidates up in batches, so
# the check's memory does not grow with production. fp_token counts name tokens on the way to the
# "tok:" (any name token) and "rare:" forms; "new:" forms are the remapped ids, allowed by value.
FP_TABLES = ("fp_value", "fp_token")
FP_DDL = ddl(*FP_TABLES)
LOOKUP_CHUNK = 5000


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


def _by_table(resolutions: Iterable[Resolution], db: str) -> dict[str, list[Resolution]]:
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
    return stmts


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


def fingerprint_originals(conn, databases: Iterable[str], resolutions: list[Resolution]) -> dict[str, int]:
    """Fingerprint the staged original databases, afresh (the session must hold the derived keys)."""
    with conn.cursor() as cur:
        for ddl in FP_DDL:
            cur.execute(ddl)
        for t in FP_TABLES:
            cur.execute(f"TRUNCATE {WORK_DB}.{t}")
        for db in databases:
            for stmt in fingerprint_statements(db, resolutions):
                cur.execute(stmt)
        for stmt in _token_and_id_statements():
            cur.execute(stmt)
        cur.execute(f"SELECT COUNT(*) FROM {WORK_DB}.fp_value")
        return {"leak_fingerprints": cur.fetchone()[0]}


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


def joined_runs(text: str, shortest: int, longest: int) -> Iterator[str]:
    """Every run of consecutive digit groups (separated by spaces, dashes, dots, slashes or parentheses)
    joined into one digit string of ``shortest``..``longest`` digits; dates and times cut out first."""
    for span in _SPAN.finditer(_DATE.sub(" ", text)):
        groups = _GROUP.findall(span.group())
        for i in range(len(groups)):
            acc = ""
            for g in groups[i:]:
                acc += g
                if len(acc) > longest:
                    break
                if len(acc) >= shortest:
                    yield acc


def digit_candidates(text: str) -> set[str]:
    """Every digit string a reader could take for an identifier: groups separated by spaces, dashes,
    dots, slashes or parentheses, joined in every run of consecutive groups of 9-18 digits."""
    out: set[str] = set()
    for digits in joined_runs(text, 9, 18):
        out.update(number_forms(digits))
    return out


_LABELLED_REGID = re.compile(r"reg[a-z_ ]{0,6}id[\"' ]*[:=]?[\"' ]*([0-9]{6,12})(?![0-9])")
_ID_RUN = re.compile(r"(?<![0-9])[0-9]{6,12}(?![0-9])")


def is_id_column(name: str) -> bool:
    """A column whose name labels its numbers as beneficiary ids (``RelatedBeneficiaryIds``, ``OldBenRegID``)."""
    return _ID_NAME.search(re.sub(r"[^a-z]", "", name.lower())) is not None


_ID_NAME = re.compile(r"(?:ben(?:eficiary|ificiary|neficiary)?|reg)(?:reg)?ids?$")


def benregid_candidates(low: str, id_column: bool = False) -> set[str]:
    """A BenRegID is a dense sequential number, so only a labelled number is one: labelled in the text
    (``"beneficiaryRegID":123456``, ``ben reg id: 123456``) or by the column's name (``id_column``)."""
    out = set(_ID_RUN.findall(low)) if id_column else set()
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


def json_strings(text: str) -> list[str] | None:
    """The string values of a JSON payload (keys left out), in document order; None when it is not JSON."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    out: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return out


def payload_pair_candidates(values: list[str], pool_tokens: set[str]) -> set[str]:
    """Full-name pairs of a JSON payload. Inside one value, every pair (typed text). Across values (a
    ``firstName`` next to a ``lastName``), only a pair with a word outside the fake-name pools: two pool
    words in two fields is what any name replacement writes, and equals some real person's name by
    chance (about 1 in 300 payloads at demo scale, every payload at production scale), so it proves
    nothing; a real name surviving there is still found when one of its words is not a pool word, or
    when the cell is unchanged."""
    inside: set[str] = set()
    flat: list[str] = []
    for v in values:
        ws = words(v.lower())
        inside |= name_pair_candidates(ws)
        flat.extend(ws)
    across = name_pair_candidates(flat) - inside
    return inside | {p for p in across if not all(w in pool_tokens for w in p[5:].split(" "))}


def _letters_only(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


def payload_own_names(text: str) -> set[str]:
    """"first last" of every JSON object with a ``firstName`` and a ``lastName`` key (any spelling: the
    person the payload is about), normalized as the originals are; empty when it is not JSON."""
    if text.lstrip()[:1] not in ("{", "["):
        return set()
    try:
        doc = json.loads(text)
    except ValueError:
        return set()
    out, stack = set(), [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            by_key = {_letters_only(str(k)): v for k, v in node.items()}
            first, last = by_key.get("firstname"), by_key.get("lastname")
            if isinstance(first, str) and isinstance(last, str):
                out.add(f"{' '.join(first.lower().split())} {' '.join(last.lower().split())}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
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
    street_line: bool = False  # an address column: kept on purpose (an office's) or rewritten from the pool
    id_column: bool = False  # its name labels its numbers as beneficiary ids


def scanned_columns(rs: list[Resolution]) -> list[_Column]:
    """What one table's SELECT reads: every text/JSON column and every BIGINT/DECIMAL/DOUBLE/FLOAT,
    except remapped ids (their values are originals' by construction) and dropped/emptied ones."""
    out = []
    cells = {r.column.column for r in cell_columns(rs)}
    for r in rs:
        t = r.column.column_type.lower()
        if r.strategy in ID_KINDS or r.strategy in ("truncate", "null", "media", "credential"):
            continue
        width = re.match(r"^(?:var)?char\((\d+)\)", t)
        if width and int(width.group(1)) < 5 and r.column.column not in cells:  # holds no name, number or e-mail
            continue
        if is_text_type(t) and not t.startswith(("enum", "set(")):
            street_line = r.strategy == "address" or (r.strategy == "keep" and "address" in r.column.column.lower())
            out.append(_Column(r.column.column, "text", r.strategy, r.column.column in cells, street_line, is_id_column(r.column.column)))
        elif t.startswith(("bigint", "decimal", "double", "float", "real", "numeric")):
            out.append(_Column(r.column.column, "number", r.strategy))
    return out


def _stream(conn, sql: str, batch: int) -> Iterator[list[tuple]]:
    import pymysql.cursors

    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        # A streamed result waits on the client while a batch is looked up: the server's default
        # write timeout (60 s) would cut a busy scan off mid-table ("Lost connection ... during query").
        cur.execute("SET SESSION net_write_timeout = 3600")
        cur.execute(sql)
        while rows := cur.fetchmany(batch):
            yield rows


class FingerprintsMissing(RuntimeError):
    pass


class _Known:
    """Looks candidate forms up in the fingerprints, in batches on its own connection (bounded memory);
    holds only the small fixed pools (a pool entry is a replacement, whoever else has that name)."""

    def __init__(self, conn, key: bytes):
        self.h, self.conn = Hasher(key), conn
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name IN"
                        " ('fp_value', 'pool_full_name', 'pool_street')", (WORK_DB,))
            if cur.fetchone()[0] != 3:
                raise FingerprintsMissing(f"the workspace has no fingerprints of the originals ({WORK_DB}.fp_value):"
                                          " materialize benregid_mapping (it takes them while every database is original)")
            self.pool_tokens: set[str] = set()  # every word of the first- and last-name pools
            for pool in ("first_name", "last_name"):
                cur.execute(f"SELECT v FROM {WORK_DB}.pool_{pool}")
                self.pool_tokens.update(w for (v,) in cur.fetchall() for w in words(str(v).lower()))
            self.pool_pairs: set[str] = set()
            cur.execute(f"SELECT v FROM {WORK_DB}.pool_full_name")
            for (v,) in cur.fetchall():
                ws = v.lower().split()
                if len(ws) >= 2:
                    self.pool_pairs.update({f"full:{ws[0]} {ws[-1]}", f"full:{ws[-1]} {ws[0]}"})
            cur.execute(f"SELECT v FROM {WORK_DB}.pool_street")
            self.pool_streets = set()  # a pool line and every run of its words from the house number
            self.pool_street_pairs: set[str] = set()  # word pairs of pool lines ("Nehru Nagar"): a replacement address, not a name
            for (v,) in cur.fetchall():
                self.pool_streets.update(f[7:] for f in street_candidates(street_form(v.lower())))
                self.pool_street_pairs |= name_pair_candidates(words(v.lower()))

    def hits(self, forms: Iterable[str]) -> set[str]:
        """The forms that are fingerprinted."""
        by_hash = {self.h(f): f for f in forms}
        found: set[str] = set()
        keys = list(by_hash)
        with self.conn.cursor() as cur:
            for i in range(0, len(keys), LOOKUP_CHUNK):
                chunk = keys[i : i + LOOKUP_CHUNK]  # hex literals: binary strings, nothing to escape
                cur.execute(f"SELECT h FROM {WORK_DB}.fp_value WHERE h IN ({', '.join('0x' + k.hex() for k in chunk)})")
                found.update(by_hash[bytes(r[0])] for r in cur.fetchall())
        return found

    def rare_form(self, word: str) -> str:
        return "rare:" + self.h("tok:" + word).hex().upper()


_HAS_DIGIT = re.compile(r"[0-9]")


def text_forms(text: str, known: _Known, *, street_line: bool = False, id_column: bool = False) -> dict[str, str]:
    """Candidate form -> category, for everything one text could hold as written and as read
    (``reading``: entities, escapes, invisible characters, glued or spoken forms undone)."""
    out = _written_forms(text, known, street_line=street_line, id_column=id_column)
    read = reading(text)
    if read != text:
        for form, cat in _written_forms(read, known, street_line=street_line, id_column=id_column).items():
            out.setdefault(form, cat)
    return out


def _written_forms(text: str, known: _Known, *, street_line: bool = False, id_column: bool = False) -> dict[str, str]:
    """Candidate form -> category, for everything one text could hold (pool entries already left out)."""
    low = text.lower()
    out: dict[str, str] = {}
    digits = _HAS_DIGIT.search(low) is not None
    for form in digit_candidates(low) if digits else ():
        cat, digits = form.split(":", 1)
        out[form] = cat
        if cat == "beneficiary_id":
            out["new:beneficiary_id:" + digits] = "new"
    for digits in benregid_candidates(low, id_column):
        out["benregid:" + digits] = "benregid"
        out["new:benregid:" + digits] = "new"
    for form in email_candidates(low):
        out[form] = "email"
    if "@" not in low:
        for m in _PAN.finditer(low):
            out["pan:" + m.group()] = "pan"
    ws = words(low)
    if len(ws) >= 2:
        values = json_strings(text)
        pairs = name_pair_candidates(ws) if values is None else payload_pair_candidates(values, known.pool_tokens)
        for form in pairs:
            if form not in known.pool_pairs and not (street_line and form in known.pool_street_pairs):
                out[form] = "full_name"
    if not street_line and digits:
        for form in street_candidates(low):
            if form[7:] not in known.pool_streets:
                out[form] = "street"
    return out


def integral_digits(value) -> str | None:
    """The digits of a whole number of at least 9 digits (INT/BIGINT/DECIMAL/DOUBLE/FLOAT), else None."""
    if isinstance(value, float):
        value = int(value) if value.is_integer() and 1e8 <= value < 1e19 else None
    elif isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else None
    if not isinstance(value, int) or value < 10**8:
        return None
    return str(value)


def number_forms_of(value) -> dict[str, str]:
    digits = integral_digits(value)
    if digits is None:
        return {}
    out = {form: form.split(":", 1)[0] for form in number_forms(digits)}
    if "beneficiary_id:" + digits in out:
        out["new:beneficiary_id:" + digits] = "new"
    return out


def categories(forms: dict[str, str], hit: set[str]) -> set[str]:
    """The categories of the forms found; an id equal to a remapped one is that replacement."""
    cats = set()
    for form, cat in forms.items():
        if cat == "new" or form not in hit:
            continue
        if cat in ("beneficiary_id", "benregid") and "new:" + form in hit:
            continue
        cats.add(cat)
    return cats


def unchanged_name_categories(text: str, known: _Known, hit: set[str]) -> set[str]:
    """A cell byte-identical to its source: a bare name (the whole value) or one holding a rare name token."""
    ws = words(text.lower())
    if not ws:
        return set()
    if len(ws) <= 3 and all("tok:" + w in hit for w in ws):
        return {"bare_name"}
    if any(known.rare_form(w) in hit for w in ws):
        return {"rare_name"}
    return set()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


@dataclass
class _Table:
    """One table's SELECT: its scanned columns, then its row key (if it has one), then its remapped BenRegIDs."""
    name: str
    cols: list[_Column]
    cell_prefixes: list[str | None]
    own_prefix: str | None  # the row's own original ids ("rowid:"), when it has a row key and id columns
    has_key: bool
    has_regs: bool


def _scan_batch(rows: list[tuple], t: _Table, known: _Known, report: LeakReport) -> None:
    """Two lookups per batch: every candidate form (and the cells' own fingerprints, the row's own
    beneficiary's original ids and real name), then the name tokens of the cells found unchanged."""
    cols, cell_prefixes, own_prefix, table = t.cols, t.cell_prefixes, t.own_prefix, t.name
    cells: list[tuple[int, int, dict[str, str], str | None]] = []
    wanted: set[str] = set()
    n = len(cols)
    for i, row in enumerate(rows):
        rk = row[n] if t.has_key else None
        regs = str(row[n + t.has_key] or "").split(",") if t.has_regs else []
        for j, (c, value) in enumerate(zip(cols, row)):
            if value is None or value == "":
                continue
            report.scanned_values += 1
            own = f"{own_prefix}{rk}|" if own_prefix and rk is not None else None
            if c.kind != "text":
                forms = number_forms_of(value)
                cell = None
            else:
                text = _text(value)
                forms = text_forms(text, known, street_line=c.street_line, id_column=c.id_column)
                if own:  # a labelled id only: a bare 6-digit run is as often a PIN code
                    forms.update((own + d.lstrip("0"), "benregid") for d in benregid_candidates(text.lower(), c.id_column))
                if regs and "{" in text:
                    forms.update((f"benname:{reg}|{pair}", "full_name") for pair in payload_own_names(text) for reg in regs if reg)
                cell = f"{cell_prefixes[j]}{rk}|{text}" if cell_prefixes[j] and rk is not None else None
                if cell:
                    wanted.add(cell)
            if forms or cell:
                wanted.update(forms)
                cells.append((i, j, forms, cell))
    hit = known.hits(wanted)
    unchanged = [(i, j) for i, j, _, cell in cells if cell and cell in hit]
    if unchanged:
        toks = set()
        for i, j in unchanged:
            for w in words(_text(rows[i][j]).lower()):
                toks.update(("tok:" + w, known.rare_form(w)))
        hit |= known.hits(toks)
    unchanged_set = set(unchanged)
    for i, j, forms, cell in cells:
        cats = categories(forms, hit)
        if (i, j) in unchanged_set:
            cats |= unchanged_name_categories(_text(rows[i][j]), known, hit)
        for cat in cats:
            report.findings[(f"{table}.{cols[j].name}", cat)] += 1


def scan_database(conn, lookup_conn, db: str, resolutions: list[Resolution], key: bytes, batch: int = 2000,
                  log: Callable[[str], None] | None = None) -> LeakReport:
    """Search one anonymized database, every table once (one streamed SELECT), for the fingerprinted
    originals; ``lookup_conn`` is a second session for the batched fingerprint lookups. ``log`` gets
    the progress lines (tables done of total, time left)."""
    known = _Known(lookup_conn, key)
    report = LeakReport()
    tables = [(table, rs, cols) for table, rs in sorted(_by_table(resolutions, db).items()) if (cols := scanned_columns(rs))]
    progress = Progress(log or (lambda _: None), db, "leak check", len(tables))
    for table, rs, cols in tables:
        report.scanned_columns += len(cols)
        pk = row_key([r for r in rs if r.column.key == "PRI"])
        if any(c.cell for c in cols) and not pk:
            report.tables_without_row_identity += 1
        select = [f"`{c.name}`" for c in cols]
        if pk:
            select.append(row_key_sql(pk, original=False))
        regs = [f"`{r.column.column}`" for r in rs if r.strategy == "benregid"]
        if regs:
            select.append(f"CONCAT_WS(',', {', '.join(regs)})")
        t = _Table(table, cols, [cell_prefix(db, table, c.name) if c.cell else None for c in cols],
                   rowid_prefix(db, table) if pk and any(r.strategy in ID_KINDS for r in rs) else None, bool(pk), bool(regs))
        for rows in _stream(conn, f"SELECT {', '.join(select)} FROM `{db}`.`{table}`", batch):
            _scan_batch(rows, t, known, report)
        progress.advance()
    return report
