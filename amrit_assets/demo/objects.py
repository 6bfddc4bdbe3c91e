"""The demo production's views, procedures, triggers and events, under a production DEFINER.

AMRIT's production carries views across databases, hundreds of procedures, audit triggers and the
daily events that fill ``db_reporting`` from ``db_iemr`` and ``db_identity``; the DDL the demo
builds from (``sql/schema``) carries none of them. Without them a demo refresh would never dump,
restore, rewrite or swap such objects, nor anonymize personal data a procedure copied. The demo's
own, written in AMRIT's style (not AMRIT-DB's code), are in ``sql/demo/objects/``:

* ``definer.sql``: the locked production account every object names as DEFINER;
* ``<db>.sql``: the objects of each database (views that replace typed-NULL ones keep their columns,
  so the catalog and the schema gate see the same columns as before);
* ``production_day.sql``: a few application edits (which the audit triggers record) and one run of
  the nightly loads, so ``db_reporting`` holds personal data its procedures copied.
"""

from __future__ import annotations

from amrit_assets.demo.schema import run_sql_file
from amrit_assets.paths import SQL_DIR
from amrit_assets.resources.mysql import ServerAddress, connect

OBJECTS_DIR = SQL_DIR / "demo" / "objects"
DEFINER = "`amrit_prod`@`%`"
# Every file's tables exist once the DDL ran, so the order only follows the reading direction.
OBJECT_DATABASES = ("db_iemr", "db_identity", "db_1097_identity", "db_reporting")
# The procedures production_day.sql calls, and the fact tables they fill.
LOADS = {
    "SP_Refresh_Fact_ChildValidRecord": "fact_childvalidrecord",
    "SP_Refresh_Fact_1097CallSummary": "fact_1097callsummary",
}


def install_objects(addr: ServerAddress) -> None:
    """Create the production account, then every database's objects (after the data: triggers fire on edits only)."""
    run_sql_file(addr, "mysql", OBJECTS_DIR / "definer.sql")
    for db in OBJECT_DATABASES:
        path = OBJECTS_DIR / f"{db}.sql"
        if path.exists():
            run_sql_file(addr, db, path)


def run_production_day(addr: ServerAddress) -> dict[str, int]:
    """The day's edits and the night's loads; returns the rows each loaded fact table holds."""
    run_sql_file(addr, "db_reporting", OBJECTS_DIR / "production_day.sql")
    conn = connect(addr, "db_reporting")
    try:
        with conn.cursor() as cur:
            out = {}
            for table in LOADS.values():
                cur.execute(f"SELECT COUNT(*) FROM `{table}`")
                out[table] = int(cur.fetchone()[0])
            return out
    finally:
        conn.close()
