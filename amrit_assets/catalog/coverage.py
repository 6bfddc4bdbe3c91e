"""Coverage of a schema by the catalog: every column resolved, every rule used, every parameter valid.

The catalog is fail-closed (docs/DESIGN.md, decision 1): a column that no rule resolves stops the refresh, and
the error names it with a stub a DBA can paste and edit. Columns come from a live server (what will
really be copied: AMRIT services may add tables through Hibernate) or from the project's own DDL
(fast tests, no server). The resolved form, one line per column, is what a reviewer diffs when a
migration lands.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from amrit_assets.catalog.model import Catalog, Column, Resolution, Rule

# --- where columns come from -------------------------------------------------------------------

_SERVER_COLUMNS_SQL = (
    "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_KEY,"
    " t.TABLE_TYPE, c.ORDINAL_POSITION"
    " FROM information_schema.COLUMNS c"
    " JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME"
    " WHERE c.TABLE_SCHEMA IN ({})"
)
_TYPE_COMMENT = re.compile(r"\s*/\*.*?\*/")  # MariaDB annotates old temporal types: "datetime /* mariadb-5.3 */"


def columns_from_server(conn, databases: list[str]) -> list[Column]:
    """Every column of every table and view of ``databases``, in database, table and ordinal order."""
    if not databases:
        return []
    with conn.cursor() as cur:
        cur.execute(_SERVER_COLUMNS_SQL.format(", ".join(["%s"] * len(databases))), list(databases))
        rows = cur.fetchall()
    order = {db: i for i, db in enumerate(databases)}
    rows = sorted(rows, key=lambda r: (order[r[0]], r[1], int(r[7])))
    return [
        Column(
            db=r[0],
            table=r[1],
            column=r[2],
            column_type=_TYPE_COMMENT.sub("", r[3]).strip(),
            nullable=r[4] == "YES",
            is_view=r[6] == "VIEW",
            key=r[5] or "",
        )
        for r in rows
    ]


_NAME = r"`((?:[^`]|``)+)`"
_CREATE_TABLE = re.compile(rf"^CREATE TABLE {_NAME} \($")
_COLUMN_DEF = re.compile(rf"^\s+{_NAME} (.+?) (NOT NULL|NULL),?$")
_KEY_DEF = re.compile(rf"^\s+(PRIMARY KEY|UNIQUE KEY {_NAME}|KEY {_NAME}) \((.+)\),?$")
_END_TABLE = re.compile(r"^\)( .*)?;$")
_CREATE_VIEW = re.compile(rf"^CREATE VIEW {_NAME} AS SELECT (.*);$")
_VIEW_COLUMN = re.compile(rf"NULL AS {_NAME}")


def _unquote(name: str) -> str:
    return name.replace("``", "`")


def columns_from_ddl(schema_dir: Path, databases: list[str]) -> list[Column]:
    """Columns of the project's ``sql/schema/<db>.sql`` (generated DDL; views are typed-NULL selects).

    View column types are not in the DDL, so they are empty here; a line the parser does not
    understand is an error rather than a silently missing column.
    """
    out: list[Column] = []
    for db in databases:
        path = Path(schema_dir) / f"{db}.sql"
        table: str | None = None
        cols: list[tuple[str, str, bool]] = []
        keys: dict[str, str] = {}
        for no, line in enumerate(path.read_text().splitlines(), start=1):
            if table is None:
                if m := _CREATE_TABLE.match(line):
                    table, cols, keys = _unquote(m.group(1)), [], {}
                elif m := _CREATE_VIEW.match(line):
                    view = _unquote(m.group(1))
                    out += [Column(db, view, _unquote(c), "", True, True) for c in _VIEW_COLUMN.findall(m.group(2))]
                continue
            if m := _COLUMN_DEF.match(line):
                cols.append((_unquote(m.group(1)), m.group(2), m.group(3) == "NULL"))
            elif m := _KEY_DEF.match(line):
                kind = "PRI" if m.group(1) == "PRIMARY KEY" else "UNI" if m.group(1).startswith("UNIQUE") else "MUL"
                names = [_unquote(n) for n in re.findall(_NAME, m.group(4))]
                for name in names if kind == "PRI" else names[:1]:
                    keys.setdefault(name, kind)
            elif _END_TABLE.match(line):
                out += [Column(db, table, c, t, n, False, keys.get(c, "")) for c, t, n in cols]
                table = None
            else:
                raise ValueError(f"{path}:{no}: cannot parse DDL line {line.strip()!r}")
    return out


# --- which strategies fit which column types ---------------------------------------------------

def type_class(column_type: str) -> str:
    """text, blob, bigint, int (narrower integers), bit, decimal, temporal, time or other."""
    t = column_type.lower()
    if any(w in t for w in ("char", "text", "json", "enum", "set(")):
        return "text"
    if "blob" in t or "binary" in t:
        return "blob"
    if t.startswith("bigint"):
        return "bigint"
    if t.startswith(("int", "mediumint", "smallint", "tinyint")):
        return "int"
    if t.startswith("bit"):
        return "bit"
    if t.startswith(("decimal", "numeric", "float", "double", "real")):
        return "decimal"
    if t.startswith(("datetime", "date", "timestamp")):
        return "temporal"
    if t.startswith(("time", "year")):
        return "time"
    return "other"


_TEXT = {"text"}
# Which type classes a strategy's SQL can write correctly. Digits-only replacements need BIGINT when
# numeric (10+ digits overflow INT); ids keep their digit count, so they need BIGINT too.
FITTING_TYPES: dict[str, set[str]] = {
    "name": _TEXT, "address": _TEXT, "email": _TEXT, "username": _TEXT, "scrub_text": _TEXT, "scrub_json": _TEXT,
    "replace_text": _TEXT, "pan": _TEXT, "ifsc": _TEXT, "abha_address": _TEXT, "ip": _TEXT,
    "media": {"text", "blob"},
    "phone": {"text", "bigint"}, "aadhaar": {"text", "bigint"}, "abha_number": {"text", "bigint"},
    "bank_account": {"text", "bigint"}, "benregid": {"text", "bigint"}, "beneficiary_id": {"text", "bigint"},
    "id_digits": {"text", "bigint", "int"},
    "pincode": {"text", "bigint", "int"},
    "date_shift": {"temporal", "text"},
    "geo": {"decimal", "text"},
}


# Fixed-length text replacements a shorter column would cut into something else: an e-mail cut
# inside its ".invalid" domain looks like a real, deliverable address (strategies._email).
MIN_TEXT_LENGTH: dict[str, int] = {"email": len("user") + 10 + len("@uat.amrit.invalid")}
_CHAR_LENGTH = re.compile(r"^(?:var)?char\((\d+)\)")


def _unfit_reason(strategy: str, column: Column) -> str | None:
    """Why the strategy's SQL cannot write this column's type correctly, or None if it can."""
    cls, t = type_class(column.column_type), column.column_type.lower()
    fits = FITTING_TYPES.get(strategy)
    if fits is not None and cls not in fits:
        return f"{strategy} does not fit type {column.column_type} (fits: {', '.join(sorted(fits))})"
    if strategy == "pincode" and t.startswith(("tinyint", "smallint")):
        return f"pincode does not fit type {column.column_type}: a 6-digit PIN needs INT at least"
    m = _CHAR_LENGTH.match(t)
    if strategy in MIN_TEXT_LENGTH and m and int(m.group(1)) < MIN_TEXT_LENGTH[strategy]:
        return f"{strategy} needs {MIN_TEXT_LENGTH[strategy]} characters, {column.column_type} would truncate the replacement"
    return None


# --- the report --------------------------------------------------------------------------------

@dataclass
class CoverageReport:
    """What the catalog made of a set of columns; ``ok`` only if nothing needs a DBA's attention."""

    catalog: Catalog
    resolved: list[Resolution]
    unresolved: list[Column]
    counts: dict[str, int]
    unused_rules: list[str] = field(default_factory=list)
    param_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return self.param_errors + self.unused_rules

    @property
    def ok(self) -> bool:
        return not self.unresolved and not self.errors

    def summary(self) -> str:
        per = ", ".join(f"{name} {n}" for name, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])))
        dbs = sorted({r.column.db for r in self.resolved} | {c.db for c in self.unresolved})
        return f"{len(self.resolved)} of {len(self.resolved) + len(self.unresolved)} columns resolved in {', '.join(dbs)}: {per}"


