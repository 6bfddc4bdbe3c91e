import os

import pytest

from amrit_assets.resources import build_resources
from amrit_assets.resources.settings import parallelism


def test_parallelism_defaults_to_the_cores_and_names_a_bad_value(monkeypatch):
    assert parallelism(None) == parallelism("") == max(1, os.cpu_count() or 1)
    assert parallelism("3") == 3
    for bad in ("two", "0", "-1"):
        with pytest.raises(ValueError, match="AMRIT_PARALLELISM"):
            parallelism(bad)
    monkeypatch.setenv("AMRIT_PARALLELISM", "1")
    assert build_resources()["settings"].parallelism == 1
