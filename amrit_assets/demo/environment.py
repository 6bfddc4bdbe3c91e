"""The embedded default: throwaway "production", workspace and UAT servers with synthetic AMRIT data.

``demo_environment`` starts the three servers, builds the four AMRIT databases in "production"
and fills them, points the resources at them through the same ``AMRIT_*`` variables a real
deployment uses, and always stops and removes the servers when it exits (also on failure).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from amrit_assets.demo.generator import GenerationReport, generate
from amrit_assets.demo.objects import install_objects, run_production_day
from amrit_assets.demo.schema import build_from_ddl, build_from_migrations
from amrit_assets.resources import ROLES
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress


@dataclass
class DemoEnvironment:
    servers: dict[str, ServerAddress]
    data_dir: Path
    generation: GenerationReport
    generated_key: bool

    def env(self) -> dict[str, str]:
        out = {"AMRIT_DATA_DIR": str(self.data_dir)}
        for role in ROLES:
            out.update(self.servers[role].env(role))
        return out


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def demo_environment(beneficiaries: int, data_dir: Path, seed: int = 7, migrations: Path | None = None) -> Iterator[DemoEnvironment]:
    """Servers up, production filled, environment set; everything torn down on exit.

    ``migrations``: an AMRIT-DB checkout whose Flyway migrations build production (views, procedures,
    triggers and events as AMRIT has them) instead of the carried DDL and the demo's own objects (sql/demo/objects); the generator reads whichever schema is live.
    """
    with contextlib.ExitStack() as stack:
        servers = {role: stack.enter_context(EmbeddedServer(role)).address for role in ROLES}
        if migrations is not None:
            build_from_migrations(servers["source"], migrations)
        else:
            build_from_ddl(servers["source"])
        report = generate(servers["source"], beneficiaries, seed)
        if migrations is None:  # AMRIT-DB's migrations carry their own objects
            install_objects(servers["source"])  # views, procedures, triggers, events: after the data, as in production
            run_production_day(servers["source"])  # edits the audit triggers record, and the nightly loads into db_reporting
        generated_key = not os.environ.get("AMRIT_ANON_KEY")
        extra = {"AMRIT_ANON_KEY": secrets.token_hex(32)} if generated_key else {}
        demo = DemoEnvironment(servers, data_dir, report, generated_key)
        stack.enter_context(patched_environ({**demo.env(), **extra}))
        yield demo
