"""The leak check, written as if the scrubber were not to be trusted (docs/DESIGN.md, decision 6).

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
| phone | 10 digits led by 6-9 (a 91/0 prefix dropped): a whole digit span, or a run of groups inside one written as a mobile is (98765 43210, 987-654-3210; ``candidates.WRITINGS``) | 2e7 / 4e9 = 5e-3 | a 10-digit 6-9 number equal to a real mobile reaches that person when dialled: a finding by definition, whoever wrote it (the value maps avoid originals of every kind); kept integer ids never get there (< 1e8 in AMRIT; INT cannot hold 6e9) |
| aadhaar | 12 digits, Verhoeff-valid | 1e7 / 8e10 valid = 1.2e-4 | 12-digit kept numbers are 1/10 Verhoeff-valid; kept BIGINTs of 12 digits: none |
| abha | 14 digits | 1e7 / 9e13 = 1e-7 | < 1 per 10M candidates |
| beneficiary_id | 12 digits, not Verhoeff-valid, not a remapped id | 1e7 / 9e11 = 1.1e-5 | remapped ids are allowed by value (the bijection's outputs), so only unrelated 12-digit numbers: < 1 per 1e5 |
| account | a whole digit span of 9-18 digits, not a phone/Aadhaar/ABHA shape (never a run inside a longer number: at 100k a call id "1734936773.42933" equalled an account by its integer part) | 1e7 / 1e11 = 1e-4 | same argument; fakes of other kinds are excluded by shape |
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

import functools
import multiprocessing
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from amrit_assets.catalog.model import Resolution
from amrit_assets.checks.candidates import (
    benregid_candidates,
    digit_candidates,
    email_candidates,
    is_id_column,
    json_strings,
    name_pair_candidates,
    number_forms_of,
    pan_candidates,
    payload_own_names,
    payload_pair_candidates,
    street_candidates,
    street_form,
    words,
)
from amrit_assets.checks.fingerprints import (
    Hasher,
    cell_columns,
    cell_prefix,
    row_key,
    row_key_sql,
    rowid_prefix,
    tables_of,
)
from amrit_assets.checks.reading import reading
from amrit_assets.common.kinds import ID_KINDS, WORK_DB, is_text_type
from amrit_assets.progress import TABLE_COST_BYTES, Progress
from amrit_assets.resources.inspect import table_bytes
from amrit_assets.resources.mysql import ServerAddress, connection

CATEGORIES = ("phone", "aadhaar", "abha", "beneficiary_id", "account", "benregid", "email", "pan", "full_name", "street",
              "bare_name", "rare_name")
LOOKUP_CHUNK = 5000


# --- the scan -----------------------------------------------------------------------------------

@dataclass
class LeakReport:
    findings: Counter = field(default_factory=Counter)  # ("table.column", category) -> cells
    scanned_columns: int = 0
    scanned_values: int = 0
    tables_without_row_identity: int = 0

    def add(self, other: LeakReport) -> None:
        self.findings.update(other.findings)
        self.scanned_columns += other.scanned_columns
        self.scanned_values += other.scanned_values
        self.tables_without_row_identity += other.tables_without_row_identity

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
        # the words of unchanged cells repeat: each word's "rare:" form (a hash) is computed once
        self.rare_form = functools.lru_cache(maxsize=100_000)(self._rare_form)
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

    def _rare_form(self, word: str) -> str:
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
    for form in pan_candidates(low):
        out[form] = "pan"
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


class _Forms:
    """``text_forms`` and ``number_forms_of`` of one table's cells, remembered for short values: at 5,000
    beneficiaries 95% of the text cells repeat a value already read (statuses, kept descriptions, dates
    written as text), and tokenizing is most of the check's time. Bounded: forgotten when full."""

    MAX_ENTRIES, MAX_CHARS = 50_000, 200

    def __init__(self, known: _Known):
        self.known, self.memo = known, {}

    def of(self, value, c: _Column) -> dict[str, str]:
        """A fresh dict each call (the scan adds the row's own forms to it); ``value`` is a str for text columns."""
        key = (value, type(value), c.street_line, c.id_column)  # 1 == 1.0 == Decimal(1): by type too
        found = self.memo.get(key)
        if found is None:
            if c.kind != "text":
                found = number_forms_of(value)
            else:
                found = text_forms(value, self.known, street_line=c.street_line, id_column=c.id_column)
            if c.kind != "text" or len(value) <= self.MAX_CHARS:
                if len(self.memo) >= self.MAX_ENTRIES:
                    self.memo.clear()
                self.memo[key] = found
        return dict(found)


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


