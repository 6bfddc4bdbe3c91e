"""``amrit-anon bench refresh`` (``./run bench refresh``): the whole refresh against its I/O floor.

Per size (beneficiaries generated) on the demo's three throwaway servers: the I/O floor first (what any
refresh must move: mysqldump of the source, restore into the workspace, mysqldump of those databases,
restore into UAT, plain client, nothing else), then the whole refresh (``refresh.run_refresh``, the
jobs the UI runs) once per worker count (``AMRIT_PARALLELISM``), each from an empty workspace and UAT.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from amrit_assets.partitions import DATABASES
from amrit_assets.resources.mysql import ServerAddress, connect


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


SYSTEM_DBS = ("mysql", "information_schema", "performance_schema", "sys")
FLOOR_STEPS = ("dump source", "restore workspace", "dump workspace", "restore UAT")


@dataclass
class RefreshRun:
    workers: int
    steps: dict[str, float]  # Dagster step key (asset or check) -> seconds, summed over databases
    wall: float

    def ratio(self, floor: float) -> float:
        return self.wall / floor if floor > 0 else 0.0


@dataclass
class RefreshSize:
    size: int  # beneficiaries generated
    rows: int  # rows in the four source databases
    dump_bytes: int  # the source databases' plaintext dumps (the floor's)
    floor: dict[str, float]  # FLOOR_STEPS -> seconds
    runs: list[RefreshRun]

    @property
    def floor_s(self) -> float:
        return sum(self.floor.values())


def _drop_user_databases(addr: ServerAddress) -> None:
    """An empty server, as a first refresh finds it (every database but the server's own dropped)."""
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        for (db,) in cur.fetchall():
            if db.lower() not in SYSTEM_DBS:
                cur.execute(f"DROP DATABASE {_q(db)}")
    conn.close()


def _plain_restore(addr: ServerAddress, db: str, path: Path) -> None:
    """The mysql client fed the dump file, nothing else: the floor's restore. ``--force``: a view over a
    database restored later fails and is skipped (views cost nothing next to the data)."""
    import subprocess

    from amrit_assets.resources.dumps import find_client
    from amrit_assets.resources.mysql import client_defaults_file

    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {_q(db)}")
    conn.close()
    with client_defaults_file(addr) as cnf, path.open("rb") as src:
        subprocess.run([find_client("mysql", "mariadb"), f"--defaults-extra-file={cnf}", "--default-character-set=utf8mb4",
                        "--init-command=SET FOREIGN_KEY_CHECKS=0", "--force", db], stdin=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def io_floor(servers: dict[str, ServerAddress], folder: Path) -> tuple[dict[str, float], int]:
    """Seconds of each FLOOR_STEPS over the four databases (in DATABASES order: views find what they read), and dump bytes."""
    from amrit_assets.resources.dumps import dump_database

    folder.mkdir(parents=True, exist_ok=True)
    seconds = dict.fromkeys(FLOOR_STEPS, 0.0)
    dump_bytes = 0

    def timed(step: str, fn: Callable[[], object]) -> object:
        t0 = time.perf_counter()
        out = fn()
        seconds[step] += time.perf_counter() - t0
        return out

    for db in DATABASES:
        src, ws = folder / f"{db}.source.sql", folder / f"{db}.workspace.sql"
        timed("dump source", lambda: dump_database(servers["source"], db, src))
        dump_bytes += src.stat().st_size
        timed("restore workspace", lambda: _plain_restore(servers["workspace"], db, src))
        timed("dump workspace", lambda: dump_database(servers["workspace"], db, ws))
        timed("restore UAT", lambda: _plain_restore(servers["uat"], db, ws))
        src.unlink()
        ws.unlink()
    return {k: round(v, 2) for k, v in seconds.items()}, dump_bytes


def refresh_once(servers: dict[str, ServerAddress], data_dir: Path, workers: int) -> RefreshRun:
    """The whole refresh (every job the UI runs, UAT included) with ``workers`` connections, from an empty workspace and UAT."""
    import shutil

    from dagster import DagsterInstance

    from amrit_assets.demo.environment import patched_environ
    from amrit_assets.refresh import run_refresh
    from amrit_assets.resources import build_resources

    for role in ("workspace", "uat"):
        _drop_user_databases(servers[role])
    shutil.rmtree(data_dir, ignore_errors=True)
    with patched_environ({"AMRIT_PARALLELISM": str(workers)}), DagsterInstance.ephemeral() as instance:
        t0 = time.perf_counter()
        report = run_refresh(instance, build_resources())
        wall = time.perf_counter() - t0
    steps = {k: round(v, 2) for k, v in report.stage_seconds.items() if k != "wall"}
    return RefreshRun(workers, steps, round(wall, 2))


def bench_refresh_size(size: int, workers: Sequence[int], seed: int, folder: Path, log: Callable[[str], None] = print) -> RefreshSize:
    """One size: generate the demo's production, measure the floor, then the refresh per worker count
    (in the order given: ``measure_refresh`` alternates it between sizes, so neither count always runs first)."""
    from amrit_assets.demo.environment import demo_environment
    from amrit_assets.resources.inspect import row_counts

    log(f"[{size}] generating {size} beneficiaries ...")
    with demo_environment(size, folder / f"data-{size}", seed) as demo:
        conn = connect(demo.servers["source"])
        rows = sum(sum(row_counts(conn, db).values()) for db in DATABASES)
        conn.close()
        log(f"[{size}] {rows} rows; I/O floor ...")
        floor, dump_bytes = io_floor(demo.servers, folder / f"floor-{size}")
        runs = []
        for n in workers:
            log(f"[{size}] floor {sum(floor.values()):.1f}s; refresh with {n} worker(s) ...")
            runs.append(refresh_once(demo.servers, demo.data_dir, n))
            log(f"[{size}] refresh with {n} worker(s): {runs[-1].wall:.1f}s")
    return RefreshSize(size, rows, dump_bytes, floor, runs)


def format_refresh_report(sizes: Sequence[RefreshSize]) -> str:
    """Per size: the floor's steps, then every refresh step per worker count (seconds, rows/s, MB/s), the
    ratio of the whole refresh to the floor, and the growth factor between sizes (1.0 = linear)."""
    counts = sorted({r.workers for s in sizes for r in s.runs})
    head = "".join(f" {'s w=' + str(n):>9} {'rows/s':>9} {'MB/s':>6}" for n in counts)
    lines = [f"{'size':>7} {'step':<34}{head}"]
    for s in sizes:
        mb = s.dump_bytes / 1e6

        def cells(seconds: Sequence[float | None]) -> str:
            return "".join(f" {x:>9.2f} {s.rows / x:>9.0f} {mb / x:>6.1f}" if x else f" {'-':>9} {'':>9} {'':>6}" for x in seconds)

        lines.append(f"{s.size:>7} {'rows ' + format(s.rows, ',') + f', dump {mb:.1f} MB':<34}")
        for step, secs in s.floor.items():
            lines.append(f"{s.size:>7} {'floor: ' + step:<34}{cells([secs] * len(counts))}")
        lines.append(f"{s.size:>7} {'floor (all)':<34}{cells([s.floor_s] * len(counts))}")
        by_workers = {r.workers: r for r in s.runs}
        steps = list(dict.fromkeys(k for r in s.runs for k in r.steps))
        for step in steps:
            lines.append(f"{s.size:>7} {step:<34}{cells([by_workers[n].steps.get(step) if n in by_workers else None for n in counts])}")
        lines.append(f"{s.size:>7} {'refresh (wall)':<34}{cells([by_workers[n].wall if n in by_workers else None for n in counts])}")
        ratios = "  ".join(f"w={n}: {by_workers[n].ratio(s.floor_s):.2f}" for n in counts if n in by_workers)
        lines.append(f"{s.size:>7} ratio refresh / I/O floor: {ratios}")
    for a, b in zip(sizes, sizes[1:]):
        rows_x = b.rows / a.rows if a.rows else 0.0
        parts = [f"floor {b.floor_s / a.floor_s / rows_x:.2f}" if a.floor_s and rows_x else "floor -"]
        for n in counts:
            ra, rb = ({r.workers: r for r in x.runs}.get(n) for x in (a, b))
            if ra and rb and rows_x:
                parts.append(f"refresh w={n} {rb.wall / ra.wall / rows_x:.2f}")
        lines.append(f"growth {a.size} -> {b.size} (rows x{rows_x:.2f}; seconds ratio / rows ratio, 1.0 = linear): " + ", ".join(parts))
    return "\n".join(lines)


def measure_refresh(sizes: Sequence[int], workers: Sequence[int], seed: int = 7, json_path: Path | None = None) -> int:
    """``amrit-anon bench refresh`` (``./run bench refresh``): the whole refresh against its I/O floor, per
    size and worker count, the table on stdout (progress on stderr), and as JSON in ``json_path`` when given."""
    import tempfile

    from amrit_assets.resources.embedded import embedded_dir

    workers = list(dict.fromkeys(workers))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="amrit-bench-refresh-", dir=embedded_dir()) as tmp:
        say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
        report = [bench_refresh_size(n, workers if i % 2 == 0 else workers[::-1], seed, Path(tmp), say) for i, n in enumerate(sizes)]
    print(format_refresh_report(report))
    if json_path:
        json_path.write_text(json.dumps([asdict(s) for s in report], indent=2) + "\n")
    return 0
