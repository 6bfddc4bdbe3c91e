"""The anonymization catalog: a plain-text policy file that DBAs edit, parsed and resolved.

Format (``sql/catalog/amrit.catalog``), one statement per line, ``#`` starts a comment::

    @verified db_iemr 368e374                      # Flyway version the catalog was checked against
    inherit db_iemr.t_benvisitdetail_bkp_* from t_benvisitdetail   # backup tables use their parent's rules
    db_identity.i_beneficiarydetails.FirstName   name(part=first)  # why, for the non-obvious ones
    *.*.*Remarks*:*text*                         scrub_text
    db_iemr.t_otp.*                              truncate

A selector is ``db.table.column`` with case-insensitive globs, optionally ``:type-glob`` on the
column type. The first rule that matches a column wins, so exact overrides go above patterns.
Every column must resolve; one that does not is an error (fail-closed), never a silent ``keep``.

The type catch-alls at the end (``*.*.*:<type>``) only cover columns that were reviewed: those in the
resolved form beside the catalog (``resolved/<db>.tsv``), with the same kind of type. A new BIGINT
or DATE column that only a catch-all would take is unresolved, like a new text column.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from amrit_assets.anonymize.strategies import STRATEGIES, StrategyError, validate_params


class CatalogError(ValueError):
    """A catalog file that cannot be used; the message names the file, line and fix."""


@dataclass(frozen=True)
class Column:
    db: str
    table: str
    column: str
    column_type: str
    nullable: bool = True
    is_view: bool = False
    key: str = ""  # PRI / UNI / MUL

    @property
    def qualified(self) -> str:
        return f"{self.db}.{self.table}.{self.column}"


@dataclass(frozen=True)
class Rule:
    line: int
    db: str
    table: str
    column: str
    type_glob: str | None
    strategy: str
    params: tuple[tuple[str, str], ...]
    reason: str

    @property
    def selector(self) -> str:
        sel = f"{self.db}.{self.table}.{self.column}"
        return sel + (f":{self.type_glob}" if self.type_glob else "")

    def matches(self, db: str, table: str, column: str, column_type: str) -> bool:
        return (
            _glob(db, self.db)
            and _glob(table, self.table)
            and _glob(column, self.column)
            and (self.type_glob is None or _glob(column_type, self.type_glob))
        )


@dataclass(frozen=True)
class Inherit:
    line: int
    db: str
    table_glob: str
    parent: str


@dataclass(frozen=True)
class Resolution:
    column: Column
    strategy: str
    params: dict[str, str]
    rule: Rule
    via_parent: str | None = None

    def line(self) -> str:
        """The one-line resolved form a reviewer reads in a diff."""
        params = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        strat = f"{self.strategy}({params})" if params else self.strategy
        via = f" via {self.via_parent}" if self.via_parent else ""
        return f"{self.column.qualified}\t{self.column.column_type}\t{strat}\t# line {self.rule.line}{via}"


@dataclass
class Catalog:
    rules: list[Rule]
    inherits: list[Inherit] = field(default_factory=list)
    verified: dict[str, str] = field(default_factory=dict)
    source: str = "<memory>"
    text: str = ""
    # Reviewed columns ({lower-case db.table.column: normalized type}) the type catch-alls may take;
    # None (catalog text without its resolved form, e.g. in unit tests) lets them take any column.
    reviewed: dict[str, str] | None = None

    def without_review(self) -> Catalog:
        """The same rules with catch-alls taking every column: what ``resolve --write`` proposes for review."""
        return Catalog(self.rules, self.inherits, self.verified, self.source, self.text, None)

    def is_reviewed(self, col: Column) -> bool:
        return self.reviewed is None or self.reviewed.get(col.qualified.lower()) == normalized_type(col.column_type)

    def parent_of(self, db: str, table: str) -> str | None:
        for inh in self.inherits:
            if _glob(db, inh.db) and _glob(table, inh.table_glob):
                return inh.parent
        return None

    def resolve(self, col: Column) -> Resolution | None:
        """The first matching rule, trying the parent's name for backup tables; None if unresolved."""
        exact, wild = self._table_rules(col.db, col.table)
        best: tuple[int, Rule, str | None] | None = None
        for candidates in (exact.get(col.column.lower(), ()), wild):
            for i, rule, via_parent in candidates:
                if best is not None and i >= best[0]:
                    break
                if _glob(col.column, rule.column) and (rule.type_glob is None or _glob(col.column_type, rule.type_glob)):
                    best = (i, rule, via_parent)
                    break
        if best is None or (is_type_catch_all(best[1]) and not self.is_reviewed(col)):
            return None  # only a type catch-all matches, and nobody reviewed this column: fail closed
        return Resolution(col, best[1].strategy, dict(best[1].params), best[1], via_parent=best[2])

    def _table_rules(self, db: str, table: str) -> tuple[dict[str, list[_Indexed]], list[_Indexed]]:
        """The rules that can match a table's columns, in file order: by exact column name, and the
        column patterns. Cached per table, so resolving 17,000 columns stays fast."""
        cache = self.__dict__.setdefault("_table_rule_cache", {})
        key = (db.lower(), table.lower())
        if key not in cache:
            parent = self.parent_of(db, table)
            by_table, wild_tables = self._rule_index()
            candidates = sorted(
                by_table.get(key[1], []) + (by_table.get(parent.lower(), []) if parent else []) + wild_tables,
                key=lambda ir: ir[0],
            )
            exact: dict[str, list[_Indexed]] = {}
            wild: list[_Indexed] = []
            for i, rule in candidates:
                if not _glob(db, rule.db):
                    continue
                if _glob(table, rule.table):
                    entry = (i, rule, None)
                elif parent and _glob(parent, rule.table) and not _is_catch_all(rule):
                    entry = (i, rule, parent)
                else:
                    continue
                if _is_wild(rule.column):
                    wild.append(entry)
                else:
                    exact.setdefault(rule.column.lower(), []).append(entry)
            cache[key] = (exact, wild)
        return cache[key]

    def _rule_index(self) -> tuple[dict[str, list[tuple[int, Rule]]], list[tuple[int, Rule]]]:
        """Rules naming one table exactly, by that name; and the rules with a table pattern."""
        if "_rule_index_cache" not in self.__dict__:
            by_table: dict[str, list[tuple[int, Rule]]] = {}
            wild: list[tuple[int, Rule]] = []
            for i, rule in enumerate(self.rules):
                if _is_wild(rule.table):
                    wild.append((i, rule))
                else:
                    by_table.setdefault(rule.table.lower(), []).append((i, rule))
            self.__dict__["_rule_index_cache"] = (by_table, wild)
        return self.__dict__["_rule_index_cache"]


