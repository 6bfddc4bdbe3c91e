"""The demo production's views, procedures, triggers and events, carried by a whole refresh into UAT.

One small demo (real servers, generated data, the objects of ``sql/demo/objects``), one whole refresh;
then UAT's objects are compared with production's, a load procedure is CALLed on UAT, and the leak
check is shown to have passed on data that db_reporting got from procedures.
"""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from amrit_assets.catalog.coverage import columns_from_ddl, columns_from_server
from amrit_assets.checks.guard import require_checks_passed
from amrit_assets.demo.environment import demo_environment
from amrit_assets.demo.objects import LOADS
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import SCHEMA_DIR
from amrit_assets.refresh import run_refresh
from amrit_assets.resources import build_resources
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.portable import with_event_status
from amrit_assets.resources.swap import definitions

pytestmark = pytest.mark.integration

KINDS = ("VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT")
PRODUCTION_DEFINER = "amrit_prod@%"


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("objects")
    with demo_environment(beneficiaries=120, data_dir=data_dir) as demo:
        with DagsterInstance.ephemeral() as instance:
            run_refresh(instance, build_resources())
            src, uat = connect(demo.servers["source"]), connect(demo.servers["uat"])
            try:
                yield demo, instance, src, uat
            finally:
                src.close()
                uat.close()