class CoverageError(Exception):
    """The catalog does not cover the schema: every unresolved column with a stub, and every error."""

    def __init__(self, report: CoverageReport) -> None:
        self.report = report
        parts = []
        if report.unresolved:
            parts.append(
                f"{len(report.unresolved)} column(s) not resolved by {report.catalog.source}; "
                "decide each one (stubs to paste above the type-based rules):"
            )
            parts += [f"  {suggest_strategy(c)}" for c in report.unresolved]
        if report.errors:
            parts.append(f"{len(report.errors)} catalog error(s):")
            parts += [f"  {e}" for e in report.errors]
        super().__init__("\n".join(parts) or "catalog coverage failed")


def check_coverage(catalog: Catalog, columns: list[Column]) -> CoverageReport:
    """Resolve every column, then validate what was resolved against the columns it landed on."""
    resolved: list[Resolution] = []
    unresolved: list[Column] = []
    for col in columns:
        res = catalog.resolve(col)  # indexed by table and column name inside Catalog
        if res is None:
            unresolved.append(col)
        else:
            resolved.append(res)
    counts = dict(Counter(r.strategy for r in resolved))
    return CoverageReport(
        catalog,
        resolved,
        unresolved,
        counts,
        unused_rules=_unused(catalog, columns, resolved),
        param_errors=_param_errors(catalog, columns, resolved),
    )


