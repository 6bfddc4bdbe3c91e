"""``amrit-anon``: the project's commands.

- ``amrit-anon demo``: the embedded default end to end (servers, synthetic data, whole graph).
- ``amrit-anon demo --ui``: the same, then keeps the servers up and opens ``dagster dev`` on them.
- ``amrit-anon catalog ...``: check/resolve the catalog against a server (see ``catalog.cli``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
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
        instance_yaml.write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    start = time.monotonic()
    print(f"starting throwaway servers and generating {args.beneficiaries} beneficiaries ...", flush=True)
    with demo_environment(args.beneficiaries, data_dir, args.seed) as demo:
        setup = time.monotonic() - start
        print(f"production ready: {sum(demo.generation.rows.values())} rows in {setup:.1f}s", flush=True)
        if demo.generated_key:
            print("AMRIT_ANON_KEY is not set: using a throwaway key for this demo (a real refresh refuses to run without one)")
        with DagsterInstance.get() as instance:
            report = run_refresh(instance, build_resources())
        total = time.monotonic() - start
        print("\nrefresh done. seconds per stage (all databases):")
        for step, seconds in sorted(report.stage_seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {step:20s} {seconds:8.1f}")
        print(f"  {'setup+generate':20s} {setup:8.1f}\n  {'total':20s} {total:8.1f}")
        print(f"peak memory: python {_peak_mb(resource.RUSAGE_SELF):.0f} MB")
        uat = demo.servers["uat"]
        print(f"\nUAT server: mysql --socket={uat.unix_socket} -uroot   (or 127.0.0.1:{uat.port})")
        print(f"anonymized dumps: {data_dir / 'anonymized'}")
        print(f"Dagster runs and metadata: DAGSTER_HOME={dagster_home} dagster dev -w {ROOT / 'workspace.yaml'}")
        if args.ui:
            print("\nstarting the Dagster UI on http://127.0.0.1:3000 (Ctrl-C stops it and the servers)", flush=True)
            try:
                subprocess.run(["dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(args.port)], env=os.environ.copy())
            except KeyboardInterrupt:
                pass
        else:
            print("the servers stop now; run `amrit-anon demo --ui` to keep them up with the Dagster UI")
    print(f"peak memory: largest server {_peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    return 0


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amrit-anon", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole refresh on throwaway servers with synthetic AMRIT data")
    demo.add_argument("--beneficiaries", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--data-dir", default=str(ROOT / ".amrit_data" / "demo"))
    demo.add_argument("--ui", action="store_true", help="keep the servers up and start `dagster dev` on them")
    demo.add_argument("--port", type=int, default=3000)
    sub.add_parser("catalog", help="check or resolve the catalog (see `amrit-anon catalog --help`)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "catalog":
        from amrit_assets.catalog.cli import main as catalog_main

        return catalog_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
