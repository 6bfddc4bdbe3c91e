"""Where the project's own files live (the repository's sql/ folder)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
CATALOG_DIR = SQL_DIR / "catalog"