def _param_errors(catalog: Catalog, columns: list[Column], resolved: list[Resolution]) -> list[str]:
    """Strategies that would write wrong SQL for the column they resolved: checked in context."""
    table_columns: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in columns:
        table_columns[(c.db, c.table)].add(c.column.lower())
    by_table: dict[tuple[str, str], list[Resolution]] = defaultdict(list)
    for r in resolved:
        by_table[(r.column.db, r.column.table)].append(r)

    errors: list[str] = []
    src = catalog.source

    def err(r: Resolution, msg: str) -> None:
        via = f" (via {r.via_parent})" if r.via_parent else ""
        errors.append(f"{src}:{r.rule.line}: {r.column.qualified} {r.column.column_type or '(view)'}: {msg}{via}")

    for r in resolved:
        col, name = r.column, r.strategy
        if col.is_view:
            if name != "derived":
                err(r, f"{name} on a view column: views have no storage, use derived")
            continue
        if name == "derived":
            err(r, "derived on a table column would copy it unchanged: only view columns are derived")
            continue
        if unfit := _unfit_reason(name, col):
            err(r, unfit)
        own = table_columns[(col.db, col.table)]
        if "by" in r.params and r.params["by"].lower() not in own:
            err(r, f"date_shift(by={r.params['by']}): table {col.db}.{col.table} has no column {r.params['by']}")
        for n in filter(None, r.params.get("names", "").split("|")):
            if n.lower() not in own:
                err(r, f"scrub_text(names=...{n}...): table {col.db}.{col.table} has no column {n}")
    for (db, table), rs in sorted(by_table.items()):
        truncated = [r for r in rs if r.strategy == "truncate"]
        if truncated and len(truncated) != len(rs):
            lines = sorted({r.rule.line for r in truncated})
            others = ", ".join(f"{r.column.column}={r.strategy}" for r in rs if r.strategy != "truncate")
            errors.append(
                f"{src}:{lines[0]}: {db}.{table}: truncate empties the whole table, but other columns resolve to {others}"
            )
    return errors


