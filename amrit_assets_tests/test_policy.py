"""The catalog and the key are loaded by the assets (through policy), never by the settings resource."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from amrit_assets import policy
from amrit_assets.catalog.model import CatalogError
from amrit_assets.common.keys import AnonKeyError
from amrit_assets.resources import settings as settings_module
from amrit_assets.resources.settings import RefreshSettings


def test_the_settings_resource_imports_no_policy():
    tree = ast.parse(Path(settings_module.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not [m for m in modules if m and m.startswith(("amrit_assets.catalog", "amrit_assets.anonymize", "amrit_assets.common.keys"))]


def test_policy_loads_the_named_catalog_and_checks_the_key(tmp_path):
    assert Path(policy.catalog(RefreshSettings()).source).name == "amrit.catalog"
    with pytest.raises(CatalogError, match="not found"):
        policy.catalog(RefreshSettings(catalog_path=str(tmp_path / "none.catalog")))
    assert policy.key(RefreshSettings(anon_key="k" * 32)) == b"k" * 32
    with pytest.raises(AnonKeyError, match="too short"):
        policy.key(RefreshSettings(anon_key="short"))
