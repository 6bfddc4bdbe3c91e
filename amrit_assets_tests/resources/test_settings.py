"""Settings read from the environment: AMRIT_PARALLELISM."""

from __future__ import annotations

import os

import pytest

from amrit_assets.resources import build_resources
from amrit_assets.resources.settings import RefreshSettings, parallelism


def test_parallelism_defaults_to_the_cores_and_takes_a_whole_number():
    assert parallelism(None) == parallelism("") == parallelism(" ") == max(1, os.cpu_count() or 1)
    assert parallelism("3") == 3 and parallelism(1) == 1


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_parallelism_refuses_what_is_not_one_or_more(bad):
    with pytest.raises(ValueError, match="AMRIT_PARALLELISM"):
        parallelism(bad)


def test_the_refresh_settings_take_it_from_the_environment(monkeypatch):
    monkeypatch.setenv("AMRIT_PARALLELISM", "5")
    assert build_resources()["settings"].workers() == 5
    monkeypatch.delenv("AMRIT_PARALLELISM")
    assert build_resources()["settings"].workers() == max(1, os.cpu_count() or 1)
    assert RefreshSettings(parallelism=2).workers() == 2