def _glob(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _in_scope(db_glob: str, checked: set[str], known: set[str]) -> bool:
    """A rule can only be called unused if every database it could apply to was checked."""
    matching = {db for db in known | checked if _glob(db, db_glob)}
    return not matching or matching <= checked


def _unused(catalog: Catalog, columns: list[Column], resolved: list[Resolution]) -> list[str]:
    """Rules and inherit lines that decide nothing: typos, dropped tables, or shadowed by earlier lines."""
    checked = {c.db for c in columns}
    known = set(catalog.verified)
    won = Counter(r.rule.line for r in resolved)
    winners = {r.column: r.rule.line for r in resolved}
    out: list[str] = []
    for rule in catalog.rules:
        if won[rule.line] or not _in_scope(rule.db, checked, known):
            continue
        shadow = _first_shadow(catalog, rule, columns, winners)
        what = f"{catalog.source}:{rule.line}: rule '{rule.selector} {rule.strategy}'"
        if shadow is None:
            out.append(f"{what} matches no column: remove it or fix the selector")
        else:
            out.append(f"{what} never applies: every column it matches is decided earlier (e.g. {shadow})")
    tables = {(c.db, c.table) for c in columns}
    for inh in catalog.inherits:
        if not _in_scope(inh.db, checked, known):
            continue
        if not any(_glob(db, inh.db) and _glob(t, inh.table_glob) for db, t in tables):
            out.append(f"{catalog.source}:{inh.line}: 'inherit {inh.db}.{inh.table_glob} from {inh.parent}' matches no table")
    return out


def _first_shadow(catalog: Catalog, rule: Rule, columns: list[Column], winners: dict[Column, int]) -> str | None:
    """The first column the rule matches (directly or via an inherited parent), with the line that won it."""
    for col in columns:
        parent = catalog.parent_of(col.db, col.table)
        hit = rule.matches(col.db, col.table, col.column, col.column_type) or (
            parent is not None and rule.matches(col.db, parent, col.column, col.column_type)
        )
        if hit and col in winners:
            return f"{col.qualified} by line {winners[col]}"
    return None


# --- stubs for unresolved columns ---------------------------------------------------------------

# (column-name regex, strategy, why) — first match wins; only a starting point for a DBA.
_SUGGESTIONS: tuple[tuple[str, str, str], ...] = (
    (r"ben(e|i|ne)?f?i?c?i?a?r?y?_?reg_?id", "benregid", "beneficiary registration id"),
    (r"^(ben_?id|beneficiary_?id)$", "beneficiary_id", "public beneficiary id"),
    (r"password|passwd|secret|token|otp|salt|api_?key|pin_?code_?hash", "credential", "secret material"),
    (r"whats_?app|mobile|phone|contact(?!.*name)|msisdn|caller_?id|landline", "phone", "phone number"),
    (r"e_?mail", "email", "e-mail address"),
    (r"aadha?a?r|uid_?no", "aadhaar", "Aadhaar number"),
    (r"\bpan\b|pan_?(no|number)", "pan", "PAN"),
    (r"abha_?(address|id)|health_?id(?!.*number)", "abha_address", "ABHA address"),
    (r"abha|health_?id_?number", "abha_number", "ABHA number"),
    (r"ifsc", "ifsc", "IFSC code"),
    (r"acc(ount)?_?(no|num)", "bank_account", "bank account number"),
    (r"rch|mcts|nikshay|ration|voter|licen[cs]e|passport|certificate_?no", "id_digits", "government/health identifier"),
    (r"dob|birth|death|marriage_?date", "date_shift", "personal date: add by=<the person's id column>, as the catalog's other birth dates have"),
    (r"pin_?code|postal", "pincode", "PIN code"),
    (r"addr|street|house_?no|colony|landmark|mohalla", "address", "address line"),
    (r"lat(itude)?$|long(itude)?$|coordinate|gps|digipin", "geo", "location"),
    (r"(^|_)ip(_?addr|v4|v6)?($|_)|ip_?address", "ip", "IP address"),
    (r"photo|image|img|signature|finger|biometric|embedding|file_?(path|content)|attachment", "media", "photo, biometric or file"),
    (r"(created|modified|updated|synced|deleted)_?by$|user_?name|agent_?id", "username", "staff username"),
    (r"name$|name_|caregiver|guardian|informer|nominee|(^|_)kin($|_)|next_?of_?kin", "name(part=full)", "person name"),
    (r"remark|comment|note|reason|detail|description|feedback|complaint|answer|json|payload|log", "scrub_text", "free text"),
)


def suggest_strategy(column: Column) -> str:
    """A ready-to-paste catalog line for an unresolved column, from name and type heuristics."""
    name, cls = column.column.lower(), type_class(column.column_type)
    strategy, why = ("derived", "view column") if column.is_view else ("", "")
    if not strategy:
        for pattern, candidate, reason in _SUGGESTIONS:
            if re.search(pattern, name) and _unfit_reason(candidate.split("(")[0], column) is None:
                strategy, why = candidate, reason
                break
    if not strategy:
        if cls == "text":
            strategy, why = "scrub_text", "unknown text: scrubbed until someone decides"
        elif cls == "blob":
            strategy, why = "media", "unknown binary content"
        else:
            strategy, why = "null", "unknown content: emptied until someone decides"
    return f"{column.qualified:<60} {strategy:<18} # SUGGESTED — review: {why} ({column.column_type or 'view'})"


# --- the resolved form -------------------------------------------------------------------------

def catalog_hash(catalog: Catalog) -> str:
    """Names the exact policy text a resolved form (and a refresh) was produced with."""
    return hashlib.sha256(catalog.text.encode()).hexdigest()


def resolved_form(report: CoverageReport, db: str | None = None) -> str:
    """One sorted line per column (of ``db``, or all) under a header with versions and catalog hash."""
    rows = [r for r in report.resolved if db is None or r.column.db == db]
    dbs = [db] if db else sorted({r.column.db for r in rows})
    header = [f"# amrit-anon resolved catalog: {', '.join(dbs)}  (generated; do not edit)"]
    header += [f"# @verified {d} {report.catalog.verified.get(d, '(none)')}" for d in dbs]
    header.append(f"# catalog sha256 {catalog_hash(report.catalog)}")
    counts = Counter(r.strategy for r in rows)
    header.append(f"# {len(rows)} columns: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    header.append("# column\ttype\tstrategy\trule")
    body = sorted(r.line() for r in rows)
    return "\n".join(header + body) + "\n"


_VERIFIED_HEADER = re.compile(r"^# @verified (\S+) (\S+)$")


def _parse_resolved(text: str) -> tuple[dict[str, str], dict[str, tuple[str, str, str]]]:
    """({db: version}, {column: (type, strategy, via-parent)}) from a resolved form."""
    versions: dict[str, str] = {}
    rows: dict[str, tuple[str, str, str]] = {}
    for line in text.splitlines():
        if m := _VERIFIED_HEADER.match(line):
            versions[m.group(1)] = m.group(2)
        elif line and not line.startswith("#"):
            column, col_type, strategy, rule = (line.split("\t") + ["", "", ""])[:4]
            via = rule.split(" via ", 1)[1] if " via " in rule else ""
            rows[column] = (col_type, strategy, via)
    return versions, rows


def diff_resolved(old_text: str, new_text: str) -> list[str]:
    """What a reviewer must look at: versions, columns added or gone, strategy and type changes.

    Rule line numbers are ignored: moving a rule that still decides the same is not a change.
    """
    old_v, old = _parse_resolved(old_text)
    new_v, new = _parse_resolved(new_text)
    out = [f"verified {db}: {old_v.get(db, '(none)')} -> {new_v.get(db, '(none)')}" for db in sorted(set(old_v) | set(new_v)) if old_v.get(db) != new_v.get(db)]
    for col in sorted(set(old) | set(new)):
        if col not in old:
            out.append(f"+ {col}\t{new[col][0]}\t{new[col][1]}")
        elif col not in new:
            out.append(f"- {col}\t{old[col][0]}\t{old[col][1]}")
        else:
            (ot, os_, ov), (nt, ns, nv) = old[col], new[col]
            if os_ != ns:
                out.append(f"~ {col}\t{os_} -> {ns}")
            if ot != nt:
                out.append(f"~ {col}\ttype {ot} -> {nt}")
            if ov != nv and os_ == ns:
                out.append(f"~ {col}\tinherited from {ov or '(own rules)'} -> {nv or '(own rules)'}")
    return out
