"""Refresh settings: where files go, which catalog applies, and the secret key (from the environment)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource, Failure

from amrit_assets.common.keys import AnonKeyError, check_key
from amrit_assets.catalog.model import Catalog, load_catalog
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


class KeyMissing(Failure, AnonKeyError):
    """A missing or short key inside a run: Dagster shows a ``Failure`` as its one sentence; code outside
    Dagster catches it as the ``AnonKeyError`` it is."""


class RefreshSettings(ConfigurableResource):
    """``anon_key`` is bound to ``EnvVar("AMRIT_ANON_KEY")``: never in code, config files or metadata."""

    data_dir: str = ".amrit_data"
    catalog_path: str = str(CATALOG_DIR / "amrit.catalog")
    anon_key: str = ""
    uat_credential: str = ""
    raw_dump_retention_hours: float = DEFAULT_RAW_RETENTION_HOURS

    def key(self) -> bytes:
        try:
            return check_key(self.anon_key)
        except AnonKeyError as e:
            raise KeyMissing(description=str(e)) from None

    def catalog(self) -> Catalog:
        return load_catalog(Path(self.catalog_path))

    def dump_path(self, kind: str, db: str) -> Path:
        return Path(self.data_dir).resolve() / kind / f"{db}.sql"

    def raw_dump_path(self, db: str) -> Path:
        """Raw dumps hold PII, so they are only ever written encrypted (``<db>.sql.enc``)."""
        return self.dump_path("raw", db).with_name(f"{db}.sql.enc")

    def raw_retention_hours(self) -> float:
        return retention_hours(self.raw_dump_retention_hours)
