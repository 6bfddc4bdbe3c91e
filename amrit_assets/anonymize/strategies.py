"""The anonymization strategies and the SQL expression each compiles to.

Every expression reads the column's *original* value and keyed hashes of it. Keys are session
variables (``@amrit_k_<purpose>``) derived from the secret key in Python, so the server never sees the
key itself and nothing stores it. Values that must be unique, shaped by check digits, or never equal
to any real value (phones, Aadhaar, ids) go through a replacement map built once per refresh over the
distinct values of all four databases (see ``anonymize.maps``); the rest are computed inline.
NULL stays NULL and '' stays '' for every strategy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from amrit_assets.common.kinds import WORK_DB, is_text_type


class StrategyError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    """What a strategy needs to know about the column it rewrites."""

    column: str
    column_type: str
    nullable: bool = True

    @property
    def q(self) -> str:
        return "`" + self.column.replace("`", "``") + "`"

    @property
    def is_text(self) -> bool:
        return is_text_type(self.column_type)

    @property
    def is_blob(self) -> bool:
        return "blob" in self.column_type.lower() or "binary" in self.column_type.lower()

    @property
    def is_temporal(self) -> bool:
        t = self.column_type.lower()
        return t.startswith(("date", "timestamp", "time", "year"))

    @property
    def max_len(self) -> int | None:
        m = re.match(r"^(?:var)?char\((\d+)\)", self.column_type.lower())
        return int(m.group(1)) if m else None


def key_var(purpose: str) -> str:
    return f"@amrit_k_{purpose}"


def keyed_hash(purpose: str, expr: str) -> str:
    """64 hex chars of SHA-256 over a purpose key and the value: same value, same key → same hash."""
    return f"SHA2(CONCAT({key_var(purpose)}, {expr}), 256)"


def hash_int(purpose: str, expr: str) -> str:
    """A keyed 32-bit unsigned integer: the CRC-32 of the keyed SHA-256 (an integer straight away,
    without parsing hex and decimal strings; the key is in the SHA-256, the CRC only folds it)."""
    return f"CRC32({keyed_hash(purpose, expr)})"


def _fit(t: Target, expr: str) -> str:
    return f"LEFT({expr}, {t.max_len})" if t.max_len else expr


def _guard(t: Target, expr: str) -> str:
    """NULL stays NULL, '' stays ''."""
    if t.is_text or t.is_blob:
        return f"CASE WHEN {t.q} IS NULL OR {t.q} = '' THEN {t.q} ELSE {expr} END"
    return f"CASE WHEN {t.q} IS NULL THEN NULL ELSE {expr} END"


def _norm(t: Target) -> str:
    return f"LOWER(TRIM({t.q}))"


# --- inline strategies -------------------------------------------------------------------------

POOL_START, POOL_FIELD = 3, 1  # separator bytes of the packed pools (never in a pool value)


def pool_pick(pool: str, purpose: str, t: Target) -> str:
    """A keyed pick from a fake-value pool, never equal to the original (case-insensitively).

    One keyed hash picks entry ``i`` of the pool packed by ``maps.pack_pools``; the entry is sliced out
    of the packed binary string (an uncorrelated subquery, read once per statement), so no row lookup.
    The entry reads ``START lower FIELD value FIELD alt``: removing ``START <original, lowercased> FIELD``
    leaves ``value FIELD alt`` exactly when the pick equals the original, and the second FIELD-separated
    part is then ``alt`` (the next pool entry), otherwise ``value``. One expression, so the hash is
    computed once per value (SQL has no common subexpressions: an IF over the pick would hash again).
    """
    packed = f"{WORK_DB}.pool_packed k WHERE k.pool = '{pool}'"
    idx = f"MOD({hash_int(purpose, _norm(t))}, (SELECT k.n FROM {packed}))"
    entry = f"SUBSTRING((SELECT k.packed FROM {packed}), {idx} * (SELECT k.w FROM {packed}) + 1, (SELECT k.w FROM {packed}))"
    start, sep = f"CHAR({POOL_START})", f"CHAR({POOL_FIELD})"  # binary strings: the slicing is by bytes
    rest = f"REPLACE({entry}, CONCAT({start}, CONVERT({_norm(t)} USING utf8mb4), {sep}), '')"
    return f"CONVERT(SUBSTRING_INDEX(SUBSTRING_INDEX({rest}, {sep}, 2), {sep}, -1) USING utf8mb4)"


def _name(t: Target, p: dict[str, str]) -> str:
    pool = {"first": "first_name", "last": "last_name", "full": "full_name"}[p.get("part", "full")]
    return _guard(t, _fit(t, pool_pick(pool, "name", t)))


def letters(hex_expr: str) -> str:
    """Hex digits as the letters g-p: a pseudonym with no digit run, which the leak check would
    otherwise (rightly) compare with original phone, Aadhaar and account numbers."""
    out = hex_expr
    for digit in "0123456789":
        out = f"REPLACE({out}, '{digit}', '{chr(ord('g') + int(digit))}')"
    return out


def _email(t: Target, p: dict[str, str]) -> str:
    # The .invalid TLD can never deliver: UAT cannot e-mail a real person.
    pseudonym = letters(f"LEFT({keyed_hash('email', _norm(t))}, 10)")
    return _guard(t, _fit(t, f"CONCAT('user', {pseudonym}, '@uat.amrit.invalid')"))


def _username(t: Target, p: dict[str, str]) -> str:
    # Same pseudonym in every table and database, so CreatedBy still matches m_user.UserName.
    pseudonym = letters(f"LEFT({keyed_hash('user', _norm(t))}, 10)")
    return _guard(t, _fit(t, f"CONCAT('u', {pseudonym})"))


def _pincode(t: Target, p: dict[str, str]) -> str:
    """Keep the first three digits (the sorting district, so the region stays), shift the rest."""
    v = f"CAST({t.q} AS CHAR)"
    tail = f"LPAD(MOD(CAST(RIGHT({v}, 3) AS UNSIGNED) + 1 + MOD({hash_int('pin', _norm(t))}, 999), 1000), 3, '0')"
    expr = f"IF({v} REGEXP '^[1-9][0-9]{{5}}$', CONCAT(LEFT({v}, 3), {tail}), '000000')"
    return _guard(t, expr if t.is_text else f"CAST({expr} AS UNSIGNED)")


def _address(t: Target, p: dict[str, str]) -> str:
    return _guard(t, _fit(t, pool_pick("street", "addr", t)))


def _date_shift(t: Target, p: dict[str, str]) -> str:
    """Shift back 1..days days by a keyed offset per person (``by``), so one person's intervals stay."""
    days = int(p.get("days", "180"))
    by = p.get("by")
    seed = f"CAST(`{by}` AS CHAR)" if by else _norm(t)
    offset = f"(1 + MOD({hash_int('date', seed)}, {days}))"
    if t.is_temporal:
        return _guard(t, f"{t.q} - INTERVAL {offset} DAY")
    shifted = f"CAST(DATE(CAST({t.q} AS DATETIME) - INTERVAL {offset} DAY) AS CHAR)"
    return _guard(t, _fit(t, f"COALESCE({shifted}, '[removed]')"))


