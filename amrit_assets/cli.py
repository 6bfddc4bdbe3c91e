"""``amrit-anon``: the project's one command tree (click).

Every command and option is declared here, once; the work is in plain functions of the modules
named, imported when a command runs, so ``--help`` and a refused refresh answer at once.

- ``demo [--ui]``: the embedded default end to end (servers, synthetic data, whole graph); ``--ui``
  then keeps the servers up and opens ``dagster dev`` on them.
- ``refresh [--databases a,b] [--no-uat] [--audit-dir DIR]``: the real refresh, on the servers of the
  environment (``AMRIT_*``), recorded in the Dagster instance of ``DAGSTER_HOME``; exit 0 when every
  step and check passed, 1 with a one-line reason when one did not, 2 when refused.
- ``preflight [--databases a,b]``: servers, privileges, safety, clients, disk, key; exit 1 on any FAIL.
- ``uat status|rollback [--databases a,b]``: what UAT holds, or put its previous state back.
- ``lineage [--db DB] [--json]``: which refresh put UAT's data there (``amrit_assets.lineage``).
- ``catalog check|resolve``: the catalog against a server or the DDL (``amrit_assets.catalog.cli``).
- ``bench [--sizes N,M]``: anonymize vs a bare keyed UPDATE (``amrit_assets.bench``).
- ``generate [--beneficiaries N] [--explain DB.TABLE]``: the demo generator alone, with timings.

A usage error (an unknown option or database) exits 2 with one sentence, as argparse did.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from amrit_assets.paths import CATALOG_DIR, ROOT


def _demo(beneficiaries: int, seed: int, data_dir: Path, ui: bool, port: int, verbose: bool, from_migrations: Path | None) -> int:
    from dagster import DagsterInstance

    from amrit_assets.demo.environment import demo_environment
    from amrit_assets.refresh import run_refresh
    from amrit_assets.resources import build_resources

    data_dir = data_dir.resolve()
    dagster_home = data_dir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        # the refresh's writing steps (pool amrit_refresh) one at a time: a second run from the UI queues
        instance_yaml.write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n    granularity: run\n")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    start = time.monotonic()
    print(f"starting throwaway servers and generating {beneficiaries} beneficiaries ...", flush=True)
    with demo_environment(beneficiaries, data_dir, seed, from_migrations) as demo:
        setup = time.monotonic() - start
        print(f"production ready: {sum(demo.generation.rows.values())} rows in {setup:.1f}s", flush=True)
        if demo.generated_key:
            print("AMRIT_ANON_KEY is not set: using a throwaway key for this demo (a real refresh refuses to run without one)")
        with DagsterInstance.get() as instance:
            report = run_refresh(instance, build_resources(), progress=_say, verbose=verbose)
        total = time.monotonic() - start
        print("\nrefresh done.", end=" ")
        _print_seconds(report.stage_seconds)
        print(f"  {'setup+generate':40s} {setup:8.1f}\n  {'total':40s} {total:8.1f}")
        print(f"peak memory: python {_peak_mb(resource.RUSAGE_SELF):.0f} MB")
        uat = demo.servers["uat"]
        print(f"\nUAT server: mysql --socket={uat.unix_socket} -uroot   (or 127.0.0.1:{uat.port})")
        print(f"anonymized dumps: {data_dir / 'anonymized'}")
        # The venv's own dagster: `./run demo --ui` runs from a shell whose PATH has no venv in it.
        dagster = str(Path(sys.executable).parent / "dagster")
        print(f"Dagster runs and metadata: DAGSTER_HOME={dagster_home} {dagster} dev -w {ROOT / 'workspace.yaml'}")
        if ui:
            print(f"\nstarting the Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops it and the servers)", flush=True)
            try:
                subprocess.run([dagster, "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(port)], env=os.environ.copy())
            except KeyboardInterrupt:
                pass
        else:
            print("the servers stop now; run `amrit-anon demo --ui` to keep them up with the Dagster UI")
    print(f"peak memory: largest server {_peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


# --- amrit-anon refresh ---------------------------------------------------------------------------------

REFRESH_EXIT_FAILED, REFRESH_EXIT_REFUSED = 1, 2


def parse_databases(text: str) -> list[str]:
    """``db_identity,db_iemr`` (or ``all``) as a list in refresh order; an unknown name is a ValueError (a usage error)."""
    from amrit_assets.partitions import DATABASES

    names = {n.strip() for n in text.split(",") if n.strip()}
    if names == {"all"}:
        return list(DATABASES)
    unknown = sorted(names - set(DATABASES))
    if unknown or not names:
        raise ValueError(f"unknown database(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(DATABASES)}")
    return [db for db in DATABASES if db in names]


def refresh_refusal(environ: Mapping[str, str]) -> str | None:
    """Why a real refresh must not start, or None: no valid key, no persistent instance, or a place or server left to defaults."""
    from amrit_assets.common.keys import AnonKeyError, check_key
    from amrit_assets.resources import missing_server_setting

    try:
        check_key(environ.get("AMRIT_ANON_KEY"))  # a real refresh never generates a key
    except AnonKeyError as e:
        return str(e)
    home = environ.get("DAGSTER_HOME", "")
    if not home or not Path(home).is_dir():
        return f"DAGSTER_HOME ({home or 'unset'}) must be the existing Dagster instance directory the UI uses, so the runs land in its event log"
    if not environ.get("AMRIT_DATA_DIR"):
        return "AMRIT_DATA_DIR is not set: raw dumps hold personal data, so say where they go (not a CI workspace)"
    return missing_server_setting(environ)  # the same sentence the UI's runs and the sensors give


def refresh_tags(environ: Mapping[str, str]) -> dict[str, str]:
    """Who started it, for the audit's ``triggered by``: the Jenkins build when there is one.

    Never ``amrit/refresh``: that tag makes the ``refresh_chain`` sensor continue a refresh itself.
    """
    if environ.get("JENKINS_URL") and environ.get("BUILD_NUMBER"):
        trigger = f"jenkins {environ.get('JOB_NAME', '?')} #{environ['BUILD_NUMBER']}"
    else:
        trigger = "amrit-anon refresh"
    user = environ.get("BUILD_USER_ID") or environ.get("USER") or ""
    return {"amrit/trigger": trigger, **({"user": user} if user else {})}


def _print_runs(instance, run_ids: list[str]) -> None:
    print("runs (Dagster run ids):")
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        tags = run.tags if run else {}
        status = run.status.value if run else "?"
        print(f"  {run_id}  {tags.get('amrit/stage', '?'):8s} {tags.get('dagster/partition', 'all databases'):18s} {status}")


def _print_seconds(stage_seconds: dict[str, float]) -> None:
    """Seconds per step (all databases), with each step's share of the refresh's wall time."""
    print("seconds per stage (all databases), share of the refresh:")
    wall = stage_seconds.get("wall") or 0.0
    for step, seconds in sorted(stage_seconds.items(), key=lambda kv: -kv[1]):
        share = f"{100 * seconds / wall:5.1f}%" if wall and step != "wall" else ""
        print(f"  {step:40s} {seconds:8.1f} {share}".rstrip())


def _audit_files(instance, run_id: str) -> list[Path]:
    """The audit report (json, md) the refresh's audit run wrote, from its materialization's metadata."""
    from dagster import AssetKey

    records = instance.fetch_materializations(AssetKey("audit_report"), limit=1).records
    if not records or records[0].run_id != run_id:
        return []
    metadata = records[0].asset_materialization.metadata
    return [Path(metadata[k].value) for k in ("json", "markdown") if k in metadata]


def _unmasked(report: dict, expect: str) -> dict[str, list[str]]:
    """``{db: [table.column]}`` of sampled columns with the given expectation that did not hold."""
    out: dict[str, list[str]] = {}
    for db, masking in (report.get("masking") or {}).items():
        bad = [f"{c['table']}.{c['column']}" for c in masking.get("columns", []) if c.get("expect") == expect and not c.get("ok", True)]
        if bad:
            out[db] = bad
    return out


def _names(columns: list[str]) -> str:
    return ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")


def audit_findings(report: dict) -> tuple[list[str], list[str]]:
    """``(problems, warnings)`` from the audit, by check, database and column name.

    Problems fail the refresh: a check that did not pass, broken lineage, a personal column left
    unchanged in the sample. Kept columns that differ are warnings: the audit reads the source live,
    so rows changed in production since the dump differ without anything being wrong.
    """
    v = report["verdict"]
    problems = [f"check {c['check']} on {c['database']} ({c['asset']})" for c in report.get("checks", []) if not c["passed"]]
    if not v["all_checks_passed"] and not problems:
        problems.append("no check result recorded")
    if not v["lineage_ok"]:
        problems.append("lineage incomplete (amrit-anon lineage shows which link)")
    if not v.get("key_fingerprint_consistent", True):
        problems.append("UAT's databases were anonymized with different keys (ids no longer match across them)")
    problems += [f"personal columns unchanged in the sample on {db}: {_names(cols)}" for db, cols in _unmasked(report, "changed").items()]
    warnings = [f"kept columns differ from the live source on {db}: {_names(cols)}" for db, cols in _unmasked(report, "identical").items()]
    return problems, warnings


def _finish_audit(instance, run_id: str, audit_dir: Path | None) -> list[str]:
    """Print (and copy to ``audit_dir``, e.g. for Jenkins to archive) the audit; the problems it found."""
    import json
    import shutil

    files = _audit_files(instance, run_id)
    if not files:
        return ["the audit run recorded no report"]
    for f in files:
        print(f"audit report: {f}")
        if audit_dir:
            Path(audit_dir).mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, Path(audit_dir) / f.name)
    problems, warnings = audit_findings(json.loads(files[0].read_text()))
    for w in warnings:
        print(f"audit warning: {w}")
    return problems


def _failed(reason: str) -> int:
    """The one line a CI shows last: which check (or step) failed on which database."""
    print(f"amrit-anon refresh: FAILED: {reason}", file=sys.stderr)
    return REFRESH_EXIT_FAILED


def _refresh(databases: list[str], publish_uat: bool, verbose: bool, audit_dir: Path | None) -> int:
    problem = refresh_refusal(os.environ)
    if problem:
        print(f"amrit-anon refresh: refused: {problem}", file=sys.stderr)
        return REFRESH_EXIT_REFUSED
    from amrit_assets.refresh import hold_refresh_lock
    from amrit_assets.resources.refresh_lock import LOCK_TAG, RefreshLocked

    with contextlib.ExitStack() as held:
        try:
            token = held.enter_context(hold_refresh_lock(refresh_tags(os.environ)["amrit/trigger"]))
        except RefreshLocked as locked:
            print(f"amrit-anon refresh: refused: {locked}", file=sys.stderr)
            return REFRESH_EXIT_REFUSED
        tags = {**refresh_tags(os.environ), **({LOCK_TAG: token} if token else {})}
        return _run_locked(databases, publish_uat, verbose, audit_dir, tags)


def _run_locked(databases: list[str], publish_uat: bool, verbose: bool, audit_dir: Path | None, tags: dict[str, str]) -> int:
    import traceback

    from dagster import DagsterInstance

    from amrit_assets.failures import redact
    from amrit_assets.refresh import RefreshFailed, run_refresh
    from amrit_assets.resources import build_resources

    print(f"refreshing {', '.join(databases)}{'' if publish_uat else ' (UAT untouched: --no-uat)'} ...", flush=True)
    with DagsterInstance.get() as instance:
        try:
            report = run_refresh(instance, build_resources(), databases, tags=tags, publish_uat=publish_uat, progress=_say, verbose=verbose)
        except RefreshFailed as failed:
            _print_runs(instance, failed.report.run_ids if failed.report else [failed.run_id])
            return _failed(str(failed))
        except Exception as error:  # outside any run (configuration, the instance): the trace, then still one line
            traceback.print_exc()
            return _failed(f"{type(error).__name__}: {redact(str(error))}")
        _print_runs(instance, report.run_ids)
        _print_seconds(report.stage_seconds)
        problems = _finish_audit(instance, report.run_ids[-1], audit_dir) if publish_uat else []
    if problems:
        return _failed(f"audit: {'; '.join(problems)}")
    print("refresh done: every step and check passed" + ("" if publish_uat else "; UAT was not touched"))
    return 0


def _preflight(databases: list[str]) -> int:
    from amrit_assets.checks.preflight import render, run_preflight
    from amrit_assets.resources import ROLES, server_address
    from amrit_assets.resources.settings import RefreshSettings

    settings = RefreshSettings(data_dir=os.getenv("AMRIT_DATA_DIR", ".amrit_data"), anon_key=os.getenv("AMRIT_ANON_KEY", ""))
    findings = run_preflight({role: server_address(role) for role in ROLES}, settings, databases)
    print(render(findings))
    failed = sum(not f.ok for f in findings)
    print(f"preflight: {'all ' + str(len(findings)) + ' checks passed' if not failed else str(failed) + ' FAILED'}")
    return 1 if failed else 0


def _uat(action: str, databases: list[str]) -> int:
    from amrit_assets.resources import server_address
    from amrit_assets.resources.mysql import ServerConnectionError
    from amrit_assets.resources.safety import UnsafeTargetError, require_safe_targets
    from amrit_assets.resources.swap import SwapError, rollback_all, status

    uat = server_address("uat")
    try:
        if action == "rollback":  # it writes: prove UAT is not the source first
            require_safe_targets(server_address("source"), {"uat": uat})
        if action == "status":
            for db in databases:
                s = status(uat, db)
                print(f"{db:18s} {s['tables']:4d} tables now, {s['previous_tables']:4d} kept for rollback, last swap: {s['last_swap']}")
        else:  # all the databases together, in one RENAME
            for db, report in rollback_all(uat, databases).items():
                print(f"{db}: rolled back to the previous state ({report.tables} tables, {report.rows} rows); the replaced state is kept")
    except (SwapError, ServerConnectionError, UnsafeTargetError) as e:
        print(f"amrit-anon uat {action}: {e}", file=sys.stderr)
        return 1
    return 0



# --- the command tree -----------------------------------------------------------------------------

DEFAULT_PASSWORD_ENV = "AMRIT_CHECK_PASSWORD"


class _Databases(click.ParamType):
    """``--databases db_identity,db_iemr`` or ``all``, through ``parse_databases``."""

    name = "databases"

    def convert(self, value, param, ctx) -> list[str]:
        if isinstance(value, list):
            return value
        try:
            return parse_databases(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


class _Sizes(click.ParamType):
    """``--sizes 10000,100000``: positive whole numbers."""

    name = "sizes"

    def convert(self, value, param, ctx) -> list[int]:
        if isinstance(value, list):
            return value
        try:
            sizes = [int(s) for s in value.split(",") if s.strip()]
        except ValueError:
            sizes = []
        if not sizes or min(sizes) < 1:
            self.fail(f"{value!r} is not a comma-separated list of positive whole numbers", param, ctx)
        return sizes


DATABASES_OPTION = click.option("--databases", type=_Databases(), default="all", show_default=True, metavar="DB,...|all",
                                help="comma-separated, e.g. db_identity,db_iemr (all: the four)")
VERBOSE_OPTION = click.option("--verbose", is_flag=True, help="also print Dagster's DEBUG events")


@click.group("amrit-anon", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """amrit-anon: anonymized UAT refreshes of AMRIT's databases, and the tools around them."""


