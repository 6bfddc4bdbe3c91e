"""Shared fixtures: real throwaway servers (never mocks), started once per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.swap import SwapReport, prepare_shadow, swap_prepared

TEST_KEY = "test-key-0123456789abcdef"  # a test fixture, not a secret

# Demos in tests use one fixed key, so a run is reproducible from its seed and key: the pseudonyms (and
# so any coincidence the leak check has to judge) are the same on every machine. Tests of a missing key
# remove it themselves; fresh random keys are `./run demo`'s job (it draws one when the variable is unset).
os.environ.setdefault("AMRIT_ANON_KEY", "tests-fixed-anonymization-key-0123456789")


def checksum(addr: ServerAddress, db: str) -> tuple:
    """What a database holds: its tables and CHECKSUM TABLE of each (empty if it does not exist)."""
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name", (db,))
        tables = [r[0] for r in cur.fetchall()]
        sums = []
        for t in tables:
            cur.execute(f"CHECKSUM TABLE `{db}`.`{t}`")
            sums.append((t, cur.fetchone()[1]))
    conn.close()
    return tuple(sums)


def prepare_and_swap(addr: ServerAddress, db: str, dump, expected_rows: dict[str, int], restore, checkpoint=lambda _: None) -> tuple[SwapReport, SwapReport]:
    """What ``uat[db]`` and then ``uat_swap`` do for one database: the shadow restored and verified, then swapped in."""
    prepared = prepare_shadow(addr, db, dump, expected_rows, restore, checkpoint)
    return prepared, swap_prepared(addr, {db: prepared.shadow}, checkpoint)[db]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerAddress]:
    with EmbeddedServer("test") as srv:
        yield srv.address


@pytest.fixture
def conn(server: ServerAddress):
    c = connect(server)
    yield c
    c.close()
