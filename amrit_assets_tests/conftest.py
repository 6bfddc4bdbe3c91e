"""Shared fixtures: real throwaway servers (never mocks), started once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect

TEST_KEY = "test-key-0123456789abcdef"  # a test fixture, not a secret


@pytest.fixture(scope="module")
def server() -> Iterator[ServerAddress]:
    with EmbeddedServer("test") as srv:
        yield srv.address


@pytest.fixture
def conn(server: ServerAddress):
    c = connect(server)
    yield c
    c.close()
