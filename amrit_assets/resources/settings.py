"""Refresh settings: where files go, which catalog applies, and the secret key (from the environment)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from amrit_assets.anonymize.keys import check_key
from amrit_assets.catalog.model import Catalog, load_catalog
from amrit_assets.paths import CATALOG_DIR


class RefreshSettings(ConfigurableResource):
    """``anon_key`` is bound to ``EnvVar("AMRIT_ANON_KEY")``: never in code, config files or metadata."""

    data_dir: str = ".amrit_data"
    catalog_path: str = str(CATALOG_DIR / "amrit.catalog")
    anon_key: str = ""
    uat_credential: str = ""

    def key(self) -> bytes:
        return check_key(self.anon_key)

    def catalog(self) -> Catalog:
        return load_catalog(Path(self.catalog_path))

    def dump_path(self, kind: str, db: str) -> Path:
        return Path(self.data_dir).resolve() / kind / f"{db}.sql"
