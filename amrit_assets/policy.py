"""What a refresh applies: the catalog and the anonymization key, loaded by the assets and checks that use them.

The settings resource only says where they are (``catalog_path``, ``anon_key`` bound to the
environment); it knows no policy. An asset or check loads them here and hands them to whatever
needs them (compiling, scanning, dumping), so a module that is handed a catalog cannot read another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dagster import Failure

from amrit_assets.catalog.model import Catalog, load_catalog
from amrit_assets.common.keys import AnonKeyError, check_key

if TYPE_CHECKING:
    from amrit_assets.resources.settings import RefreshSettings


class KeyMissing(Failure, AnonKeyError):
    """A missing or short key inside a run: Dagster shows a ``Failure`` as its one sentence; code outside
    Dagster catches it as the ``AnonKeyError`` it is."""


def catalog(settings: RefreshSettings) -> Catalog:
    """The catalog file the settings name, parsed (fails closed on a catalog that does not parse)."""
    return load_catalog(Path(settings.catalog_path))


def key(settings: RefreshSettings) -> bytes:
    """The anonymization key from the settings (``AMRIT_ANON_KEY``), refused when missing or too short."""
    try:
        return check_key(settings.anon_key)
    except AnonKeyError as e:
        raise KeyMissing(description=str(e)) from None
