"""The workspace's control schema (``amrit_anon``): every table the refresh keeps beside the staged data.

One place for their definitions, so a column added for one stage is seen by every stage that reads
the table. The schema lives on the workspace server only and is never dumped. ``ddl(...)`` gives the
statements that create the named tables (and the schema); tables rebuilt on every run are dropped
first, so a workspace left by an earlier version gets the current columns.
"""

from __future__ import annotations

from amrit_assets.common.kinds import WORK_DB

_UTF8_BIN = " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

TABLES: dict[str, str] = {
    # assets/state.py: staged (original) or anonymized, per database
    "stage_state": "(db VARCHAR(64) PRIMARY KEY, staged_run VARCHAR(64) NOT NULL,"
    " anonymized_run VARCHAR(64) NULL, updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    # checks/integrity.py: the ids a reference may resolve to, and the counts staging recorded
    "registry": "(kind VARCHAR(16) NOT NULL, new_id BIGINT UNSIGNED NOT NULL, PRIMARY KEY (kind, new_id))",
    "baseline": "(db VARCHAR(64) NOT NULL, tbl VARCHAR(64) NOT NULL, what VARCHAR(200) NOT NULL,"
    " n BIGINT NOT NULL, PRIMARY KEY (db, tbl, what))",
    # checks/fingerprints.py: keyed fingerprints of the originals
    "fp_value": "(h BINARY(16) NOT NULL PRIMARY KEY)",
    "fp_token": "(t VARBINARY(16) NOT NULL PRIMARY KEY, n BIGINT NOT NULL)",
    # anonymize/maps.py: the id bijection and the value maps, and the packed pools the strategies slice
    "id_map": "(kind VARCHAR(16) NOT NULL, old_id BIGINT UNSIGNED NOT NULL,"
    " new_id BIGINT UNSIGNED NOT NULL, park TINYINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY (kind, old_id), UNIQUE KEY uk_new (kind, new_id))",
    "value_map": "(kind VARCHAR(16) NOT NULL, orig VARCHAR(700) NOT NULL,"
    " repl VARCHAR(700) NOT NULL, PRIMARY KEY (kind, orig), UNIQUE KEY uk_repl (kind, repl))" + _UTF8_BIN,
    "pool_packed": "(pool VARCHAR(32) NOT NULL PRIMARY KEY, n INT NOT NULL, w INT NOT NULL, packed LONGBLOB NOT NULL)",
    # anonymize/pools.py: the size of each fake-value pool (the pools are ``pool_<name>``, POOL_COLUMNS)
    "pool_size": "(pool VARCHAR(32) PRIMARY KEY, n INT NOT NULL)",
    # anonymize/freetext.py: every person's name token (and kept place words), for free text
    "name_token": "(token VARCHAR(64) NOT NULL PRIMARY KEY,"
    " is_name TINYINT NOT NULL DEFAULT 0, is_place TINYINT NOT NULL DEFAULT 0)" + _UTF8_BIN,
}
# Rebuilt on every run: an id_map from an earlier version has no ``park``; the dictionary is per refresh.
RECREATED = frozenset({"id_map", "name_token"})
POOL_COLUMNS = "(i INT PRIMARY KEY, v VARCHAR(200) NOT NULL, alt VARCHAR(200) NOT NULL) DEFAULT CHARSET=utf8mb4"


def ddl(*tables: str) -> tuple[str, ...]:
    """The statements that create the schema and the named tables, in order."""
    out = [f"CREATE DATABASE IF NOT EXISTS {WORK_DB}"]
    for name in tables:
        if name in RECREATED:
            out += [f"DROP TABLE IF EXISTS {WORK_DB}.{name}", f"CREATE TABLE {WORK_DB}.{name} {TABLES[name]}"]
        else:
            out.append(f"CREATE TABLE IF NOT EXISTS {WORK_DB}.{name} {TABLES[name]}")
    return tuple(out)


def ensure(cur, *tables: str) -> None:
    """Create the schema and the named tables on this cursor's server (see ``ddl``)."""
    for statement in ddl(*tables):
        cur.execute(statement)


def pool_table_ddl(name: str) -> tuple[str, str]:
    """The statements that recreate one fake-value pool table, ``pool_<name>``."""
    table = f"{WORK_DB}.pool_{name}"
    return f"DROP TABLE IF EXISTS {table}", f"CREATE TABLE {table} {POOL_COLUMNS}"