def _geo(t: Target, p: dict[str, str]) -> str:
    """Jitter by 0.01-0.09 degrees (1-10 km) and round: coarse, never the original point."""
    decimals = int(p.get("decimals", "2"))
    expr = f"ROUND(CAST({t.q} AS DECIMAL(12,6)) + (1 + MOD({hash_int('geo', _norm(t))}, 9)) / 100, {decimals})"
    return _guard(t, f"CAST({expr} AS CHAR)" if t.is_text else expr)


def _ip(t: Target, p: dict[str, str]) -> str:
    return _guard(t, f"INET_NTOA(167772160 + MOD({hash_int('ip', _norm(t))}, 16777216))")


_SCRUB_PATTERNS: tuple[tuple[str, str], ...] = (
    ("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}", "[email]"),
    ("[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4}", "[abha]"),
    ("[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}", "[aadhaar]"),
    ("([+]91[ -]?)?[6-9][0-9]{9}", "[phone]"),
    ("[0-9]{9,}", "[number]"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{4}", "[date]"),
)


def scrub_expr(value: str, name_columns: list[str], binary: bool = False) -> str:
    """Remove e-mails, ABHA/Aadhaar/phone/long numbers, dates, and the row's own names from text.

    Names are replaced as written, in capitals and in lower case (REPLACE is case-sensitive and a
    name may hold regex metacharacters, so no case-insensitive regex); names under 3 characters are
    left alone.

    Cheap by construction, with the same result as running every step on every value:
    - the patterns run only on text that can hold a match, tested on the original value: the e-mail
      pattern needs an '@'; every other pattern needs four digits in a row, and replacing a match by
      a placeholder (no digits, spaces, '+', '-' or '/') never creates a run of digits;
    - the names are replaced in a binary collation (``binary``: the value's own bytes), where REPLACE
      searches bytes and reads its third argument only on a match, so the under-3-characters rule is
      evaluated there, not once per name and variant and row.
    """
    email_pattern, email_placeholder = _SCRUB_PATTERNS[0]
    expr = f"IF(LOCATE('@', {value}) > 0, REGEXP_REPLACE({value}, '{email_pattern}', '{email_placeholder}'), {value})"
    digits = expr
    for pattern, placeholder in _SCRUB_PATTERNS[1:]:
        digits = f"REGEXP_REPLACE({digits}, '{pattern}', '{placeholder}')"
    expr = f"IF({value} REGEXP '[0-9]{{4}}', {digits}, {expr})"
    if not name_columns:
        return expr
    # utf8mb4_bin: byte comparison (as REPLACE always compares) and names of any character set
    # converted to it by the server, so a name matches exactly where it did in the value's own collation.
    expr = f"CAST({expr} AS BINARY)" if binary else f"CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_bin"
    for col in name_columns:
        n = f"TRIM(IFNULL(`{col}`, ''))"
        keep_short = f"CHAR_LENGTH(TRIM(`{col}`)) >= 3"
        for variant in (n, f"UPPER({n})", f"LOWER({n})"):
            # An empty search string is a no-op; a short name is replaced by itself.
            expr = f"REPLACE({expr}, {variant}, IF({keep_short}, '[name]', {variant}))"
    return expr


def _scrub_text(t: Target, p: dict[str, str]) -> str:
    names = [n for n in p.get("names", "").split("|") if n]
    return _guard(t, scrub_expr(t.q, names, binary=t.is_blob))


def _replace_text(t: Target, p: dict[str, str]) -> str:
    value = p.get("value", "[removed]").replace("'", "''")
    return _guard(t, _fit(t, f"'{value}'"))


def _media(t: Target, p: dict[str, str]) -> str:
    if t.is_blob or not t.is_text:
        return _guard(t, "NULL" if t.nullable else "''")
    return _guard(t, _fit(t, "'uat/placeholder.png'"))


def _credential(t: Target, p: dict[str, str]) -> str:
    """Never copied: the configured UAT value (e.g. a known test password hash) or NULL."""
    if p.get("use") == "uat":
        return _guard(t, "@amrit_uat_credential")
    return _guard(t, "NULL" if t.nullable else "''")


def _null(t: Target, p: dict[str, str]) -> str:
    if t.nullable:
        return "NULL"
    return _guard(t, "''" if t.is_text or t.is_blob else "0")


# --- map strategies: replacement looked up in a per-refresh map over all four databases ----------

def as_map_text(expr: str) -> str:
    """The one text form map keys are stored and looked up in (binary collation: exact values)."""
    return f"CAST({expr} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin"


def map_lookup(kind: str, t: Target) -> str:
    return f"(SELECT m.repl FROM {WORK_DB}.value_map m WHERE m.kind = '{kind}' AND m.orig = {as_map_text(t.q)})"


# Ids in a unique index are written in place by one UPDATE: a new id that is no original id of its
# kind cannot collide with a row not yet rewritten, so it is written directly. The few new ids that
# are also original ids (id_map.park) are parked above this offset and moved down by a second UPDATE
# that touches only them (``id_unpark``).
ID_PARK_OFFSET = 4_000_000_000_000_000_000
PARK_MARK = "~"  # text copies are parked with this prefix


def id_lookup(kind: str, t: Target, parked: bool = False) -> str:
    """Remapped id; text copies are looked up by their numeric value and written back as text.

    ``parked``: the column is in a unique index, so ids flagged ``park`` in the map are parked."""
    if t.is_text or t.is_blob:
        new = f"IF(m.park, CONCAT('{PARK_MARK}', m.new_id), CAST(m.new_id AS CHAR))" if parked else "CAST(m.new_id AS CHAR)"
        inner = f"(SELECT {new} FROM {WORK_DB}.id_map m WHERE m.kind = '{kind}' AND m.old_id = CAST(TRIM({t.q}) AS UNSIGNED))"
        return _guard(t, f"IF(TRIM({t.q}) REGEXP '^[0-9]+$', COALESCE({inner}, {t.q}), {t.q})")
    new = f"m.new_id + IF(m.park, {ID_PARK_OFFSET}, 0)" if parked else "m.new_id"
    if "unsigned" not in t.column_type.lower():
        new = f"CAST({new} AS SIGNED)"  # the column's own type: no DECIMAL arithmetic in IF/COALESCE
    lookup = f"(SELECT {new} FROM {WORK_DB}.id_map m WHERE m.kind = '{kind}' AND m.old_id = {t.q})"
    return _guard(t, f"IF({t.q} < 0, {t.q}, COALESCE({lookup}, {t.q}))")


def id_unpark(t: Target) -> tuple[str, str]:
    """The second step for ids in a unique index: (assignment, WHERE) moving parked ids to their final
    value. The WHERE is a range on the column's own index, so rows that were not parked are not read."""
    if t.is_text or t.is_blob:
        return f"{t.q} = SUBSTRING({t.q}, 2)", f"{t.q} LIKE '{PARK_MARK}%'"
    return f"{t.q} = {t.q} - {ID_PARK_OFFSET}", f"{t.q} >= {ID_PARK_OFFSET}"


def _map(kind: str) -> Callable[[Target, dict[str, str]], str]:
    def compile_(t: Target, p: dict[str, str]) -> str:
        # A value missing from the map (never expected) is redacted, not kept.
        return _guard(t, _fit(t, f"COALESCE({map_lookup(kind, t)}, '[removed]')"))

    return compile_


def _ids(kind: str) -> Callable[[Target, dict[str, str]], str]:
    return lambda t, p: id_lookup(kind, t, parked=p.get("_parked") == "1")


@dataclass(frozen=True)
class Strategy:
    name: str
    params: frozenset[str]
    compile: Callable[[Target, dict[str, str]], str] | None  # None: writes nothing (keep, derived, truncate)
    map_kind: str | None = None  # set for strategies that read value_map/id_map
    doc: str = ""


def _s(name: str, params: set[str], fn, map_kind: str | None = None, doc: str = "") -> Strategy:
    return Strategy(name, frozenset(params), fn, map_kind, doc)


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in [
        _s("keep", set(), None, doc="not personal: copied unchanged"),
        _s("derived", set(), None, doc="view column: computed from anonymized tables"),
        _s("truncate", set(), None, doc="the whole table is emptied in UAT"),
        _s("benregid", set(), _ids("benregid"), "benregid", "beneficiary registration id, keyed bijection"),
        _s("beneficiary_id", set(), _ids("beneficiary_id"), "beneficiary_id", "public 12-digit beneficiary id, keyed bijection"),
        _s("name", {"part"}, _name, doc="Indian name from a fixed Faker en_IN pool"),
        _s("phone", set(), _map("phone"), "phone", "10-digit mobile, never any real source number"),
        _s("aadhaar", set(), _map("aadhaar"), "aadhaar", "12 digits with a valid Verhoeff check digit, unique"),
        _s("pan", set(), _map("pan"), "pan", "AAAAA9999A"),
        _s("abha_number", set(), _map("abha_number"), "abha_number", "14-digit ABHA number, format kept"),
        _s("abha_address", set(), _map("abha_address"), "abha_address", "uatNNNNNNNN@<original suffix>"),
        _s("bank_account", set(), _map("bank_account"), "bank_account", "digits replaced, length kept"),
        _s("ifsc", set(), _map("ifsc"), "ifsc", "AAAA0NNNNNN"),
        _s("email", set(), _email, doc="userXXXXXXXXXX@uat.amrit.invalid"),
        _s("username", set(), _username, doc="consistent staff pseudonym in every database"),
        _s("id_digits", set(), _map("id_digits"), "id_digits", "other ids (ration card, MCTS/RCH...): digits replaced, letters and layout kept"),
        _s("pincode", set(), _pincode, doc="6-digit PIN keeping its first three digits (region)"),
        _s("address", set(), _address, doc="street line from a fixed pool"),
        _s("date_shift", {"days", "by"}, _date_shift, doc="shift back by a keyed per-person offset"),
        _s("geo", {"decimals"}, _geo, doc="jittered and rounded coordinates"),
        _s("ip", set(), _ip, doc="10.x.x.x keyed address"),
        _s("scrub_text", {"names"}, _scrub_text, doc="free text: every known person's name, ids and contacts in any writing removed"),
        # Written by the streaming pass (anonymize.textpass), not by the UPDATE: its regexes would break JSON.
        _s("scrub_json", {"keys"}, None, doc="JSON parsed: values replaced per key (keys=k:strategy|...), other text scrubbed"),
        _s("replace_text", {"value"}, _replace_text, doc="fixed text"),
        _s("media", set(), _media, doc="photos, signatures, biometrics, document paths: neutral placeholder"),
        _s("credential", {"use"}, _credential, doc="passwords, OTPs, tokens: NULL or the configured UAT value"),
        _s("null", set(), _null, doc="emptied"),
    ]
}

