"""Catalog coverage from the command line, for DBAs and CI.

``check`` connects to any MySQL-compatible server and fails (exit 1) unless every column of the
given databases resolves and each database's Flyway version is the catalog's ``@verified`` one (as
the schema gate decides), listing each unresolved column with a stub to paste. ``resolve``
regenerates the resolved form ``resolved/<db>.tsv`` beside the catalog in use (or in ``--out``) from
the project's DDL or a server, and prints what changed: writing it is how columns that only a type
catch-all decides become reviewed. Passwords come only from an environment variable, never from the command line, where
``ps`` and shell history would show them. Exit codes: 0 covered, 1 not covered (unresolved
columns or catalog errors), 2 the catalog or the server could not be read.

    python -m amrit_assets.catalog.cli check --host db.uat --user ro --password-env RO_PW db_iemr
    python -m amrit_assets.catalog.cli resolve --from-ddl --write
"""

from __future__ import annotations

import argparse
import os
import sys
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
from amrit_assets.paths import CATALOG_DIR, SCHEMA_DIR
from amrit_assets.resources.mysql import ServerAddress, ServerConnectionError, connect

DEFAULT_PASSWORD_ENV = "AMRIT_CHECK_PASSWORD"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m amrit_assets.catalog.cli", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--catalog", type=Path, default=Path(os.environ.get("AMRIT_CATALOG", CATALOG_DIR / "amrit.catalog")))
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=3306)
        sp.add_argument("--user", default="root")
        sp.add_argument("--socket", default="", help="unix socket (instead of host/port)")
        sp.add_argument(
            "--password-env",
            default=DEFAULT_PASSWORD_ENV,
            metavar="VAR",
            help=f"environment variable holding the password (default {DEFAULT_PASSWORD_ENV}; unset means no password)",
        )

    check = sub.add_parser("check", help="fail unless the catalog resolves every column of the databases on a server")
    common(check)
    check.add_argument("databases", nargs="+", metavar="DB")

    resolve = sub.add_parser("resolve", help="regenerate resolved/<db>.tsv beside the catalog and print what changed")
    common(resolve)
    resolve.add_argument("--from-ddl", action="store_true", help="read columns from sql/schema/*.sql instead of a server")
    resolve.add_argument("--write", action="store_true", help="write the files (default: only print the differences)")
    resolve.add_argument("--out", type=Path, metavar="DIR", help="write the resolved forms here (default: resolved/ beside --catalog)")
    resolve.add_argument("databases", nargs="*", metavar="DB", default=list(DATABASES))
    return p


def _server_columns(args: argparse.Namespace, databases: list[str]) -> list[Column]:
    return _read_server(args, databases)[0]


def _read_server(args: argparse.Namespace, databases: list[str]) -> tuple[list[Column], dict[str, str | None]]:
    """The databases' columns and their Flyway versions (None: no applied versioned migration)."""
    addr = ServerAddress(args.host, args.port, args.user, os.environ.get(args.password_env, ""), args.socket)
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
            raise ServerConnectionError(f"database(s) {', '.join(missing)} do not exist on {args.socket or f'{args.host}:{args.port}'}")
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


def _check(args: argparse.Namespace, catalog: Catalog) -> int:
    columns, versions = _read_server(args, args.databases)
    report = check_coverage(catalog, columns)
    problems = []
    for db in args.databases:
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


def _resolve(args: argparse.Namespace, catalog: Catalog) -> int:
    databases = list(args.databases)
    columns = columns_from_ddl(SCHEMA_DIR, databases) if args.from_ddl else _server_columns(args, databases)
    # Writing the resolved form is the review of what the type catch-alls take: they take every column here.
    report = check_coverage(catalog.without_review(), columns)
    if not report.ok:
        _print_failures(report)
        return 1
    out = args.out or resolved_dir(args.catalog)
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
            if args.write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(new)
    if not changed:
        print("resolved forms are up to date")
    elif not args.write:
        print("(not written: add --write)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        catalog = load_catalog(args.catalog)
        return _check(args, catalog) if args.command == "check" else _resolve(args, catalog)
    except (CatalogError, ServerConnectionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
