"""The workspace's control schema, created on a real server: every table, rebuilt ones emptied, kept ones kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amrit_assets.common.kinds import WORK_DB
from amrit_assets.control import RECREATED, TABLES, ensure, pool_table_ddl

pytestmark = pytest.mark.integration


def _tables(cur) -> set[str]:
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (WORK_DB,))
    return {r[0] for r in cur.fetchall()}


def test_every_table_is_created_and_only_the_rebuilt_ones_lose_their_rows(conn):
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {WORK_DB}")
        ensure(cur, *TABLES)
        assert _tables(cur) == set(TABLES)
        cur.execute(f"INSERT INTO {WORK_DB}.id_map (kind, old_id, new_id) VALUES ('benregid', 1, 2)")
        cur.execute(f"INSERT INTO {WORK_DB}.value_map (kind, orig, repl) VALUES ('phone', 'a', 'b')")
        ensure(cur, "id_map", "value_map")
        cur.execute(f"SELECT (SELECT COUNT(*) FROM {WORK_DB}.id_map), (SELECT COUNT(*) FROM {WORK_DB}.value_map)")
        assert cur.fetchone() == (0, 1)
        for statement in pool_table_ddl("first_name"):
            cur.execute(statement)
        assert "pool_first_name" in _tables(cur)
        cur.execute(f"DROP DATABASE {WORK_DB}")
    assert RECREATED <= set(TABLES)


def test_no_other_module_creates_a_control_table():
    """CREATE TABLE in the workspace schema is written here only (session TEMPORARY tables aside)."""
    create = re.compile(r"CREATE TABLE (IF NOT EXISTS )?\{WORK_DB\}")
    package = Path(__file__).resolve().parents[1] / "amrit_assets"
    found = [str(p.relative_to(package)) for p in package.rglob("*.py") if create.search(p.read_text()) and p.name != "control.py"]
    assert found == []