_ALLOWED_VALUES = {"part": {"first", "last", "full"}, "use": {"null", "uat"}}


def validate_params(name: str, params: dict[str, str]) -> None:
    strategy = STRATEGIES[name]
    for key, value in params.items():
        if key not in strategy.params:
            allowed = ", ".join(sorted(strategy.params)) or "none"
            raise StrategyError(f"strategy {name} has no parameter {key!r} (allowed: {allowed})")
        if key in _ALLOWED_VALUES and value not in _ALLOWED_VALUES[key]:
            raise StrategyError(f"{name}({key}=...) must be one of {sorted(_ALLOWED_VALUES[key])}, not {value!r}")
        if key in ("days", "decimals") and not value.isdigit():
            raise StrategyError(f"{name}({key}=...) must be a whole number, not {value!r}")
        if key == "by" and not re.fullmatch(r"[A-Za-z0-9_]+", value):
            raise StrategyError(f"{name}(by=...) must name a column of the same table, not {value!r}")
        if key == "keys":
            from amrit_assets.anonymize.freetext import parse_keys  # freetext imports this module

            if not re.fullmatch(r"[A-Za-z0-9_|:-]+", value):
                raise StrategyError(f"{name}(keys=...) lists key:strategy pairs separated by |, not {value!r}")
            try:
                parse_keys(value)
            except ValueError as e:
                raise StrategyError(str(e)) from None
        if key == "names" and not re.fullmatch(r"[A-Za-z0-9_|]+", value):
            raise StrategyError(f"{name}(names=...) lists columns of the same table separated by |, not {value!r}")