_Indexed = tuple[int, "Rule", "str | None"]


@functools.lru_cache(maxsize=None)
def _is_wild(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _is_catch_all(rule: Rule) -> bool:
    return rule.table == "*" and rule.column == "*"


def is_type_catch_all(rule: Rule) -> bool:
    """``*.*.*`` (with or without a type): decides by type alone, knowing nothing of the column."""
    return rule.db == "*" and _is_catch_all(rule)


_INT_WIDTH = re.compile(r"^((?:tiny|small|medium|big)?int)\(\d+\)")


def normalized_type(column_type: str) -> str:
    """The type as MySQL 8 and MariaDB both report it: lower case, no integer display width."""
    return _INT_WIDTH.sub(r"\1", column_type.strip().lower())


@functools.lru_cache(maxsize=None)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def _glob(value: str, pattern: str) -> bool:
    """Case-insensitive glob, as MySQL names are on AMRIT's servers (lower_case_table_names=1)."""
    return pattern == "*" or _pattern(pattern).match(value) is not None


_STRATEGY = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\((?P<params>[^)]*)\))?$")
_SELECTOR = re.compile(r"^(?P<db>[^.\s:]+)\.(?P<table>[^.\s:]+)\.(?P<column>[^.\s:]+)(?::(?P<type>\S+))?$")