@cli.result_callback()
def _exit_with(code: int | None) -> None:
    """Each command returns its exit code; this is where it becomes the process's."""
    click.get_current_context().exit(code or 0)


@cli.command()
@click.option("--beneficiaries", type=int, default=1000, show_default=True, help="synthetic beneficiaries in production")
@click.option("--seed", type=int, default=7, show_default=True, help="the generator's seed (same seed, same data)")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=ROOT / ".amrit_data" / "demo",
              show_default=True, help="dumps and the Dagster instance (dagster_home) of the demo")
@click.option("--ui", is_flag=True, help="keep the servers up and start `dagster dev` on them")
@click.option("--port", type=int, default=3000, show_default=True, help="the UI's port (with --ui)")
@VERBOSE_OPTION
@click.option("--from-migrations", type=click.Path(path_type=Path), metavar="DIR",
              help="build production from an AMRIT-DB checkout's Flyway migrations, not the carried DDL")
def demo(beneficiaries: int, seed: int, data_dir: Path, ui: bool, port: int, verbose: bool, from_migrations: Path | None) -> int:
    """Run the whole refresh on throwaway servers with synthetic AMRIT data."""
    from amrit_assets.demo.schema import SchemaBuildError

    try:
        return _demo(beneficiaries, seed, data_dir, ui, port, verbose, from_migrations)
    except SchemaBuildError as e:  # a migration that does not build: the file and the fix, no traceback
        print(f"amrit-anon demo: production could not be built: {e}", file=sys.stderr)
        return 1


