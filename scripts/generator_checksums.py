"""Fingerprint the demo generator's output: CHECKSUM TABLE of every table of the four databases.

Why: refactoring the generator must not change a single generated value. Run this before and
after a change and diff the two files (identical = no behaviour change):

    .venv/bin/python scripts/generator_checksums.py --beneficiaries 300 --seed 7 --out /tmp/before.tsv
    ... change the generator ...
    .venv/bin/python scripts/generator_checksums.py --beneficiaries 300 --seed 7 --out /tmp/after.tsv
    diff /tmp/before.tsv /tmp/after.tsv

The generation runs in a child process under ``/usr/bin/time -v`` (when installed), so the peak
RSS printed is the generator's own Python process, not the server's. ``--no-checksum`` skips the
checksums (memory measurements at sizes where only the RSS matters).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from amrit_assets.demo.schema import build_from_ddl
from amrit_assets.partitions import DATABASES
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect

# flyway_schema_history.installed_on is NOW() at schema build: the only value not from the seed.
FIXED_TIMESTAMP = "2000-01-01 00:00:00"


def checksums(addr: ServerAddress) -> list[tuple[str, str, int, str]]:
    """(db, table, rows, checksum) for every base table, in name order."""
    out = []
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            for db in DATABASES:
                cur.execute(f"UPDATE `{db}`.flyway_schema_history SET installed_on = %s", (FIXED_TIMESTAMP,))
                cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                    " AND table_type = 'BASE TABLE' ORDER BY table_name",
                    (db,),
                )
                for (table,) in cur.fetchall():
                    cur.execute(f"SELECT COUNT(*) FROM `{db}`.`{table}`")
                    rows = int(cur.fetchone()[0])
                    cur.execute(f"CHECKSUM TABLE `{db}`.`{table}`")
                    out.append((db, table, rows, str(cur.fetchone()[1])))
    finally:
        conn.close()
    return out


def generate_child(address: str, beneficiaries: int, seed: int) -> None:
    """The measured part: one generate() call in this (child) process."""
    from amrit_assets.demo.generator import generate

    rep = generate(ServerAddress(**json.loads(address)), beneficiaries, seed)
    print(f"generated {rep.total_rows} rows in {len(rep.rows)} tables in {rep.seconds:.1f}s; warnings {sum(rep.warnings.values())}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beneficiaries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help="write db<TAB>table<TAB>rows<TAB>checksum lines here")
    ap.add_argument("--no-checksum", action="store_true")
    ap.add_argument("--child", metavar="ADDRESS_JSON", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        generate_child(args.child, args.beneficiaries, args.seed)
        return 0
    with EmbeddedServer("genchk", buffer_pool=os.environ.get("AMRIT_GEN_BUFFER_POOL", "512M")) as srv:
        assert srv.address is not None
        build_from_ddl(srv.address)
        cmd = [sys.executable, __file__, "--child", json.dumps(dataclasses.asdict(srv.address)),
               "--beneficiaries", str(args.beneficiaries), "--seed", str(args.seed)]  # fmt: skip
        if os.path.exists("/usr/bin/time"):
            cmd = ["/usr/bin/time", "-v", *cmd]
        t0 = time.monotonic()
        res = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(res.stdout)
        if res.returncode != 0:
            sys.stderr.write(res.stderr[-5000:])
            return res.returncode
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
        print(f"wall {time.monotonic() - t0:.1f}s; peak RSS of the generator: {int(rss.group(1)) / 1024:.0f} MiB" if rss else "no /usr/bin/time")
        if args.no_checksum:
            return 0
        sums = checksums(srv.address)
    text = "".join(f"{db}\t{t}\t{n}\t{c}\n" for db, t, n, c in sums)
    if args.out:
        args.out.write_text(text)
    print(f"{len(sums)} tables, {sum(n for _, _, n, _ in sums)} rows, {sum(1 for s in sums if s[2])} non-empty")
    return 0


if __name__ == "__main__":
    sys.exit(main())
