"""Fake-value pools: realistic Indian names and street lines from Faker ``en_IN`` with a fixed seed.

Built once into the workspace schema; the compiled SQL picks an entry by keyed hash. ``alt`` is the
next entry, used when the picked one equals the original, so a replacement never equals it.
"""

from __future__ import annotations

from faker import Faker

from amrit_assets.common.kinds import WORK_DB
from amrit_assets.control import ensure, pool_table_ddl

POOL_SEED = 20240601
POOL_SIZE = 2000


def pool_values(seed: int = POOL_SEED, size: int = POOL_SIZE) -> dict[str, list[str]]:
    """Distinct values per pool, deterministic for a seed (same pools on every machine)."""
    fake = Faker("en_IN")
    fake.seed_instance(seed)

    def distinct(make, n: int) -> list[str]:
        seen: dict[str, None] = {}
        for _ in range(n * 20):
            seen.setdefault(make(), None)
            if len(seen) >= n:
                break
        return list(seen)

    first = distinct(fake.first_name, size)
    last = distinct(fake.last_name, size)
    full = distinct(lambda: f"{fake.first_name()} {fake.last_name()}", size)
    street = distinct(lambda: fake.street_address().replace("\n", ", "), size)
    return {"first_name": first, "last_name": last, "full_name": full, "street": street}


def build_pools(conn, seed: int = POOL_SEED, size: int = POOL_SIZE) -> dict[str, int]:
    """(Re)create the pool tables in the workspace schema; returns the size of each pool."""
    pools = pool_values(seed, size)
    with conn.cursor() as cur:
        ensure(cur, "pool_size")
        for name, values in pools.items():
            table = f"{WORK_DB}.pool_{name}"
            for statement in pool_table_ddl(name):
                cur.execute(statement)
            n = len(values)
            cur.executemany(f"INSERT INTO {table} (i, v, alt) VALUES (%s, %s, %s)", [(i, v, values[(i + 1) % n]) for i, v in enumerate(values)])
            cur.execute(f"REPLACE INTO {WORK_DB}.pool_size (pool, n) VALUES (%s, %s)", (name, n))
    return {name: len(v) for name, v in pools.items()}