@cli.command()
@DATABASES_OPTION
@click.option("--no-uat", is_flag=True, help="dump, anonymize, check and write the anonymized dumps; leave UAT alone")
@VERBOSE_OPTION
@click.option("--audit-dir", type=click.Path(file_okay=False, path_type=Path),
              help="also copy the audit report (audit.json, audit.md) here, e.g. for a CI to archive")
def refresh(databases: list[str], no_uat: bool, verbose: bool, audit_dir: Path | None) -> int:
    """The real refresh on the servers of AMRIT_* (needs AMRIT_ANON_KEY and DAGSTER_HOME).

    Exit 0 when every step and check passed, 1 with a one-line reason when one did not, 2 when refused.
    """
    return _refresh(databases, not no_uat, verbose, audit_dir)


@cli.command()
@DATABASES_OPTION
def preflight(databases: list[str]) -> int:
    """Can a refresh run safely on the servers of AMRIT_*? (exit 1 on any FAIL)"""
    return _preflight(databases)


@cli.group()
def uat() -> None:
    """UAT's state per database, or roll it back to the previous refresh."""


@uat.command("status")
@DATABASES_OPTION
def uat_status(databases: list[str]) -> int:
    """Tables now, tables kept for rollback and the last swap, per database."""
    return _uat("status", databases)


