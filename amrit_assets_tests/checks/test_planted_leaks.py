"""Plant leaks after anonymization: the blocking checks must stop the refresh and UAT must not change.

A clean refresh first (every check passes), then db_iemr is staged and published again with leaks
planted right after its UPDATEs (the only test-side hook), then a later run asks for the downstream
assets alone.
"""

from __future__ import annotations

import importlib

import pytest
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, materialize

from amrit_assets.common.resolve import resolve_live
from amrit_assets.anonymize.strategies import Target
from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.demo.environment import demo_environment
from amrit_assets.jobs import EXTRACT, PUBLISH
from amrit_assets.refresh import run_refresh
from amrit_assets.resources import build_resources
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.settings import RefreshSettings

pytestmark = pytest.mark.integration
anonymized_module = importlib.import_module("amrit_assets.assets.anonymized")  # the module, not the asset it exports
DB = "db_iemr"
ALL = [*REFRESH_ASSETS, *ASSET_CHECKS]



def _one(cur, sql: str, args=()) -> tuple:
    cur.execute(sql, args)
    return cur.fetchone()


def _uat_fingerprint(conn) -> tuple:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'", (DB,))
        tables = sorted(r[0] for r in cur.fetchall())
        cur.execute(f"CHECKSUM TABLE {', '.join(f'`{DB}`.`{t}`' for t in tables)}")
        return tuple(cur.fetchall())


def _text_column(resolutions, strategy: str, src_cur, *, min_len: int = 40):
    """A (table, column, pk columns) of db_iemr with rows, whose strategy is ``strategy``."""
    for r in resolutions:
        c = r.column
        t = Target(c.column, c.column_type)
        if r.strategy != strategy or c.is_view or not t.is_text or (t.max_len or 10_000) < min_len:
            continue
        pk = [x.column.column for x in resolutions if x.column.table == c.table and x.column.key == "PRI" and x.strategy == "keep"]
        if pk and _one(src_cur, f"SELECT COUNT(*) FROM `{DB}`.`{c.table}`")[0]:
            return c.table, c.column, pk
    raise AssertionError(f"no {strategy} text column with rows in {DB}")


def _plant(src, ws, resolutions) -> dict:
    """Write the four leaks into the anonymized workspace database; return where (and what, for the log test)."""
    originals = {}
    with src.cursor() as s, ws.cursor() as w:
        phone = _one(s, "SELECT PreferredPhoneNum FROM db_identity.i_beneficiarycontacts WHERE PreferredPhoneNum REGEXP '^[6-9][0-9]{9}$' LIMIT 1")[0]
        aadhaar = _one(s, "SELECT IdentityNo FROM db_identity.i_beneficiaryidentity WHERE IdentityNo REGEXP '^[0-9]{12}$' LIMIT 1")[0]
        originals.update(phone=phone, aadhaar=aadhaar)
        # 1. an original phone number inside a remark
        t, c, pk = _text_column(resolutions, "scrub_text", s)
        w.execute(f"UPDATE `{DB}`.`{t}` SET `{c}` = %s ORDER BY {', '.join(pk)} LIMIT 1", (f"please call back on {phone} today",))
        originals["remark"] = (t, c)
        # 2. an original name in a keep column of the same row
        nt, nc, npk = _text_column(resolutions, "name", s, min_len=20)
        name, *key = _one(s, f"SELECT `{nc}`, {', '.join(npk)} FROM `{DB}`.`{nt}` WHERE CHAR_LENGTH(`{nc}`) >= 3 ORDER BY {', '.join(npk)} LIMIT 1")
        keep = next(r.column.column for r in resolutions if r.column.table == nt and r.strategy == "keep"
                    and Target(r.column.column, r.column.column_type).is_text and (Target(r.column.column, r.column.column_type).max_len or 999) >= len(name))
        w.execute(f"UPDATE `{DB}`.`{nt}` SET `{keep}` = %s WHERE {' AND '.join(f'{p} = %s' for p in npk)}", (name, *key))
        originals.update(name=name, keep=(nt, keep))
        # 3. an unmapped BenRegID
        bt, bc = next((r.column.table, r.column.column) for r in resolutions if r.strategy == "benregid" and not r.column.is_view
                      and "int" in r.column.column_type and _one(s, f"SELECT COUNT(*) FROM `{DB}`.`{r.column.table}`")[0])
        w.execute(f"UPDATE `{DB}`.`{bt}` SET `{bc}` = 987654321987 LIMIT 1")
        originals["orphan"] = (bt, bc)
        # 4. an original Aadhaar in a JSON payload
        jt, jc, jpk = _text_column(resolutions, "scrub_text", s, min_len=60)
        w.execute(f"UPDATE `{DB}`.`{jt}` SET `{jc}` = %s ORDER BY {', '.join(jpk)} DESC LIMIT 1", (f'{{"aadhaarNo": "{aadhaar}"}}',))
        originals["json"] = (jt, jc)
    return originals


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    with demo_environment(beneficiaries=80, data_dir=tmp_path_factory.mktemp("planted")) as demo:
        with DagsterInstance.ephemeral() as instance:
            resources = build_resources()
            run_refresh(instance, resources)  # clean: every blocking check passes
            src, ws, uat = (connect(demo.servers[r]) for r in ("source", "workspace", "uat"))
            before = _uat_fingerprint(uat)
            materialize(ALL, selection=EXTRACT, partition_key=DB, instance=instance, resources=resources)
            resolutions = resolve_live(ws, RefreshSettings(catalog_path=resources["settings"].catalog_path).catalog(), (DB,))
            originals: dict = {}
            real_mark = anonymized_module.mark_anonymized

            def plant_then_mark(conn, db, run_id):  # the UPDATEs are done: leak into the result
                originals.update(_plant(src, ws, resolutions))
                real_mark(conn, db, run_id)

            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(anonymized_module, "mark_anonymized", plant_then_mark)
                checks = materialize(ALL, selection=PUBLISH, partition_key=DB, instance=instance, resources=resources, raise_on_error=False)
            # A later run that selects only what comes after, as someone might from the UI.
            downstream = materialize(ALL, selection=AssetSelection.assets("anonymized_dump", "uat"), partition_key=DB,
                                     instance=instance, resources=resources, raise_on_error=False)
            after = _uat_fingerprint(uat)
            yield instance, checks, downstream, before, after, originals


