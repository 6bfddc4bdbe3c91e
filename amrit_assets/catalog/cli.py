"""Catalog coverage from the command line, for DBAs and CI.

``check`` connects to any MySQL-compatible server and fails (exit 1) unless every column of the
given databases resolves and each database's Flyway version is the catalog's ``@verified`` one (as
the schema gate decides), listing each unresolved column with a stub to paste. ``resolve``
regenerates the resolved form ``resolved/<db>.tsv`` beside the catalog in use (or in ``--out``) from
the project's DDL or a server, and prints what changed: writing it is how columns that only a type
catch-all decides become reviewed. Passwords come only from an environment variable, never from the command line, where
``ps`` and shell history would show them. Exit codes: 0 covered, 1 not covered (unresolved
columns or catalog errors), 2 the catalog or the server could not be read.

    amrit-anon catalog check --host db.uat --user ro --password-env RO_PW db_iemr
    amrit-anon catalog resolve --from-ddl --write

(``python -m amrit_assets.catalog.cli ...`` is the same command.)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from amrit_assets.catalog.coverage import (
    CoverageReport,
    check_coverage,
    columns_from_ddl,
    columns_from_server,
    diff_resolved,
    resolved_form,
    suggest_strategy,
)
from amrit_assets.catalog.gate import highest_version, read_flyway_history, version_problem
from amrit_assets.catalog.model import Catalog, CatalogError, Column, load_catalog, resolved_dir
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import SCHEMA_DIR
from amrit_assets.resources.mysql import ServerAddress, ServerConnectionError, connect


def _read_server(addr: ServerAddress, databases: Sequence[str]) -> tuple[list[Column], dict[str, str | None]]:
    """The databases' columns and their Flyway versions (None: no applied versioned migration)."""
    conn = connect(addr, databases[0])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (%s)" % ", ".join(["%s"] * len(databases)),
                databases,
            )
            present = {r[0] for r in cur.fetchall()}
        missing = [db for db in databases if db not in present]
        if missing:
            raise ServerConnectionError(f"database(s) {', '.join(missing)} do not exist on {addr.unix_socket or f'{addr.host}:{addr.port}'}")
        versions = {db: highest_version(m.version for m in read_flyway_history(conn, db) or []) for db in databases}
        return columns_from_server(conn, databases), versions
    finally:
        conn.close()


def _print_failures(report: CoverageReport) -> None:
    if report.unresolved:
        print(f"{len(report.unresolved)} column(s) not resolved by {report.catalog.source}; stubs to paste and decide:")
        for col in report.unresolved:
            print(f"  {suggest_strategy(col)}")
    if report.errors:
        print(f"{len(report.errors)} catalog error(s):")
        for err in report.errors:
            print(f"  {err}")


def _check(catalog: Catalog, addr: ServerAddress, databases: Sequence[str]) -> int:
    columns, versions = _read_server(addr, databases)
    report = check_coverage(catalog, columns)
    problems = []
    for db in databases:
        unresolved = sum(c.db == db for c in report.unresolved)
        problem = version_problem(db, versions[db], catalog.verified.get(db), catalog.source, unresolved)
        verdict = f"NOT VERIFIED: {problem}" if problem else f"verified ({catalog.verified.get(db)})"
        print(f"{db} at Flyway version {versions[db] or 'unknown'}: {verdict}")
        problems += [problem] if problem else []
    if not report.ok:
        _print_failures(report)
    if not report.ok or problems:
        return 1
    print(f"OK: {report.summary()}")
    return 0


def _resolve(catalog: Catalog, catalog_path: Path, addr: ServerAddress | None, databases: Sequence[str], write: bool, out: Path | None) -> int:
    columns = columns_from_ddl(SCHEMA_DIR, list(databases)) if addr is None else _read_server(addr, databases)[0]
    # Writing the resolved form is the review of what the type catch-alls take: they take every column here.
    report = check_coverage(catalog.without_review(), columns)
    if not report.ok:
        _print_failures(report)
        return 1
    out = out or resolved_dir(catalog_path)
    changed = False
    for db in databases:
        path = out / f"{db}.tsv"
        new = resolved_form(report, db)
        old = path.read_text() if path.exists() else ""
        diff = diff_resolved(old, new)
        if old != new:
            changed = True
            print(f"{path}: {len(diff)} change(s)" + ("" if diff else " (line numbers or catalog hash only)"))
            for line in diff:
                print(f"  {line}")
            if write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(new)
    if not changed:
        print("resolved forms are up to date")
    elif not write:
        print("(not written: add --write)")
    return 0


def server_address(host: str, port: int, user: str, socket: str, password_env: str) -> ServerAddress:
    """The server to read, its password from the variable ``password_env`` names (unset: none)."""
    return ServerAddress(host, port, user, os.environ.get(password_env, ""), socket)


def _reporting(action: Callable[[Catalog], int], catalog_path: Path) -> int:
    """Exit 2 with one line when the catalog or the server cannot be read."""
    try:
        return action(load_catalog(catalog_path))
    except (CatalogError, ServerConnectionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def check(catalog_path: Path, addr: ServerAddress, databases: Sequence[str]) -> int:
    """``amrit-anon catalog check``: 0 covered and verified, 1 not, 2 unreadable."""
    return _reporting(lambda catalog: _check(catalog, addr, databases), catalog_path)


def resolve(catalog_path: Path, addr: ServerAddress | None, databases: Sequence[str], write: bool = False, out: Path | None = None) -> int:
    """``amrit-anon catalog resolve``: the resolved forms from ``addr`` (None: the project's DDL)."""
    return _reporting(lambda catalog: _resolve(catalog, catalog_path, addr, databases or DATABASES, write, out), catalog_path)


def main(argv: list[str] | None = None) -> int:
    """``python -m amrit_assets.catalog.cli``, as the catalog's header says: an alias of ``amrit-anon catalog``."""
    from amrit_assets.cli import main as amrit_anon

    return amrit_anon(["catalog", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