def parse_catalog(text: str, source: str = "<memory>") -> Catalog:
    """Parse and validate catalog text; every problem is reported at once with its line number."""
    rules: list[Rule] = []
    inherits: list[Inherit] = []
    verified: dict[str, str] = {}
    errors: list[str] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        body, _, comment = raw.partition("#")
        parts = body.split()
        if not parts:
            continue
        where = f"{source}:{no}"
        if parts[0] == "@verified":
            if len(parts) != 3:
                errors.append(f"{where}: '@verified' takes a database and a Flyway version, e.g. '@verified db_iemr 3.4.1'")
            else:
                verified[parts[1]] = parts[2]
            continue
        if parts[0] == "inherit":
            if len(parts) != 4 or parts[2] != "from" or parts[1].count(".") != 1:
                errors.append(f"{where}: write 'inherit <db>.<table-glob> from <parent_table>'")
            else:
                db, table_glob = parts[1].split(".")
                inherits.append(Inherit(no, db, table_glob, parts[3]))
            continue
        if len(parts) != 2:
            errors.append(f"{where}: expected '<db>.<table>.<column>[:type] <strategy>[(k=v,...)]', got {body.strip()!r}")
            continue
        sel, strat = _SELECTOR.match(parts[0]), _STRATEGY.match(parts[1])
        if not sel:
            errors.append(f"{where}: bad selector {parts[0]!r}: write db.table.column (globs allowed), e.g. db_iemr.t_*.*Phone*")
            continue
        if not strat:
            errors.append(f"{where}: bad strategy {parts[1]!r}: write name or name(key=value,...)")
            continue
        name = strat.group("name")
        if name not in STRATEGIES:
            errors.append(f"{where}: unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}")
            continue
        params: list[tuple[str, str]] = []
        for item in filter(None, (p.strip() for p in (strat.group("params") or "").split(","))):
            key, eq, value = item.partition("=")
            if not eq:
                errors.append(f"{where}: parameter {item!r} of {name} needs the form key=value")
                continue
            params.append((key.strip(), value.strip()))
        try:
            validate_params(name, dict(params))
        except StrategyError as e:
            errors.append(f"{where}: {e}")
            continue
        rules.append(Rule(no, sel["db"], sel["table"], sel["column"], sel["type"], name, tuple(params), comment.strip()))
    if errors:
        raise CatalogError("the catalog has errors:\n  " + "\n  ".join(errors))
    return Catalog(rules, inherits, verified, source, text)


def resolved_dir(catalog_path: Path) -> Path:
    """Where the resolved form of a catalog file lives: ``resolved/`` beside it."""
    return Path(catalog_path).parent / "resolved"


def load_catalog(path: Path) -> Catalog:
    """Parse the catalog file with its reviewed columns (``resolved/*.tsv`` beside it; none there means
    no column is reviewed); the same unchanged files give the same (cached, already indexed) Catalog."""
    if not path.exists():
        raise CatalogError(f"catalog file {path} not found: set AMRIT_CATALOG or restore sql/catalog/amrit.catalog")
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in [path, *sorted(resolved_dir(path).glob("*.tsv"))])
    return _load_cached(str(path.resolve()), stamps)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, stamps: tuple) -> Catalog:
    catalog = parse_catalog(Path(path).read_text(), path)
    catalog.reviewed = {}
    for tsv, _, _ in stamps[1:]:
        for line in Path(tsv).read_text().splitlines():
            if line and not line.startswith("#"):
                column, column_type = (line.split("\t") + [""])[:2]
                catalog.reviewed[column.lower()] = normalized_type(column_type)
    return catalog