def _check_metadata(instance, name: str) -> tuple[str, dict]:
    rec = instance.event_log_storage.get_asset_check_execution_history(AssetCheckKey(AssetKey("anonymized"), name), limit=1)[0]
    meta = rec.event.dagster_event.event_specific_data.metadata
    return rec.status.value, {k: getattr(v, "value", v) for k, v in meta.items()}


def test_leak_check_finds_the_planted_phone_name_and_aadhaar(planted):
    instance, *_, originals = planted
    status, meta = _check_metadata(instance, "zero_pii_leaks")
    assert status == "FAILED" and meta["database"] == DB
    high = meta["original_high_entropy_values"]
    assert high.get(".".join(originals["remark"]), 0) >= 1
    assert high.get(".".join(originals["json"]), 0) >= 1
    assert meta["original_values_in_same_row"].get(".".join(originals["keep"]), 0) >= 1


def test_orphan_check_finds_the_unmapped_benregid(planted):
    instance, *_, originals = planted
    status, meta = _check_metadata(instance, "zero_new_orphans")
    assert status == "FAILED"
    assert meta["new_orphans"] == {".".join(originals["orphan"]): 1}


def test_downstream_refuses_in_a_later_run_and_uat_is_unchanged(planted):
    instance, checks, downstream, before, after, _ = planted
    assert not checks.success and not downstream.success
    skipped = {e.step_key for e in checks.all_events if e.event_type_value == "STEP_SKIPPED"} | {
        e.step_key for e in checks.all_events if e.is_step_failure}
    assert "anonymized_dump" in skipped or not any(e.step_key == "anonymized_dump" and e.is_step_success for e in checks.all_events)
    error = next(e for e in downstream.all_events if e.is_step_failure).step_failure_data.error
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    text = "\n".join(messages)
    assert "refusing to use anonymized[db_iemr]" in text and "zero_pii_leaks failed" in text
    assert before == after


def test_no_planted_value_in_logs_or_metadata(planted):
    instance, *_, originals = planted
    text = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            text.append(entry.user_message or "")
            if entry.dagster_event is not None:
                text.append(repr(entry.dagster_event.event_specific_data))
    blob = "\n".join(text)
    assert len(blob) > 10_000
    for value in (originals["phone"], originals["aadhaar"], originals["name"]):
        assert value not in blob
