"""Orchestration: the ordered plan with its masters, then each table generated and handed to the loader."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from amrit_assets.demo.generator.base import NULL, GenerationError, GenerationReport
from amrit_assets.demo.generator.live_schema import TableInfo, fk_closure, load_kinds, read_fks, read_schema
from amrit_assets.demo.generator.loading import Loader, _Job, _write_tsv
from amrit_assets.demo.generator.plan import PLAN, TableSpec
from amrit_assets.demo.generator.tables import generate_table
from amrit_assets.demo.generator.values import Ctx, Filled
from amrit_assets.demo.generator.world import World, build_world
from amrit_assets.resources.mysql import ServerAddress, connect


def _order(plan: Sequence[TableSpec], schema: dict[tuple[str, str], TableInfo]) -> list[TableSpec]:
    """Plan order, except that a table comes after the planned tables its FKs and copies depend on."""
    names = {s.name for s in plan}
    deps = {
        s.name: {f"{rdb}.{rt}" for (rdb, rt, _rc) in schema[(s.db, s.table)].fks.values()} & names - {s.name} | set(s.source)
        for s in plan
    }
    done: list[TableSpec] = []
    left = list(plan)
    while left:
        for s in left:
            if deps[s.name] <= {d.name for d in done}:
                done.append(s)
                left.remove(s)
                break
        else:
            raise GenerationError(f"circular dependencies among {[s.name for s in left]}")
    return done


def _staging_dir() -> Path:
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="amrit-gen-", dir=base))


def _databases(plan: Sequence[TableSpec]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.db for s in plan))


def prepare(addr: ServerAddress, beneficiaries: int, seed: int) -> tuple[World, list[TableSpec], dict[tuple[str, str], TableInfo], Ctx, dict]:
    """The world, the full ordered plan (with referenced masters first) and the live schema."""
    dbs = _databases(PLAN)
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            fks = read_fks(cur, dbs)
    finally:
        conn.close()
    masters = fk_closure(PLAN, fks)
    specs = [TableSpec(db, t, "master") for db, t in masters] + list(PLAN)
    schema = read_schema(addr, {(s.db, s.table) for s in specs}, dbs)
    world = build_world(beneficiaries, seed)
    ordered = [s for s in specs if s.driver == "master"] + _order(PLAN, schema)
    db_keys = {
        "ben": [str(i + 1) for i in range(world.bens.n)] + [NULL],
        "ben1097": [NULL] * world.bens.n + [NULL],
    }
    for k, i in enumerate(world.ben1097):
        db_keys["ben1097"][i] = str(k + 1)
    ctx = Ctx(world, world.rng, {}, db_keys)
    return world, ordered, schema, ctx, load_kinds()


def generate(addr: ServerAddress, beneficiaries: int, seed: int = 7) -> GenerationReport:
    """Fill the (empty) AMRIT schema on ``addr`` with linked synthetic data; same inputs, same data."""
    t0 = time.monotonic()
    _check_empty(addr)
    world, ordered, schema, ctx, kinds = prepare(addr, beneficiaries, seed)
    keep = {src for s in ordered for src in s.source}
    # Only tables a later FK or copy reads stay in ctx.filled (their frames); the others are dropped.
    referenced = keep | {f"{rdb}.{rt}" for s in ordered for (rdb, rt, _rc) in schema[(s.db, s.table)].fks.values()}
    staging = _staging_dir()
    loader = Loader(addr)
    rows: dict[str, int] = {}
    try:
        for spec in ordered:
            info = schema[(spec.db, spec.table)]
            frame, values, _how = generate_table(spec, info, ctx, kinds)
            path = staging / f"{spec.db}.{spec.table}.tsv"
            if spec.name in referenced:
                ctx.filled[spec.name] = Filled(spec, info, frame, None, path if frame.n and spec.name in keep else None)
            rows[spec.name] = frame.n
            if frame.n:
                _write_tsv(path, info.columns, values)
                loader.submit(_Job(spec.db, spec.table, info.columns, path, frame.n, keep=spec.name in keep))
            del values  # the next table is generated without this one's values in memory
    finally:
        try:
            loader.close()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _last_samples.clear()
    _last_samples.update(loader.samples)
    return GenerationReport(rows, beneficiaries, round(time.monotonic() - t0, 3), dict(loader.warnings))


_last_samples: dict[str, list[str]] = {}  # warning texts of the last run, for the CLI


def _check_empty(addr: ServerAddress) -> None:
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM db_identity.m_beneficiaryregidmapping")
            if cur.fetchone()[0]:
                raise GenerationError("db_identity.m_beneficiaryregidmapping is not empty: generate() fills an empty schema")
    finally:
        conn.close()
