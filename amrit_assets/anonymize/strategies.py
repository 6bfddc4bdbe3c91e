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

WORK_DB = "amrit_anon"  # the workspace schema holding pools, maps and fingerprints; never dumped


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
        t = self.column_type.lower()
        return any(w in t for w in ("char", "text", "json", "enum", "set("))

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
    """A keyed 60-bit unsigned integer."""
    return f"CAST(CONV(SUBSTRING({keyed_hash(purpose, expr)}, 1, 15), 16, 10) AS UNSIGNED)"


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

def _name(t: Target, p: dict[str, str]) -> str:
    pool = {"first": "first_name", "last": "last_name", "full": "full_name"}[p.get("part", "full")]
    idx = f"MOD({hash_int('name', _norm(t))}, (SELECT n FROM {WORK_DB}.pool_size WHERE pool = '{pool}'))"
    pick = f"(SELECT IF(LOWER(p.v) = {_norm(t)}, p.alt, p.v) FROM {WORK_DB}.pool_{pool} p WHERE p.i = {idx})"
    return _guard(t, _fit(t, pick))


def _email(t: Target, p: dict[str, str]) -> str:
    # The .invalid TLD can never deliver: UAT cannot e-mail a real person.
    return _guard(t, _fit(t, f"CONCAT('user', LEFT({keyed_hash('email', _norm(t))}, 10), '@uat.amrit.invalid')"))


def _username(t: Target, p: dict[str, str]) -> str:
    # Same pseudonym in every table and database, so CreatedBy still matches m_user.UserName.
    return _guard(t, _fit(t, f"CONCAT('u', LEFT({keyed_hash('user', _norm(t))}, 10))"))


def _pincode(t: Target, p: dict[str, str]) -> str:
    """Keep the first three digits (the sorting district, so the region stays), shift the rest."""
    v = f"CAST({t.q} AS CHAR)"
    tail = f"LPAD(MOD(CAST(RIGHT({v}, 3) AS UNSIGNED) + 1 + MOD({hash_int('pin', _norm(t))}, 999), 1000), 3, '0')"
    expr = f"IF({v} REGEXP '^[1-9][0-9]{{5}}$', CONCAT(LEFT({v}, 3), {tail}), '000000')"
    return _guard(t, expr if t.is_text else f"CAST({expr} AS UNSIGNED)")


def _address(t: Target, p: dict[str, str]) -> str:
    idx = f"MOD({hash_int('addr', _norm(t))}, (SELECT n FROM {WORK_DB}.pool_size WHERE pool = 'street'))"
    street = f"(SELECT IF(LOWER(p.v) = {_norm(t)}, p.alt, p.v) FROM {WORK_DB}.pool_street p WHERE p.i = {idx})"
    return _guard(t, _fit(t, street))


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


def scrub_expr(value: str, name_columns: list[str]) -> str:
    """Remove e-mails, ABHA/Aadhaar/phone/long numbers, dates, and the row's own names from text.

    Names are replaced as written, in capitals and in lower case (REPLACE is case-sensitive and a
    name may hold regex metacharacters, so no case-insensitive regex).
    """
    expr = value
    for pattern, placeholder in _SCRUB_PATTERNS:
        expr = f"REGEXP_REPLACE({expr}, '{pattern}', '{placeholder}')"
    for col in name_columns:
        # REPLACE with an empty search string is a no-op: names under 3 characters (or NULL) change nothing.
        n = f"IF(CHAR_LENGTH(TRIM(`{col}`)) >= 3, TRIM(`{col}`), '')"
        for variant in (n, f"UPPER({n})", f"LOWER({n})"):
            expr = f"REPLACE({expr}, {variant}, '[name]')"
    return expr


def _scrub_text(t: Target, p: dict[str, str]) -> str:
    names = [n for n in p.get("names", "").split("|") if n]
    return _guard(t, scrub_expr(t.q, names))


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


# Ids in a unique index are first written parked above this offset, then moved down: the new ids
# permute the old ones, so writing them directly would collide with rows not yet updated.
ID_PARK_OFFSET = 4_000_000_000_000_000_000


def id_lookup(kind: str, t: Target, parked: bool = False) -> str:
    """Remapped id; text copies are looked up by their numeric value and written back as text."""
    if t.is_text or t.is_blob:
        new = f"CAST(m.new_id AS CHAR)" if not parked else "CONCAT('~', m.new_id)"
        inner = f"(SELECT {new} FROM {WORK_DB}.id_map m WHERE m.kind = '{kind}' AND m.old_id = CAST(TRIM({t.q}) AS UNSIGNED))"
        return _guard(t, f"IF(TRIM({t.q}) REGEXP '^[0-9]+$', COALESCE({inner}, {t.q}), {t.q})")
    new = f"m.new_id + {ID_PARK_OFFSET}" if parked else "m.new_id"
    lookup = f"(SELECT {new} FROM {WORK_DB}.id_map m WHERE m.kind = '{kind}' AND m.old_id = {t.q})"
    return _guard(t, f"IF({t.q} < 0, {t.q}, COALESCE({lookup}, {t.q}))")


def id_unpark(t: Target) -> str:
    """The second step for ids in a unique index: move parked ids down to their final value."""
    if t.is_text or t.is_blob:
        return f"{t.q} = IF(LEFT({t.q}, 1) = '~', SUBSTRING({t.q}, 2), {t.q})"
    return f"{t.q} = IF({t.q} >= {ID_PARK_OFFSET}, {t.q} - {ID_PARK_OFFSET}, {t.q})"


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
        _s("scrub_text", {"names"}, _scrub_text, doc="free text/JSON with ids, contacts and the row's names removed"),
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
        if key == "names" and not re.fullmatch(r"[A-Za-z0-9_|]+", value):
            raise StrategyError(f"{name}(names=...) lists columns of the same table separated by |, not {value!r}")