def _scan_batch(rows: list[tuple], t: _Table, known: _Known, report: LeakReport, forms_of: _Forms) -> None:
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
                forms = forms_of.of(value, c)
                cell = None
            else:
                text = _text(value)
                forms = forms_of.of(text, c)
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


def _plan(db: str, table: str, rs: list[Resolution], cols: list[_Column]) -> tuple[_Table, str]:
    """One table's SELECT (its scanned columns, row key, remapped BenRegIDs) and how its rows are read."""
    pk = row_key([r for r in rs if r.column.key == "PRI"])
    select = [f"`{c.name}`" for c in cols]
    if pk:
        select.append(row_key_sql(pk, original=False))
    regs = [f"`{r.column.column}`" for r in rs if r.strategy == "benregid"]
    if regs:
        select.append(f"CONCAT_WS(',', {', '.join(regs)})")
    t = _Table(table, cols, [cell_prefix(db, table, c.name) if c.cell else None for c in cols],
               rowid_prefix(db, table) if pk and any(r.strategy in ID_KINDS for r in rs) else None, bool(pk), bool(regs))
    return t, f"SELECT {', '.join(select)} FROM `{db}`.`{table}`"


def scan_table(conn, known: _Known, db: str, table: str, rs: list[Resolution], cols: list[_Column], batch: int) -> LeakReport:
    """One table, read once (a streamed SELECT on ``conn``), its candidates looked up through ``known``."""
    report = LeakReport(scanned_columns=len(cols))
    t, sql = _plan(db, table, rs, cols)
    if any(c.cell for c in cols) and not t.has_key:
        report.tables_without_row_identity = 1
    forms_of = _Forms(known)
    for rows in _stream(conn, sql, batch):
        _scan_batch(rows, t, known, report, forms_of)
    return report


_WORKER: dict = {}  # per worker process: the server's address and the fingerprints' pools, loaded once


def _worker_scan(address: ServerAddress, key: bytes, db: str, table: str, rs: list[Resolution], cols: list[_Column],
                 batch: int) -> LeakReport:
    with connection(address) as conn, connection(address) as lookups:
        known = _WORKER.get("known")
        if known is None:
            known = _WORKER["known"] = _Known(lookups, key)
        known.conn = lookups
        return scan_table(conn, known, db, table, rs, cols, batch)


POOL_MIN_BYTES = 64 << 20  # below this a scan takes less than starting the worker processes (~1-3 s each)


def scan_database(address: ServerAddress, db: str, resolutions: list[Resolution], key: bytes, *, workers: int = 1,
                  batch: int = 2000, log: Callable[[str], None] | None = None, pool_min_bytes: int = POOL_MIN_BYTES) -> LeakReport:
    """Search one anonymized database, every table once, for the fingerprinted originals: ``workers``
    processes (the tokenizing is Python, so threads would share one core), each table on two sessions
    of its own (a streamed SELECT, and the batched lookups), largest tables first. ``log`` gets the
    progress lines (tables done of total, time left)."""
    tables = [(table, rs, cols) for table, rs in sorted(tables_of(resolutions, db).items()) if (cols := scanned_columns(rs))]
    with connection(address) as conn:
        size = {t.lower(): n for t, n in table_bytes(conn, db).items()}
        tables.sort(key=lambda x: -size.get(x[0].lower(), 0))
        report = LeakReport()
        work = {t: size.get(t.lower(), 0) + TABLE_COST_BYTES for t, _, _ in tables}
        progress = Progress(log or (lambda _: None), db, "leak check", len(tables), work=sum(work.values()))
        if workers <= 1 or len(tables) < 2 or sum(size.values()) < pool_min_bytes:
            with connection(address) as lookups:
                known = _Known(lookups, key)
                for table, rs, cols in tables:
                    report.add(scan_table(conn, known, db, table, rs, cols, batch))
                    progress.advance(work=work[table])
            return report
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_worker_scan, address, key, db, table, rs, cols, batch): table for table, rs, cols in tables}
        for done in as_completed(futures):
            report.add(done.result())
            progress.advance(work=work[futures[done]])
    return report