@uat.command("rollback")
@DATABASES_OPTION
def uat_rollback(databases: list[str]) -> int:
    """Put UAT's previous state back (the replaced one is kept); the databases roll back together."""
    return _uat("rollback", databases)


@cli.command()
@click.option("--db", "databases", type=_Databases(), multiple=True, metavar="DB", help="a database (repeatable; default: all four)")
@click.option("--json", "as_json", is_flag=True, help="print the traces as JSON")
@click.option("--no-verify-files", is_flag=True, help="do not recompute the sha256 of dump files still on disk")
def lineage(databases: tuple[list[str], ...], as_json: bool, no_verify_files: bool) -> int:
    """Which refresh put the data in UAT and which checks passed (reads the Dagster instance at DAGSTER_HOME).

    Exit 1 when a database has no lineage or a link of it does not hold.
    """
    if not os.environ.get("DAGSTER_HOME"):
        print("set DAGSTER_HOME to the Dagster instance the refreshes ran in (e.g. the demo's .amrit_data/demo/dagster_home)", file=sys.stderr)
        return 2
    from amrit_assets import lineage as lineage_module
    from amrit_assets.partitions import DATABASES

    chosen = list(dict.fromkeys(db for names in databases for db in names))
    return lineage_module.print_lineage(chosen or DATABASES, as_json, verify_files=not no_verify_files)


