"""The schema gate: does the catalog cover the live schema of one database, at a verified version?

Fail-closed (docs/DESIGN.md, decisions 1 and 9). The gate fails when

* a column of the live schema (a new table, a new column, a view) resolves to no rule (a type
  catch-all counts only for columns in the reviewed resolved form, see ``Catalog.resolve``), or resolves
  to a strategy that no longer fits it (its type changed) — with the list, the Flyway version that
  introduced each one when that can be known, and a stub of suggested catalog lines; or
* the database's Flyway version is not the one the catalog was ``@verified`` against — so a refresh
  never runs on a schema version nobody has checked, even when every column happens to resolve.

Columns the catalog names exactly that no longer exist are warnings: nothing leaks through a rule
that matches nothing, but the rule is dead weight a reviewer should remove.

Everything here is plain functions over catalog, columns and Flyway rows; reading them from a
server is the caller's job (except ``read_flyway_history``, a single read-only query).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from amrit_assets.catalog.coverage import check_coverage, suggest_strategy
from amrit_assets.catalog.model import Catalog, Column, resolved_dir
from amrit_assets.flyway import is_numeric_version, parse_version

# --- Flyway versions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlywayMigration:
    """One successfully applied versioned migration (a row of ``flyway_schema_history``), or a file."""

    version: str
    description: str = ""
    script: str = ""

    @property
    def label(self) -> str:
        return f"V{self.version} ({self.description})" if self.description else f"V{self.version}"


_HISTORY_EXISTS_SQL = (
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'flyway_schema_history'"
)
_HISTORY_SQL = (
    "SELECT version, description, script FROM `{db}`.flyway_schema_history"
    " WHERE success = 1 AND version IS NOT NULL ORDER BY installed_rank"
)


def read_flyway_history(conn, db: str) -> list[FlywayMigration] | None:
    """Successfully applied versioned migrations, in Flyway's version order; None without a history table.

    Failed rows (``success = 0``) and repeatable migrations (no version) are not schema versions.
    """
    with conn.cursor() as cur:
        cur.execute(_HISTORY_EXISTS_SQL, (db,))
        if not cur.fetchone()[0]:
            return None
        cur.execute(_HISTORY_SQL.format(db=db.replace("`", "``")))
        rows = [FlywayMigration(str(v), d or "", s or "") for v, d, s in cur.fetchall()]
    return sorted(rows, key=lambda m: version_key(m.version))


def version_key(version: str) -> tuple:
    """Sort key in Flyway's order: numeric part by part (V10 after V9, 1.10 after 1.9), trailing zeros ignored."""
    if is_numeric_version(version):
        parts = list(parse_version(version))
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return (1, tuple(parts))
    return (0, version)  # not a Flyway version (a commit id, say): before every number, by text


def same_version(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return version_key(a) == version_key(b)


def is_after(version: str, reference: str) -> bool:
    """Numerically later; False when either side is not a numeric version (the order is unknown)."""
    if not (is_numeric_version(version) and is_numeric_version(reference)):
        return False
    return version_key(version) > version_key(reference)


def highest_version(versions: Iterable[str]) -> str | None:
    found = list(versions)
    return max(found, key=version_key) if found else None


def schema_fingerprint(columns: Iterable[Column]) -> str:
    """A hash of a schema's shape (table, column, type, nullability, view or table): changes with any DDL."""
    lines = sorted(
        f"{c.db}\t{c.table.lower()}\t{c.column.lower()}\t{c.column_type}\t{int(c.nullable)}\t{int(c.is_view)}" for c in columns
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# --- which migration introduced a column ------------------------------------------------------------


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_$]){re.escape(name)}(?![A-Za-z0-9_$])", text, re.IGNORECASE) is not None


def introduced_by(
    columns: Sequence[Column],
    applied: Sequence[FlywayMigration],
    verified: str | None,
    migration_files: Sequence[tuple[FlywayMigration, str]] = (),
) -> dict[str, str]:
    """For each column, the migration that introduced it, as far as it can be known.

    With migration files (an AMRIT-DB checkout), the first file after the verified version that
    names both the table and the column is the answer. Otherwise the versions applied after the
    verified one are the candidates: one candidate is the answer, several are listed. A column with
    no candidate was added outside Flyway (AMRIT services can create tables through Hibernate) or
    before the verified version.
    """
    live = highest_version(m.version for m in applied)
    files = [
        (m, text)
        for m, text in sorted(migration_files, key=lambda ft: version_key(ft[0].version))
        if (verified is None or is_after(m.version, verified)) and (live is None or not is_after(m.version, live))
    ]
    after = [m for m in applied if verified is not None and is_after(m.version, verified)]
    out: dict[str, str] = {}
    for col in columns:
        found = next((m for m, text in files if _mentions(text, col.table) and _mentions(text, col.column)), None)
        if found is not None:
            out[col.qualified] = f"{found.label}, {found.script}" if found.script else found.label
        elif len(after) == 1:
            out[col.qualified] = after[0].label
        elif after:
            out[col.qualified] = "one of " + ", ".join(m.label for m in after)
        else:
            out[col.qualified] = "unknown (no Flyway migration after the verified version names it)"
    return out


