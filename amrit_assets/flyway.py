"""Flyway conventions: ``V<version>__<description>.sql`` files, versions compared numerically."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MIGRATION_NAME = re.compile(r"^V(?P<version>\d+(?:[._]\d+)*)__(?P<desc>.+)\.sql$")


def parse_version(text: str) -> tuple[int, ...]:
    """Flyway compares versions numerically part by part: 10 comes after 9, 1.10 after 1.9."""
    return tuple(int(p) for p in re.split(r"[._]", text))


def is_numeric_version(text: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:[._]\d+)*", text))


@dataclass(frozen=True, order=True)
class Migration:
    version: tuple[int, ...]
    path: Path

    @property
    def version_text(self) -> str:
        return ".".join(str(v) for v in self.version)

    @property
    def description(self) -> str:
        m = MIGRATION_NAME.match(self.path.name)
        return m.group("desc").replace("_", " ") if m else self.path.stem


def list_migrations(folder: Path) -> list[Migration]:
    """The folder's migrations in the order Flyway applies them."""
    found = []
    for p in folder.glob("V*__*.sql"):
        m = MIGRATION_NAME.match(p.name)
        if m:
            found.append(Migration(parse_version(m.group("version")), p))
    return sorted(found)