def _rows(conn, sql: str, args: tuple = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def _objects(conn, db: str) -> dict[str, dict[str, dict]]:
    with conn.cursor() as cur:
        return {kind: {item["name"]: item for item in items} for kind, items in definitions(cur, db, KINDS).items()}


def test_production_has_every_kind_of_object_under_the_production_definer(refreshed):
    _, _, src, _ = refreshed
    found = _rows(
        src,
        "SELECT 'VIEW', table_schema, table_name, definer FROM information_schema.views WHERE definer = %s"
        " UNION ALL SELECT routine_type, routine_schema, routine_name, definer FROM information_schema.routines WHERE definer = %s"
        " UNION ALL SELECT 'TRIGGER', trigger_schema, trigger_name, definer FROM information_schema.triggers WHERE definer = %s"
        " UNION ALL SELECT 'EVENT', event_schema, event_name, definer FROM information_schema.events WHERE definer = %s",
        (PRODUCTION_DEFINER,) * 4,
    )
    kinds = {(kind, db) for kind, db, _, _ in found}
    assert {("VIEW", "db_1097_identity"), ("VIEW", "db_reporting"), ("PROCEDURE", "db_reporting"), ("EVENT", "db_reporting")} <= kinds
    assert {("TRIGGER", "db_identity"), ("TRIGGER", "db_iemr")} <= kinds
    assert set(LOADS) <= {name for kind, _, name, _ in found if kind == "PROCEDURE"}
    # the views read another database
    for db, view in _rows(src, "SELECT table_schema, table_name FROM information_schema.views WHERE definer = %s", (PRODUCTION_DEFINER,)):
        text = _rows(src, "SELECT view_definition FROM information_schema.views WHERE table_schema = %s AND table_name = %s", (db, view))[0][0]
        assert any(f"`{other}`." in text for other in DATABASES if other != db), f"{db}.{view} reads no other database"
    # the daily events, enabled, calling the loads
    events = _rows(src, "SELECT event_name, status, interval_value, interval_field, event_definition FROM information_schema.events WHERE event_schema = 'db_reporting'")
    assert len(events) >= 2 and all(status == "ENABLED" and (n, f) == ("1", "DAY") for _, status, n, f, _ in events)
    assert {p for p in LOADS if any(p in e[4] for e in events)} == set(LOADS)


def test_the_loads_ran_in_production_and_the_audit_triggers_recorded_the_edits(refreshed):
    _, _, src, _ = refreshed
    for procedure, table in LOADS.items():
        n = _rows(src, f"SELECT COUNT(*) FROM db_reporting.`{table}` WHERE LoadedBy = %s", (procedure,))[0][0]
        assert n > 0, f"{procedure} copied nothing into {table}"
        done = _rows(src, "SELECT COUNT(*) FROM db_reporting.scheduler_status WHERE proc_name = %s AND status = 'completed'", (procedure,))[0][0]
        assert done == 1
    # personal data copied across databases: the child register's names and the callers' phones
    copied = _rows(
        src,
        "SELECT COUNT(*) FROM db_reporting.fact_childvalidrecord f JOIN db_iemr.t_childvaliddata c ON c.RowID = f.RowID"
        " WHERE f.Child_Name = c.Child_Name AND f.Phone_No <=> c.Phone_No AND f.District_Name <=> c.District_Name",
    )[0][0]
    assert copied == _rows(src, "SELECT COUNT(*) FROM db_iemr.t_childvaliddata")[0][0]
    phones = _rows(
        src,
        "SELECT COUNT(*) FROM db_reporting.fact_1097callsummary f JOIN db_identity.i_beneficiarymapping m ON m.BenRegId = f.BeneficiaryRegID"
        " JOIN db_identity.i_beneficiarycontacts c ON c.BenContactsID = m.BenContactsId WHERE f.PhoneNo = c.PreferredPhoneNum",
    )[0][0]
    assert phones > 0
    # the day's edits went through the audit triggers: the old rows are in the history tables
    assert _rows(src, "SELECT COUNT(*) FROM db_identity.i_beneficiarycontacts_bkp_24092019 WHERE ModifiedBy = 'registrar'")[0][0] > 0
    assert _rows(src, "SELECT COUNT(*) FROM db_iemr.i_ben_flow_outreach_bkp_04052022 WHERE modified_by = 'registrar'")[0][0] > 0


def test_views_keep_the_columns_the_catalog_was_verified_on(refreshed):
    _, _, src, _ = refreshed
    def view_columns(columns) -> dict[tuple[str, str], list[str]]:
        out: dict[tuple[str, str], list[str]] = {}
        for c in columns:
            if c.is_view:
                out.setdefault((c.db, c.table), []).append(c.column)
        return out

    # the real views replace typed-NULL ones column for column: the catalog resolves the same columns
    assert view_columns(columns_from_server(src, list(DATABASES))) == view_columns(columns_from_ddl(SCHEMA_DIR, list(DATABASES)))


def test_uat_objects_equal_production_with_events_as_production_had_them(refreshed):
    _, _, src, uat = refreshed
    compared = 0
    for db in DATABASES:
        prod, there = _objects(src, db), _objects(uat, db)
        for kind in KINDS:
            assert sorted(there[kind]) == sorted(prod[kind]), f"{db} {kind}"
            for name, item in prod[kind].items():
                mine, theirs = item["sql"], there[kind][name]["sql"]
                if kind == "EVENT":
                    # the shadow gets them disabled; the swap re-creates them as production had them (README)
                    assert item["enabled"] and there[kind][name]["enabled"], f"{db}.{name}: enabled in production and in UAT"
                    mine, theirs = with_event_status(mine, enabled=False)[0], with_event_status(theirs, enabled=False)[0]
                assert theirs == mine, f"{db} {kind} {name}"
                if kind == "TRIGGER":
                    assert there[kind][name]["table"] == item["table"]
                compared += 1
    assert compared >= 9  # 2 views, 3 procedures, 2 triggers, 2 events at least


def test_a_load_called_on_uat_copies_only_anonymized_data(refreshed):
    _, _, src, uat = refreshed
    names = {v for row in _rows(src, "SELECT Child_Name, Mother_Name, Father_Name FROM db_iemr.t_childvaliddata") for v in row if v}
    phones = {v for row in _rows(src, "SELECT PreferredPhoneNum, PhoneNum1, PhoneNum2 FROM db_identity.i_beneficiarycontacts") for v in row if v}
    phones |= {r[0] for r in _rows(src, "SELECT PhoneNo FROM db_reporting.fact_1097callsummary") if r[0]}
    assert names and phones
    with uat.cursor() as cur:
        for table in LOADS.values():
            cur.execute(f"DELETE FROM db_reporting.`{table}`")
        for procedure in LOADS:
            cur.execute(f"CALL db_reporting.`{procedure}`()")
    uat.commit()
    children = _rows(uat, "SELECT Child_Name, Mother_Name, Father_Name, Phone_No FROM db_reporting.fact_childvalidrecord")
    assert len(children) == _rows(uat, "SELECT COUNT(*) FROM db_iemr.t_childvaliddata")[0][0] > 0
    assert not {v for row in children for v in row[:3] if v} & names, "a production name reached UAT through a procedure"
    assert not {row[3] for row in children if row[3]} & phones
    calls = _rows(uat, "SELECT PhoneNo FROM db_reporting.fact_1097callsummary")
    assert len(calls) == _rows(uat, "SELECT COUNT(*) FROM db_iemr.t_bencall WHERE is1097 = 1")[0][0] > 0
    assert not {r[0] for r in calls if r[0]} & phones, "a production phone reached UAT through a procedure"
    # the copies are UAT's own anonymized values, joined the way the procedure joins them
    joined = _rows(
        uat,
        "SELECT COUNT(*) FROM db_reporting.fact_1097callsummary f JOIN db_identity.i_beneficiarymapping m ON m.BenRegId = f.BeneficiaryRegID"
        " JOIN db_identity.i_beneficiarycontacts c ON c.BenContactsID = m.BenContactsId WHERE f.PhoneNo = c.PreferredPhoneNum",
    )[0][0]
    assert joined > 0


def test_the_leak_check_passed_on_what_the_procedures_copied(refreshed):
    _, instance, src, _ = refreshed
    for db in DATABASES:
        require_checks_passed(instance, "anonymized", ["zero_pii_leaks", "zero_new_orphans", "row_counts_preserved"], db)
    # the copied facts were staged (so fingerprinted) with their personal data
    for table in LOADS.values():
        assert _rows(src, f"SELECT COUNT(*) FROM db_reporting.`{table}`")[0][0] > 0

