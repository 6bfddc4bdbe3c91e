"""Shared fixtures: real throwaway servers (never mocks), started once per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect

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


@pytest.fixture(scope="module")
def server() -> Iterator[ServerAddress]:
    with EmbeddedServer("test") as srv:
        yield srv.address


@pytest.fixture
def conn(server: ServerAddress):
    c = connect(server)
    yield c
    c.close()
