"""Refresh settings: where files go, where the catalog is, and the secret key (from the environment).

Only places and values: loading the catalog and checking the key is ``amrit_assets.policy``'s, which
the assets and checks call; the servers' side knows no policy.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from amrit_assets.paths import CATALOG_DIR


DEFAULT_RAW_RETENTION_HOURS = 24.0
RETENTION_ENV = "AMRIT_RAW_DUMP_RETENTION_HOURS"


def retention_hours(value: str | float | None) -> float:
    """Hours raw dumps (PII) may stay on disk; 0 = until staging has restored them."""
    if value is None or str(value).strip() == "":
        return DEFAULT_RAW_RETENTION_HOURS
    try:
        hours = float(value)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV}={value!r} is not a number of hours (e.g. 24, or 0 to delete after staging)") from None
    if not hours >= 0:
        raise ValueError(f"{RETENTION_ENV}={value!r} must be 0 or more hours")
    return hours


PARALLELISM_ENV = "AMRIT_PARALLELISM"


def parallelism(value: str | int | None) -> int:
    """Connections a step may use at once on one server (per-table work); default: the machine's cores."""
    if value is None or str(value).strip() == "":
        return max(1, os.cpu_count() or 1)
    try:
        workers = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{PARALLELISM_ENV}={value!r} is not a whole number of connections (e.g. 4)") from None
    if workers < 1:
        raise ValueError(f"{PARALLELISM_ENV}={value!r} must be 1 or more")
    return workers


class RefreshSettings(ConfigurableResource):
    """``anon_key`` is bound to ``EnvVar("AMRIT_ANON_KEY")``: never in code, config files or metadata."""

    data_dir: str = ".amrit_data"
    catalog_path: str = str(CATALOG_DIR / "amrit.catalog")
    anon_key: str = ""
    uat_credential: str = ""
    raw_dump_retention_hours: float = DEFAULT_RAW_RETENTION_HOURS
    parallelism: int = 0  # 0: the machine's cores (``workers()``)

    def dump_path(self, kind: str, db: str) -> Path:
        return Path(self.data_dir).resolve() / kind / f"{db}.sql"

    def raw_dump_path(self, db: str) -> Path:
        """Raw dumps hold PII, so they are only ever written encrypted (``<db>.sql.enc``)."""
        return self.dump_path("raw", db).with_name(f"{db}.sql.enc")

    def raw_retention_hours(self) -> float:
        return retention_hours(self.raw_dump_retention_hours)

    def workers(self) -> int:
        """How many connections per-table work runs on (``AMRIT_PARALLELISM``, else the cores)."""
        return parallelism(self.parallelism or None)