# --- names the catalog still uses that the schema no longer has ---------------------------------------


@dataclass(frozen=True)
class DroppedName:
    line: int
    selector: str
    strategy: str
    missing: str  # "table" or "column"

    def text(self, source: str) -> str:
        return f"{source}:{self.line}: '{self.selector} {self.strategy}' names a {self.missing} that no longer exists"


def _wild(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def dropped_names(catalog: Catalog, db: str, columns: Sequence[Column]) -> list[DroppedName]:
    """Rules naming a table (and column) of ``db`` exactly, where that table or column is gone.

    Only rules that name ``db`` itself count: ``*identity.t.c`` or ``*.t.c`` may be meant for a
    table of another database that does have the column, which one database's schema cannot tell.
    """
    tables: dict[str, set[str]] = {}
    for c in columns:
        if c.db == db:
            tables.setdefault(c.table.lower(), set()).add(c.column.lower())
    out = []
    for rule in catalog.rules:
        if _wild(rule.db) or rule.db.lower() != db.lower() or _wild(rule.table):
            continue
        present = tables.get(rule.table.lower())
        if present is None:
            out.append(DroppedName(rule.line, rule.selector, rule.strategy, "table"))
        elif not _wild(rule.column) and rule.column.lower() not in present:
            out.append(DroppedName(rule.line, rule.selector, rule.strategy, "column"))
    return out


# --- the verdict ------------------------------------------------------------------------------------

def reverify(db: str, version: str, source: str, new_columns: int) -> str:
    """What to do to verify ``db`` at ``version``; names the stub only when there is one."""
    first = (
        f"decide every unresolved column in {source} (the stub above is a starting point)"
        if new_columns
        else f"no column is unresolved, but review the migrations up to {version} for columns whose meaning changed"
    )
    return (
        f"Re-verify: {first}, set '@verified {db} {version}' in {source}, then run `amrit-anon catalog resolve --write` "
        f"against the source (read-only user; see README) and review the diff of {resolved_dir(Path(source))}/{db}.tsv."
    )


@dataclass
class GateVerdict:
    db: str
    catalog_source: str
    live_version: str | None
    verified_version: str | None
    columns_checked: int
    tables_checked: int
    unresolved: list[Column] = field(default_factory=list)
    introduced: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    dropped: list[DroppedName] = field(default_factory=list)
    version_problem: str | None = None

    @property
    def passed(self) -> bool:
        return not self.unresolved and not self.changed and self.version_problem is None

    @property
    def warnings(self) -> list[str]:
        return [d.text(self.catalog_source) for d in self.dropped]

    def stub(self) -> str:
        """Suggested catalog lines for the unresolved columns, grouped by the migration that added them."""
        if not self.unresolved:
            return ""
        lines = [
            f"# SUGGESTED catalog lines for {self.db}: guessed from column name and type, NOT decided.",
            "# Review every line (strategy, and whether the column holds personal data) before pasting it",
            f"# into {self.catalog_source} above the type-based rules; then re-verify (see the gate's message).",
        ]
        groups: dict[str, list[Column]] = {}
        for col in self.unresolved:
            groups.setdefault(self.introduced.get(col.qualified, "unknown"), []).append(col)
        for label, cols in groups.items():
            lines.append(f"# introduced by {label}")
            lines += [suggest_strategy(c) for c in sorted(cols, key=lambda c: (c.table.lower(), c.column.lower()))]
        return "\n".join(lines) + "\n"

    def headline(self) -> str:
        if self.passed:
            note = f"; {len(self.dropped)} warning(s): catalog names gone from the schema" if self.dropped else ""
            return (
                f"{self.db} at Flyway version {self.live_version}: all {self.columns_checked} columns resolved by the "
                f"catalog verified against {self.verified_version}{note}"
            )
        parts = []
        if self.unresolved:
            tables = sorted({c.table for c in self.unresolved})
            parts.append(
                f"{len(self.unresolved)} column(s) of {self.db} not resolved by the catalog "
                f"(in {', '.join(tables[:5])}{' ...' if len(tables) > 5 else ''})"
            )
        if self.changed:
            parts.append(f"{len(self.changed)} column(s) whose strategy no longer fits")
        if self.version_problem:
            parts.append(f"schema version {self.live_version or 'unknown'} not verified (catalog: {self.verified_version or 'none'})")
        return "; ".join(parts)

    def message(self) -> str:
        """The full verdict for a person: what failed, where it came from, and what to do."""
        lines = [self.headline()]
        if self.unresolved:
            lines.append(
                "Unresolved columns: no rule decides them, or only a type catch-all would and they are not in the "
                "reviewed resolved form (a refresh would copy them unanonymized, so it stops):"
            )
            lines += [f"  {c.qualified} {c.column_type or '(view)'}  introduced by {self.introduced.get(c.qualified, 'unknown')}" for c in self.unresolved]
            lines.append(self.stub().rstrip())
        if self.changed:
            lines.append("Columns whose strategy no longer fits them (their type changed?):")
            lines += [f"  {e}" for e in self.changed]
        if self.version_problem:
            lines.append(self.version_problem)
        if self.dropped:
            lines.append("Warnings (the refresh is not blocked by these):")
            lines += [f"  {w}" for w in self.warnings]
        return "\n".join(lines)

    def metadata(self) -> dict[str, object]:
        """Names, counts and versions only: never a data value."""
        return {
            "database": self.db,
            "schema_version": self.live_version or "unknown",
            "verified_version": self.verified_version or "none",
            "catalog": self.catalog_source,
            "columns_checked": self.columns_checked,
            "tables_checked": self.tables_checked,
            "unresolved_count": len(self.unresolved),
            "unresolved": [c.qualified for c in self.unresolved],
            "introduced_by": {c.qualified: self.introduced.get(c.qualified, "unknown") for c in self.unresolved},
            "stub": self.stub(),
            "changed": list(self.changed),
            "version_problem": self.version_problem or "",
            "warnings": self.warnings,
        }


def version_problem(db: str, live: str | None, verified: str | None, catalog_source: str, new_columns: int = 0) -> str | None:
    """Why the live Flyway version is not one the catalog was verified against, or None if it is."""
    if verified is None:
        return (
            f"the catalog has no '@verified {db} <version>' line, so no schema version of {db} is verified. "
            + reverify(db, live or "<version>", catalog_source, new_columns)
        )
    if live is None:
        return (
            f"{db} has no successfully applied versioned migration in flyway_schema_history, so its schema "
            f"cannot be matched with the catalog's '@verified {db} {verified}'. Apply the schema with Flyway "
            "(or record its baseline version) on the source."
        )
    if not same_version(live, verified):
        return f"{db} is at Flyway version {live}, but the catalog was verified against {verified}. " + reverify(
            db, live, catalog_source, new_columns
        )
    return None


def evaluate_gate(
    catalog: Catalog,
    db: str,
    columns: Sequence[Column],
    applied: Sequence[FlywayMigration] | None,
    migration_files: Sequence[tuple[FlywayMigration, str]] = (),
    *,
    require_verified_version: bool = True,
) -> GateVerdict:
    """The gate's verdict for ``db`` from its live columns and its applied migrations.

    ``require_verified_version=False`` is for previews of pending migrations, whose version cannot
    be verified yet: only the coverage decides.
    """
    own = [c for c in columns if c.db == db]
    report = check_coverage(catalog, own)
    applied = list(applied or [])
    live = highest_version(m.version for m in applied)
    verified = catalog.verified.get(db)
    return GateVerdict(
        db=db,
        catalog_source=catalog.source,
        live_version=live,
        verified_version=verified,
        columns_checked=len(own),
        tables_checked=len({c.table.lower() for c in own}),
        unresolved=list(report.unresolved),
        introduced=introduced_by(report.unresolved, applied, verified, migration_files),
        changed=list(report.param_errors),
        dropped=dropped_names(catalog, db, own),
        version_problem=(
            version_problem(db, live, verified, catalog.source, len(report.unresolved)) if require_verified_version else None
        ),
    )


def check_dump_version(db: str, live: str | None, verified: str | None) -> None:
    """Refuse a dump whose schema version is not the verified one (it changed since the gate passed)."""
    if verified is None or live is None or not same_version(live, verified):
        raise SchemaNotVerified(
            f"refusing to dump {db}: its Flyway version is {live or 'unknown'}, the catalog is verified against "
            f"{verified or 'nothing'}. The schema changed after the gate passed: materialize source_schema[{db}] "
            "again (its gate says what to do) before dumping."
        )


class SchemaNotVerified(RuntimeError):
    pass
