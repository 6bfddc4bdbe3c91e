"""What ``amrit-anon generate`` runs: timings on a throwaway server, ``--explain`` a table, ``--derive-kinds``."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

from amrit_assets.demo.generator.base import KINDS_FILE, GenerationError
from amrit_assets.demo.generator.live_schema import fk_closure
from amrit_assets.demo.generator.plan import PLAN
from amrit_assets.demo.generator.run import _last_samples, generate, prepare
from amrit_assets.demo.generator.tables import generate_table
from amrit_assets.demo.generator.values import Filled
from amrit_assets.resources.mysql import ServerAddress


def derive_kinds(dictionary: Path, out: Path = KINDS_FILE) -> int:
    """Write ``column_kinds.tsv`` for the planned tables and their FK masters (development only).

    Reads the AMRIT data dictionary's pii_candidates.tsv, link_keys.tsv and foreign_keys.tsv; the
    generator itself only ever reads the file written here, so a fresh clone needs no dictionary.
    """

    def rows(name: str) -> list[dict[str, str]]:
        with (dictionary / name).open(newline="") as f:
            return list(csv.DictReader(f, delimiter="\t"))

    fks = {(r["db"], r["table"], r["column"]): (r["ref_db"], r["ref_table"], r["ref_column"]) for r in rows("foreign_keys.tsv")}
    tables = {(s.db, s.table) for s in PLAN} | set(fk_closure(PLAN, fks))
    kinds: dict[tuple[str, str, str], list[str]] = {}
    for r in rows("pii_candidates.tsv"):
        k = (r["db"], r["table"], r["column"])
        if (k[0], k[1]) in tables and k not in kinds:
            kinds[k] = [r["category"], ""]
    for r in rows("link_keys.tsv"):
        k = (r["db"], r["table"], r["column"])
        if (k[0], k[1]) in tables and r["object"] == "table":
            kinds.setdefault(k, ["", ""])[1] = r["key_kind"]
    with out.open("w", newline="") as f:
        wr = csv.writer(f, delimiter="\t", lineterminator="\n")
        wr.writerow(["db", "table", "column", "pii_category", "link_kind"])
        for (db, t, c), (p, lk) in sorted(kinds.items()):
            wr.writerow([db, t, c, p, lk])
    return len(kinds)


def explain(addr: ServerAddress, table: str) -> str:
    """How each column of a filled table ("db.table") is generated."""
    _world, ordered, schema, ctx, kinds = prepare(addr, 50, 7)
    lines = []
    for spec in ordered:
        info = schema[(spec.db, spec.table)]
        frame, values, how = generate_table(spec, info, ctx, kinds)
        ctx.filled[spec.name] = Filled(spec, info, frame, values)
        if spec.name == table:
            for c in info.columns:
                p, lk = kinds.get((spec.db, spec.table, c.lname), ("", ""))
                sample = values[c.name][0] if values.get(c.name) else ""
                lines.append(f"{c.name:32} {c.column_type:16} {p or lk or '-':20} {how[c.name]:32} {sample[:60]}")
            return "\n".join(lines)
    raise GenerationError(f"{table} is not filled by the generator")


def on_throwaway_server(beneficiaries: int = 1000, seed: int = 7, explain_table: str | None = None) -> str:
    """``amrit-anon generate``: the AMRIT schema on a throwaway server, then rows per table and timings
    for ``beneficiaries`` (or, with ``explain_table``, how each of its columns is generated)."""
    from amrit_assets.demo.schema import build_from_ddl
    from amrit_assets.resources.embedded import EmbeddedServer

    t0 = time.monotonic()
    with EmbeddedServer("generator", buffer_pool=os.environ.get("AMRIT_GEN_BUFFER_POOL", "512M")) as srv:
        assert srv.address is not None
        t1 = time.monotonic()
        build_from_ddl(srv.address)
        t2 = time.monotonic()
        if explain_table:
            return explain(srv.address, explain_table)
        rep = generate(srv.address, beneficiaries, seed)
        t3 = time.monotonic()
    lines = []
    for name in sorted(rep.rows):
        warn = f"  ({rep.warnings[name]} warnings: {'; '.join(_last_samples.get(name, []))[:200]})" if rep.warnings.get(name) else ""
        lines.append(f"{name:60} {rep.rows[name]:>9}{warn}")
    per_db: dict[str, int] = {}
    for name, n in rep.rows.items():
        per_db[name.split(".")[0]] = per_db.get(name.split(".")[0], 0) + n
    lines.append("-" * 70)
    for db, n in per_db.items():
        lines.append(f"{db:60} {n:>9}  ({sum(1 for k in rep.rows if k.startswith(db + '.'))} tables)")
    lines.append(
        f"{rep.total_rows} rows in {len(rep.rows)} tables for {rep.beneficiaries} beneficiaries "
        f"({rep.total_rows / rep.beneficiaries:.1f} per beneficiary); generate {rep.seconds:.2f}s, "
        f"server start {t1 - t0:.2f}s, schema {t2 - t1:.2f}s, total {t3 - t0:.2f}s; warnings {sum(rep.warnings.values())}"
    )
    return "\n".join(lines)