@cli.group(invoke_without_command=True)
@click.option("--sizes", type=_Sizes(), default="10000,100000", show_default=True, metavar="N,...", help="rows in the big PII tables, comma-separated")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="also write the report as JSON here")
@click.option("--base-max", type=click.IntRange(min=1), default=20000, show_default=True,
              help="most beneficiaries generated; more are replicated in SQL")
@click.option("--buffer-pool", envvar="AMRIT_BENCH_BUFFER_POOL", default="4G", show_default=True, show_envvar=True,
              help="InnoDB buffer pool of the throwaway server; the default holds the 100k data set")
@click.option("--top", type=int, default=10, show_default=True, help="tables listed per size")
@click.pass_context
def bench(ctx: click.Context, sizes: list[int], seed: int, json_path: Path | None, base_max: int, buffer_pool: str, top: int) -> int | None:
    """The anonymization benchmark: rows/s per phase, and anonymize vs a bare keyed UPDATE, in one run
    (``bench refresh``: the whole refresh against its I/O floor)."""
    if ctx.invoked_subcommand:
        return None
    from amrit_assets.bench import measure

    return measure(sizes, seed, base_max, buffer_pool, top, json_path)


@bench.command("refresh")
@click.option("--sizes", type=_Sizes(), default="10000,100000", show_default=True, metavar="N,...", help="beneficiaries generated, comma-separated")
@click.option("--workers", type=_Sizes(), default=f"1,{max(1, os.cpu_count() or 1)}", show_default=True, metavar="N,...",
              help="AMRIT_PARALLELISM values to run the refresh with, comma-separated")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="also write the measurements as JSON here")
