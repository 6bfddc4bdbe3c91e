"""Shared fixtures: real throwaway servers (never mocks), started once per module."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.swap import SwapReport, prepare_shadow, swap_prepared

if TYPE_CHECKING:
    from amrit_assets.demo.environment import DemoEnvironment

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


@contextlib.contextmanager
def instance_demo(data_dir: Path, beneficiaries: int, key: str, **environ: str) -> Iterator[tuple[DemoEnvironment, Path]]:
    """The demo environment with its own Dagster instance, for tests that run ``amrit-anon refresh`` as a DBA would.

    ``DAGSTER_HOME`` is a fresh instance under ``data_dir`` (telemetry off) that a second process can
    open, as the UI would; the key and ``environ`` are set, and what a CI machine or a developer's shell
    may carry (``JENKINS_URL``, another catalog, a migrations checkout) is removed, for the block only.
    Yields the environment and the instance's directory. The servers are stopped when the block ends.
    """
    from amrit_assets.demo.environment import demo_environment  # the generator's imports, only for the tests that use it

    home = data_dir / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv("AMRIT_ANON_KEY", key)
        for name, value in environ.items():
            mp.setenv(name, value)
        for name in ("JENKINS_URL", "AMRIT_CATALOG", "AMRIT_MIGRATIONS_DIR"):
            mp.delenv(name, raising=False)
        with demo_environment(beneficiaries=beneficiaries, data_dir=data_dir) as env:
            yield env, home


@pytest.fixture(scope="module")
def server() -> Iterator[ServerAddress]:
    with EmbeddedServer("test") as srv:
        yield srv.address


@pytest.fixture
def conn(server: ServerAddress):
    c = connect(server)
    yield c
    c.close()
