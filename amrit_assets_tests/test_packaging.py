"""Packaging: a plain install carries sql/, outputs are pinned, the lock matches, `dg check defs` passes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BIN = Path(sys.executable).parent


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_every_subpackage_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "amrit_assets").rglob("__init__.py") if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_what_determines_outputs_is_pinned_and_locked():
    deps = {re.split(r"[=<>]", d)[0].lower(): d for d in PYPROJECT["project"]["dependencies"]}
    # Faker's data is where the pseudonym pools come from; Dagster's three packages move together.
    for name in ("faker", "dagster", "dagster-webserver", "dagster-docker"):
        assert "==" in deps[name], f"{name} must be pinned exactly"
    lock = _lock()
    for name, spec in deps.items():
        if "==" in spec:
            assert lock[name] == spec.split("==")[1], f"requirements.lock disagrees with pyproject.toml on {name}"


def test_the_installed_environment_is_the_locked_one():
    out = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True).stdout
    installed = dict(line.lower().replace("_", "-").split("==") for line in out.splitlines() if "==" in line)
    lock = _lock()
    differ = {n: (v, installed.get(n)) for n, v in lock.items() if n in installed and installed[n] != v}
    assert differ == {}, "the venv differs from requirements.lock: ./run setup reinstalls with -c requirements.lock"


def test_a_plain_install_ships_sql(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    probe = "import amrit_assets.paths as p; print(p.SQL_DIR); assert (p.CATALOG_DIR / 'amrit.catalog').is_file()"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target)}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert Path(out.stdout.strip()).is_relative_to(target)
    assert (target / "amrit_assets" / "sql" / "schema" / "db_iemr.sql").is_file()


@pytest.mark.skipif(not (BIN / "dg").exists(), reason="dagster-dg-cli is in the test extras; ./run setup installs it")
def test_dg_check_defs():
    out = subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert "All definitions loaded successfully" in out.stdout + out.stderr