def bench_refresh(sizes: list[int], workers: list[int], seed: int, json_path: Path | None) -> int:
    """The whole refresh (every job the UI runs) per size and worker count, against its I/O floor on the same servers."""
    from amrit_assets.bench_refresh import measure_refresh

    return measure_refresh(sizes, workers, seed, json_path)


@cli.command()
@click.option("--beneficiaries", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--explain", "explain_table", metavar="DB.TABLE", help="show how each column of a table is generated")
@click.option("--derive-kinds", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DICTIONARY_DIR",
              help="(development) rewrite sql/demo/column_kinds.tsv from the AMRIT data dictionary")
def generate(beneficiaries: int, seed: int, explain_table: str | None, derive_kinds: Path | None) -> int:
    """Generate synthetic linked AMRIT data on a throwaway server and report timings."""
    from amrit_assets.demo.generator.base import KINDS_FILE, GenerationError
    from amrit_assets.demo.generator.cli import derive_kinds as write_kinds
    from amrit_assets.demo.generator.cli import on_throwaway_server

    if derive_kinds:
        print(f"wrote {write_kinds(derive_kinds)} column kinds to {KINDS_FILE}")
        return 0
    try:
        print(on_throwaway_server(beneficiaries, seed, explain_table))
    except GenerationError as e:
        print(f"amrit-anon generate: {e}", file=sys.stderr)
        return 1
    return 0


@cli.group()
def catalog() -> None:
    """Check or resolve the catalog against a server or the project's DDL.

    Exit 0 covered, 1 not covered (unresolved columns, an unverified Flyway version), 2 the catalog or
    the server could not be read. Passwords come only from an environment variable (--password-env).
    """


def _catalog_options(command):
    """The catalog in use and the server to read, shared by check and resolve."""
    options = [
        click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, path_type=Path), envvar="AMRIT_CATALOG",
                     default=CATALOG_DIR / "amrit.catalog", show_default=True, show_envvar=True, help="the catalog in use"),
        click.option("--host", default="127.0.0.1", show_default=True),
        click.option("--port", type=int, default=3306, show_default=True),
        click.option("--user", default="root", show_default=True),
        click.option("--socket", default="", help="unix socket (instead of host/port)"),
        click.option("--password-env", default=DEFAULT_PASSWORD_ENV, show_default=True, metavar="VAR",
                     help="environment variable holding the password (unset means no password)"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@catalog.command("check")
@_catalog_options
@click.argument("databases", nargs=-1, required=True, metavar="DB...")
def catalog_check(catalog_path: Path, host: str, port: int, user: str, socket: str, password_env: str, databases: tuple[str, ...]) -> int:
    """Fail unless the catalog resolves every column of the databases on a server at their @verified versions."""
    from amrit_assets.catalog import cli as catalog_cli

    return catalog_cli.check(catalog_path, catalog_cli.server_address(host, port, user, socket, password_env), databases)


@catalog.command("resolve")
@_catalog_options
@click.option("--from-ddl", is_flag=True, help="read columns from sql/schema/*.sql instead of a server")
@click.option("--write", is_flag=True, help="write the files (default: only print the differences)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="write the resolved forms here (default: resolved/ beside --catalog)")
@click.argument("databases", nargs=-1, metavar="[DB]...")
def catalog_resolve(catalog_path: Path, host: str, port: int, user: str, socket: str, password_env: str,
                    from_ddl: bool, write: bool, out: Path | None, databases: tuple[str, ...]) -> int:
    """Regenerate resolved/<db>.tsv beside the catalog (default: all four databases) and print what changed."""
    from amrit_assets.catalog import cli as catalog_cli

    addr = None if from_ddl else catalog_cli.server_address(host, port, user, socket, password_env)
    return catalog_cli.resolve(catalog_path, addr, databases, write, out)


def main(argv: Sequence[str] | None = None) -> int:
    """The console script and the ``python -m`` aliases: the command's exit code.

    A usage error prints the usage line and its one sentence and raises SystemExit(2), as argparse did.
    """
    try:
        return cli.main(args=list(argv) if argv is not None else None, prog_name="amrit-anon", standalone_mode=False) or 0
    except click.ClickException as e:
        e.show()
        raise SystemExit(e.exit_code) from None
    except click.Abort:  # Ctrl-C: the servers the command started are stopped by then
        print("Aborted!", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
