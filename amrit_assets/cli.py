"""``amrit-anon``: the project's commands.

- ``amrit-anon demo``: the embedded default end to end (servers, synthetic data, whole graph).
- ``amrit-anon demo --ui``: the same, then keeps the servers up and opens ``dagster dev`` on them.
- ``amrit-anon catalog ...``: check/resolve the catalog against a server (see ``catalog.cli``).
- ``amrit-anon refresh [--databases a,b] [--no-uat] [--audit-dir DIR]``: the real refresh, on the servers
  of the environment (``AMRIT_*``), recorded in the Dagster instance of ``DAGSTER_HOME``; exit 0 when
  every step and check passed, 1 with a one-line reason when one did not, 2 when refused.
- ``amrit-anon preflight [--databases a,b]``: servers, privileges, safety, clients, disk, key; exit 1 on any FAIL.
- ``amrit-anon uat status|rollback [--databases a,b]``: what UAT holds, or put its previous state back.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from amrit_assets.paths import ROOT


def _demo(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from amrit_assets.demo.environment import demo_environment
    from amrit_assets.refresh import run_refresh
    from amrit_assets.resources import build_resources

    data_dir = Path(args.data_dir).resolve()
    dagster_home = data_dir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        # the refresh's writing steps (pool amrit_refresh) one at a time: a second run from the UI queues
        instance_yaml.write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n    granularity: run\n")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    start = time.monotonic()
    print(f"starting throwaway servers and generating {args.beneficiaries} beneficiaries ...", flush=True)
    with demo_environment(args.beneficiaries, data_dir, args.seed, args.from_migrations) as demo:
        setup = time.monotonic() - start
        print(f"production ready: {sum(demo.generation.rows.values())} rows in {setup:.1f}s", flush=True)
        if demo.generated_key:
            print("AMRIT_ANON_KEY is not set: using a throwaway key for this demo (a real refresh refuses to run without one)")
        with DagsterInstance.get() as instance:
            report = run_refresh(instance, build_resources(), progress=_say, verbose=args.verbose)
        total = time.monotonic() - start
        print("\nrefresh done. seconds per stage (all databases):")
        for step, seconds in sorted(report.stage_seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {step:20s} {seconds:8.1f}")
        print(f"  {'setup+generate':20s} {setup:8.1f}\n  {'total':20s} {total:8.1f}")
        print(f"peak memory: python {_peak_mb(resource.RUSAGE_SELF):.0f} MB")
        uat = demo.servers["uat"]
        print(f"\nUAT server: mysql --socket={uat.unix_socket} -uroot   (or 127.0.0.1:{uat.port})")
        print(f"anonymized dumps: {data_dir / 'anonymized'}")
        # The venv's own dagster: `./run demo --ui` runs from a shell whose PATH has no venv in it.
        dagster = str(Path(sys.executable).parent / "dagster")
        print(f"Dagster runs and metadata: DAGSTER_HOME={dagster_home} {dagster} dev -w {ROOT / 'workspace.yaml'}")
        if args.ui:
            print(f"\nstarting the Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C stops it and the servers)", flush=True)
            try:
                subprocess.run([dagster, "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(args.port)], env=os.environ.copy())
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
    """``db_identity,db_iemr`` (or ``all``) as a list in refresh order; an unknown name is a usage error."""
    from amrit_assets.partitions import DATABASES

    names = {n.strip() for n in text.split(",") if n.strip()}
    if names == {"all"}:
        return list(DATABASES)
    unknown = sorted(names - set(DATABASES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown database(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(DATABASES)}")
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
    print("seconds per stage:")
    for step, seconds in sorted(stage_seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {step:40s} {seconds:8.1f}")


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
        problems.append("lineage incomplete (python -m amrit_assets.lineage shows which link)")
    if not v.get("key_fingerprint_consistent", True):
        problems.append("UAT's databases were anonymized with different keys (ids no longer match across them)")
    problems += [f"personal columns unchanged in the sample on {db}: {_names(cols)}" for db, cols in _unmasked(report, "changed").items()]
    warnings = [f"kept columns differ from the live source on {db}: {_names(cols)}" for db, cols in _unmasked(report, "identical").items()]
    return problems, warnings


def _finish_audit(instance, run_id: str, audit_dir: str | None) -> list[str]:
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


def _refresh(args: argparse.Namespace) -> int:
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
        return _run_locked(args, tags)


def _run_locked(args: argparse.Namespace, tags: dict[str, str]) -> int:
    import traceback

    from dagster import DagsterInstance

    from amrit_assets.failures import redact
    from amrit_assets.refresh import RefreshFailed, run_refresh
    from amrit_assets.resources import build_resources

    print(f"refreshing {', '.join(args.databases)}{'' if args.uat else ' (UAT untouched: --no-uat)'} ...", flush=True)
    with DagsterInstance.get() as instance:
        try:
            report = run_refresh(instance, build_resources(), args.databases, tags=tags, publish_uat=args.uat, progress=_say, verbose=args.verbose)
        except RefreshFailed as failed:
            _print_runs(instance, failed.report.run_ids if failed.report else [failed.run_id])
            return _failed(str(failed))
        except Exception as error:  # outside any run (configuration, the instance): the trace, then still one line
            traceback.print_exc()
            return _failed(f"{type(error).__name__}: {redact(str(error))}")
        _print_runs(instance, report.run_ids)
        _print_seconds(report.stage_seconds)
        problems = _finish_audit(instance, report.run_ids[-1], args.audit_dir) if args.uat else []
    if problems:
        return _failed(f"audit: {'; '.join(problems)}")
    print("refresh done: every step and check passed" + ("" if args.uat else "; UAT was not touched"))
    return 0


def add_refresh_parser(sub) -> None:
    refresh = sub.add_parser("refresh", help="the real refresh on the servers of AMRIT_* (needs AMRIT_ANON_KEY and DAGSTER_HOME)")
    refresh.add_argument("--databases", type=parse_databases, default="all", help="comma-separated, e.g. db_identity,db_iemr (default: all four)")
    refresh.add_argument("--no-uat", dest="uat", action="store_false", help="dump, anonymize, check and write the anonymized dumps; leave UAT alone")
    refresh.add_argument("--verbose", action="store_true", help="also print Dagster's DEBUG events")
    refresh.add_argument("--audit-dir", help="also copy the audit report (audit.json, audit.md) here, e.g. for a CI to archive")


def _preflight(args: argparse.Namespace) -> int:
    from amrit_assets.checks.preflight import render, run_preflight
    from amrit_assets.resources import ROLES, server_address
    from amrit_assets.resources.settings import RefreshSettings

    settings = RefreshSettings(data_dir=os.getenv("AMRIT_DATA_DIR", ".amrit_data"), anon_key=os.getenv("AMRIT_ANON_KEY", ""))
    findings = run_preflight({role: server_address(role) for role in ROLES}, settings, args.databases)
    print(render(findings))
    failed = sum(not f.ok for f in findings)
    print(f"preflight: {'all ' + str(len(findings)) + ' checks passed' if not failed else str(failed) + ' FAILED'}")
    return 1 if failed else 0


def _uat(args: argparse.Namespace) -> int:
    from amrit_assets.resources import server_address
    from amrit_assets.resources.mysql import ServerConnectionError
    from amrit_assets.resources.safety import UnsafeTargetError, require_safe_targets
    from amrit_assets.resources.swap import SwapError, rollback_all, status

    uat = server_address("uat")
    try:
        if args.action == "rollback":  # it writes: prove UAT is not the source first
            require_safe_targets(server_address("source"), {"uat": uat})
        if args.action == "status":
            for db in args.databases:
                s = status(uat, db)
                print(f"{db:18s} {s['tables']:4d} tables now, {s['previous_tables']:4d} kept for rollback, last swap: {s['last_swap']}")
        else:  # all the databases together, in one RENAME
            for db, report in rollback_all(uat, args.databases).items():
                print(f"{db}: rolled back to the previous state ({report.tables} tables, {report.rows} rows); the replaced state is kept")
    except (SwapError, ServerConnectionError, UnsafeTargetError) as e:
        print(f"amrit-anon uat {args.action}: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amrit-anon", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole refresh on throwaway servers with synthetic AMRIT data")
    demo.add_argument("--beneficiaries", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--data-dir", default=str(ROOT / ".amrit_data" / "demo"))
    demo.add_argument("--ui", action="store_true", help="keep the servers up and start `dagster dev` on them")
    demo.add_argument("--port", type=int, default=3000)
    demo.add_argument("--verbose", action="store_true", help="also print Dagster's DEBUG events")
    demo.add_argument("--from-migrations", type=Path, metavar="DIR", help="build production from an AMRIT-DB checkout's Flyway migrations, not the carried DDL")
    sub.add_parser("catalog", help="check or resolve the catalog (see `amrit-anon catalog --help`)", add_help=False)
    add_refresh_parser(sub)
    pre = sub.add_parser("preflight", help="can a refresh run safely on the servers of AMRIT_*? (exit 1 on any FAIL)")
    pre.add_argument("--databases", type=parse_databases, default="all")
    uat = sub.add_parser("uat", help="UAT's state per database, or roll it back to the previous refresh")
    uat.add_argument("action", choices=["status", "rollback"])
    uat.add_argument("--databases", type=parse_databases, default="all")
    args, rest = parser.parse_known_args(argv)
    if args.command == "catalog":
        from amrit_assets.catalog.cli import main as catalog_main

        return catalog_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "refresh":
        return _refresh(args)
    if args.command == "preflight":
        return _preflight(args)
    if args.command == "uat":
        return _uat(args)
    from amrit_assets.demo.schema import SchemaBuildError

    try:
        return _demo(args)
    except SchemaBuildError as e:  # a migration that does not build: the file and the fix, no traceback
        print(f"amrit-anon demo: production could not be built: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
