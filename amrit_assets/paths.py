"""Where the project's own files live: the repository's sql/ folder, or its copy inside the package.

In a checkout (and an editable install) the repository's ``sql/`` is read directly, so an edit to
the catalog takes effect at once; a plain ``pip install .`` ships the same folder as package data
(``amrit_assets/sql``, see pyproject.toml).
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
SQL_DIR = ROOT / "sql" if (ROOT / "sql" / "catalog").is_dir() else PACKAGE / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
CATALOG_DIR = SQL_DIR / "catalog"
