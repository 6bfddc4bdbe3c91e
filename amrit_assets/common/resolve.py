"""Resolve the live schema against the catalog, failing closed on any unresolved column."""

from __future__ import annotations

from collections.abc import Iterable

from amrit_assets.catalog.coverage import CoverageError, check_coverage, columns_from_server
from amrit_assets.catalog.model import Catalog, Resolution


def resolve_live(conn, catalog: Catalog, databases: Iterable[str]) -> list[Resolution]:
    report = check_coverage(catalog, columns_from_server(conn, list(databases)))
    if report.unresolved:
        raise CoverageError(report)
    return report.resolved
