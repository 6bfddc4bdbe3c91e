"""Plant leaks (and coincidences that are not leaks) into real tables: the blocking checks must name each
leak by table.column and category, stay quiet on the coincidences, and UAT must not change.

All four databases are staged and mapped; a bare name is planted in staging (a short ``scrub_text``
cell the scrubber leaves as it was), then db_iemr is published with the other plants written right
after its UPDATEs (the only test-side hook). Every planted column is first set to a neutral text for
all rows, so each finding count is exactly what was planted. A later run asks for the downstream
assets alone. The test also scans the anonymized database itself with plain SQL (no project code) for
source full names and phones and cross-checks the project's check against it.
"""

from __future__ import annotations

import importlib
import re

import pytest
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, materialize

from amrit_assets import policy
from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.common.resolve import resolve_live
from amrit_assets.common.verhoeff import is_verhoeff_valid
from amrit_assets.demo.environment import demo_environment
from amrit_assets.jobs import EXTRACT, MAPPING, PUBLISH
from amrit_assets.partitions import DATABASES
from amrit_assets.resources import build_resources
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.settings import RefreshSettings

pytestmark = pytest.mark.integration
anonymized_module = importlib.import_module("amrit_assets.assets.anonymized")  # the module, not the asset it exports
DB = "db_iemr"
ALL = [*REFRESH_ASSETS, *ASSET_CHECKS]
NEUTRAL = "ok"
RARE = "Zorawarbir"  # a first name only one person has


def _one(cur, sql: str, args=()) -> tuple:
    cur.execute(sql, args)
    return cur.fetchone()


def _uat_fingerprint(conn) -> tuple:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'", (DB,))
        tables = sorted(r[0] for r in cur.fetchall())
        if not tables:
            return ()
        cur.execute(f"CHECKSUM TABLE {', '.join(f'`{DB}`.`{t}`' for t in tables)}")
        return tuple(cur.fetchall())


def _width(column_type: str) -> int:
    t = column_type.lower()
    m = re.match(r"^(?:var)?char\((\d+)\)", t)
    return int(m.group(1)) if m else (65_535 if "text" in t or "json" in t else 0)


class _Picker:
    """Distinct (table, column) of db_iemr with rows, by strategy and type; never a key column."""

    def __init__(self, resolutions, conn):
        self.rs, self.conn, self.used, self.tables = resolutions, conn, set(), {}

    def rows(self, table: str) -> int:
        if table not in self.tables:
            with self.conn.cursor() as cur:
                self.tables[table] = _one(cur, f"SELECT COUNT(*) FROM `{DB}`.`{table}`")[0]
        return self.tables[table]

    def pick(self, strategy: str, types: tuple[str, ...], *, min_width: int = 0, max_width: int = 10**6,
             with_pk: bool = False) -> tuple[str, str, list[str]]:
        for r in self.rs:
            c = r.column
            t = c.column_type.lower()
            texty = "char" in t or "text" in t
            if (r.strategy != strategy or c.is_view or c.key or not t.startswith(types) or (c.table, c.column) in self.used
                    or "address" in c.column.lower()
                    or (texty and not min_width <= _width(t) <= max_width)):
                continue
            pk = [x.column.column for x in self.rs if x.column.table == c.table and x.column.key == "PRI"]
            keep_pk = all(x.strategy == "keep" for x in self.rs if x.column.table == c.table and x.column.key == "PRI")
            if pk and (keep_pk or not with_pk) and self.rows(c.table):
                self.used.add((c.table, c.column))
                return c.table, c.column, pk
        raise AssertionError(f"no {strategy} {types} column with rows in {DB}")


def _originals(src, ws) -> dict:
    """Originals to plant, read from the source (production) and the workspace's id map."""
    with src.cursor() as s, ws.cursor() as w:
        first, last = _one(s, "SELECT FirstName, LastName FROM db_identity.i_beneficiarydetails WHERE CHAR_LENGTH(FirstName) >= 3"
                              " AND CHAR_LENGTH(LastName) >= 3 AND FirstName <> LastName ORDER BY BeneficiaryDetailsId LIMIT 1")
        other = _one(s, "SELECT FirstName, LastName FROM db_identity.i_beneficiarydetails WHERE CHAR_LENGTH(FirstName) >= 3"
                        " AND CHAR_LENGTH(LastName) >= 3 AND FirstName <> LastName AND FirstName <> %s ORDER BY BeneficiaryDetailsId DESC LIMIT 1", (first,))
        phone = _one(s, "SELECT PreferredPhoneNum FROM db_identity.i_beneficiarycontacts WHERE PreferredPhoneNum REGEXP '^[6-9][0-9]{9}$' LIMIT 1")[0]
        aadhaar = _one(s, "SELECT IdentityNo FROM db_identity.i_beneficiaryidentity WHERE IdentityNo REGEXP '^[2-9][0-9]{11}$' LIMIT 1")[0]
        assert is_verhoeff_valid(aadhaar)
        email = _one(s, "SELECT LOWER(EmailId) FROM db_identity.i_beneficiarycontacts WHERE EmailId REGEXP '^[a-z0-9._]+@[a-z]+[.][a-z.]+$' LIMIT 1")[0]
        pool_streets = {v for (v,) in _all(w, "SELECT v FROM amrit_anon.pool_street")}
        street = next((v for (v,) in _all(s, "SELECT CurrAddrLine1 FROM db_identity.i_beneficiaryaddress"
                                              " WHERE CurrAddrLine1 REGEXP '[0-9]+[A-Za-z]?[ ,/-]+[A-Za-z]+ [A-Za-z]'") if v not in pool_streets), None)
        regid = _one(w, "SELECT old_id FROM amrit_anon.id_map WHERE kind = 'benregid' AND old_id NOT IN"
                        " (SELECT new_id FROM amrit_anon.id_map WHERE kind = 'benregid') ORDER BY old_id LIMIT 1")[0]
        new_regid = _one(w, "SELECT new_id FROM amrit_anon.id_map WHERE kind = 'benregid' ORDER BY old_id LIMIT 1")[0]
        pool_full = _one(w, "SELECT v FROM amrit_anon.pool_full_name ORDER BY i LIMIT 1")[0]
    assert street, "the generator writes house-number street lines"
    local, domain = email.split("@")
    return dict(first=first, last=last, full=f"{first} {last}", other=f"{other[0]} {other[1]}", phone=phone, aadhaar=aadhaar,
                email=email, spelled=f"{local} at {domain.replace('.', ' dot ')}", street=street, regid=regid, new_regid=new_regid,
                pool_full=pool_full)


def _leaks(o: dict) -> list[tuple]:
    """(strategy, types, width bounds, value, expected category): every form the issue lists, and more."""
    text, num = ("varchar", "text", "longtext", "mediumtext"), ("double",)
    a = o["aadhaar"]
    return [
        ("keep", ("varchar",), 30, 10**6, f"Status: {o['full'].upper()}", "full_name"),  # a full name in a kept status column, upper case
        ("scrub_text", text, 60, 10**6, f"seen with {o['other']} today", "full_name"),  # another person's name in a remark
        ("scrub_text", text, 60, 10**6, f"patient {o['last']}, {o['first']} came", "full_name"),  # reversed "Last, First"
        ("keep", ("varchar",), 24, 10**6, f"BenRegID {o['regid']}", "benregid"),  # a BenRegID copied into a kept VARCHAR, labelled
        ("keep", num, 0, 0, float(o["phone"]), "phone"),  # a mobile in a DOUBLE
        ("keep", ("bigint",), 0, 0, int("91" + o["phone"]), "phone"),  # a 91-prefixed mobile in a BIGINT
        ("keep", ("varchar",), 60, 10**6, f"shifted to {o['street']} last week", "street"),  # a street line in another table's kept text
        ("scrub_text", text, 60, 10**6, f"mobile {o['phone'][:4]}.{o['phone'][4:7]}.{o['phone'][7:]}", "phone"),  # dotted mobile
        ("scrub_text", text, 60, 10**6, f"uid {a[:4]}.{a[4:8]}.{a[8:]}", "aadhaar"),  # dotted Aadhaar
        ("scrub_text", text, 60, 10**6, f"write to {o['spelled']}", "email"),  # spelled-out e-mail
        ("scrub_text", text, 60, 10**6, f'{{"aadhaarNo": "{a[:4]} {a[4:8]} {a[8:]}", "k": 1}}', "aadhaar"),  # Aadhaar with spaces inside JSON
        ("scrub_text", text, 60, 10**6, f"call (+91) {o['phone'][:5]}-{o['phone'][5:]}", "phone"),  # parentheses, prefix, dash
        ("scrub_text", text, 60, 10**6, f"please call back on {o['phone']} today", "phone"),  # plainly
    ]


def _coincidences(o: dict) -> list[tuple]:
    """Values equal to an original by construction or by chance: none is a leak."""
    return [
        ("scrub_text", ("varchar", "text"), 60, 10**6, f"referred by {o['pool_full']}"),  # a pool full name (maybe someone's name too)
        ("keep", ("bigint",), 0, 0, int(o["regid"])),  # a kept BIGINT id equal to an original BenRegID (t_bencall.CallID's case)
        ("keep", ("varchar",), 12, 10**6, str(o["regid"])),  # a kept PIN code that equals some original BenRegID (19,857 cells at 100k)
        ("keep", ("int",), 0, 0, int(o["phone"][:9])),  # a kept INT equal to an original phone's first digits
        ("keep", ("varchar",), 30, 10**6, "2024-01-05 10:30:00"),  # a kept date written as text
        ("scrub_text", ("varchar", "text"), 60, 10**6, f'{{"beneficiaryRegID": {o["new_regid"]}}}'),  # a remapped id, labelled
    ]


def _blank_then_plant(w, table: str, column: str, pk: list[str], value, numeric: bool) -> None:
    w.execute(f"UPDATE `{DB}`.`{table}` SET `{column}` = %s", (0 if numeric else NEUTRAL,))
    w.execute(f"UPDATE `{DB}`.`{table}` SET `{column}` = %s ORDER BY {', '.join(f'`{p}`' for p in pk)} LIMIT 1", (value,))


def _plant(ws, picker: _Picker, o: dict) -> dict:
    planted = {"leaks": [], "quiet": []}
    with ws.cursor() as w:
        for strategy, types, lo, hi, value, category in _leaks(o):
            t, c, pk = picker.pick(strategy, types, min_width=max(lo, len(str(value))), max_width=hi)
            _blank_then_plant(w, t, c, pk, value, not isinstance(value, str))
            planted["leaks"].append((f"{t}.{c}", category))
        for strategy, types, lo, hi, value in _coincidences(o):
            t, c, pk = picker.pick(strategy, types, min_width=max(lo, len(str(value))), max_width=hi)
            _blank_then_plant(w, t, c, pk, value, not isinstance(value, str))
            planted["quiet"].append(f"{t}.{c}")
    return planted


def independent_scan(conn, db: str, full_names: list[str], phones: list[str]) -> dict[str, set[str]]:
    """Plain SQL over information_schema (no project code): text columns holding a source full name or phone."""
    out: dict[str, set[str]] = {"full_name": set(), "phone": set()}
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS independent_scan")
        cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS independent_scan.needles (kind VARCHAR(16), v VARCHAR(200))")
        cur.execute("TRUNCATE independent_scan.needles")
        cur.executemany("INSERT INTO independent_scan.needles VALUES (%s, %s)", [("full_name", n.lower()) for n in full_names] + [("phone", p) for p in phones])
        cur.execute("SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t"
                    " ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'"
                    " WHERE c.table_schema = %s AND c.data_type IN ('varchar', 'char', 'text', 'mediumtext', 'longtext', 'json')", (db,))
        for table, column in cur.fetchall():
            cur.execute(f"SELECT DISTINCT n.kind FROM `{db}`.`{table}` x JOIN independent_scan.needles n ON LOCATE(n.v, LOWER(CAST(x.`{column}` AS CHAR))) > 0"
                        f" WHERE CHAR_LENGTH(x.`{column}`) >= 5")
            for (kind,) in cur.fetchall():
                out[kind].add(f"{table}.{column}")
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    with demo_environment(beneficiaries=80, data_dir=tmp_path_factory.mktemp("planted")) as demo:
        with DagsterInstance.ephemeral() as instance:
            resources = build_resources()
            src, ws, uat = (connect(demo.servers[r]) for r in ("source", "workspace", "uat"))
            for db in DATABASES:
                materialize(ALL, selection=EXTRACT, partition_key=db, instance=instance, resources=resources)
            resolutions = resolve_live(ws, policy.catalog(RefreshSettings(catalog_path=resources["settings"].catalog_path)), (DB,))
            with src.cursor() as s:
                picker = _Picker(resolutions, src)
                first = _one(s, "SELECT FirstName FROM db_identity.i_beneficiarydetails WHERE CHAR_LENGTH(FirstName) >= 3 LIMIT 1")[0]
                # A bare name in a short scrub_text cell, in staging: the scrubber leaves it as it was.
                bt, bc, bpk = picker.pick("scrub_text", ("varchar",), min_width=len(first), max_width=64, with_pk=True)
                # A rare name (one person has it) in a longer remark, also in staging.
                rt, rc, rpk = picker.pick("scrub_text", ("varchar", "text", "mediumtext", "longtext"), min_width=40, with_pk=True)
            rare_text = f"{RARE} came with the family"
            with ws.cursor() as w:
                _blank_then_plant(w, bt, bc, bpk, first, False)
                _blank_then_plant(w, rt, rc, rpk, rare_text, False)
                w.execute("UPDATE db_identity.i_beneficiarydetails SET FirstName = %s ORDER BY BeneficiaryDetailsId DESC LIMIT 1", (RARE,))
            materialize(ALL, selection=MAPPING, instance=instance, resources=resources)
            before = _uat_fingerprint(uat)
            o = _originals(src, ws)
            o["bare"] = first
            planted: dict = {}
            real_mark = anonymized_module.mark_anonymized

            def plant_then_mark(conn, db, run_id):  # the UPDATEs are done: leak into the result
                planted.update(_plant(ws, picker, o))
                with ws.cursor() as w:  # as a scrubber that left the staged bare name as it was
                    w.execute(f"UPDATE `{DB}`.`{bt}` SET `{bc}` = %s ORDER BY {', '.join(f'`{k}`' for k in bpk)} LIMIT 1", (first,))
                    w.execute(f"UPDATE `{DB}`.`{rt}` SET `{rc}` = %s ORDER BY {', '.join(f'`{k}`' for k in rpk)} LIMIT 1", (rare_text,))
                    pool = {v.lower() for (v,) in _all(w, "SELECT v FROM amrit_anon.pool_full_name")}
                with src.cursor() as s:
                    names = [f"{a} {b}" for a, b in _all(s, "SELECT FirstName, LastName FROM db_identity.i_beneficiarydetails"
                                                          " WHERE CHAR_LENGTH(FirstName) >= 3 AND CHAR_LENGTH(LastName) >= 3")
                             if f"{a} {b}".lower() not in pool]
                    phones = [p for (p,) in _all(s, "SELECT PreferredPhoneNum FROM db_identity.i_beneficiarycontacts WHERE PreferredPhoneNum REGEXP '^[6-9][0-9]{9}$'")]
                planted["independent"] = independent_scan(ws, DB, names, phones)
                real_mark(conn, db, run_id)

            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(anonymized_module, "mark_anonymized", plant_then_mark)
                checks = materialize(ALL, selection=PUBLISH, partition_key=DB, instance=instance, resources=resources, raise_on_error=False)
            downstream = materialize(ALL, selection=AssetSelection.assets("anonymized_dump", "uat"), partition_key=DB,
                                     instance=instance, resources=resources, raise_on_error=False)
            planted["bare"] = (f"{bt}.{bc}", "bare_name")
            planted["rare"] = (f"{rt}.{rc}", "rare_name")
            after = _uat_fingerprint(uat)
            yield instance, checks, downstream, before, after, planted, o


def _all(cur, sql: str, args=()) -> list[tuple]:
    cur.execute(sql, args)
    return list(cur.fetchall())


def _check_metadata(instance, name: str) -> tuple[str, dict]:
    rec = instance.event_log_storage.get_asset_check_execution_history(AssetCheckKey(AssetKey("anonymized"), name), limit=1)[0]
    meta = rec.event.dagster_event.event_specific_data.metadata
    return rec.status.value, {k: getattr(v, "value", v) for k, v in meta.items()}


def test_every_planted_form_is_named_by_column_and_category(planted):
    instance, *_, p, _o = planted
    status, meta = _check_metadata(instance, "zero_pii_leaks")
    assert status == "FAILED" and meta["database"] == DB
    found = meta["findings_per_column"]
    missing = [(where, cat) for where, cat in p["leaks"] if found.get(f"{where} ({cat})") != 1]
    assert not missing, f"planted leaks not found exactly once: {missing}"
    for where, cat in (p["bare"], p["rare"]):
        assert found.get(f"{where} ({cat})", 0) >= 1, (where, cat)
    # the failure's sentence (shown by the CLI and the UI) names the top columns with counts
    assert meta["problems"].count(" in ") == 5 and "more columns (findings_per_column)" in meta["problems"]


def test_coincidences_are_not_leaks(planted):
    instance, *_, p, _o = planted
    _, meta = _check_metadata(instance, "zero_pii_leaks")
    noisy = [k for k in meta["findings_per_column"] if k.split(" (")[0] in p["quiet"]]
    assert not noisy


def test_the_check_finds_what_an_independent_scan_finds(planted):
    instance, *_, p, _o = planted
    _, meta = _check_metadata(instance, "zero_pii_leaks")
    flagged = {(k.split(" (")[0], k.split(" (")[1].rstrip(")")) for k in meta["findings_per_column"]}
    independent = p["independent"]
    assert independent["full_name"] and independent["phone"], "the plants are visible to plain SQL too"
    for kind, columns in independent.items():
        missed = sorted(c for c in columns if (c, kind) not in flagged)
        assert not missed, f"{kind} found by plain SQL but not by zero_pii_leaks: {missed}"


def test_orphan_check_still_runs(planted):
    instance, *_ = planted
    status, meta = _check_metadata(instance, "zero_new_orphans")
    assert meta["database"] == DB and status in ("SUCCEEDED", "FAILED")


def test_downstream_refuses_in_a_later_run_and_uat_is_unchanged(planted):
    instance, checks, downstream, before, after, *_ = planted
    assert not checks.success and not downstream.success
    error = next(e for e in downstream.all_events if e.is_step_failure).step_failure_data.error
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    text = "\n".join(messages)
    assert "refusing to use anonymized[db_iemr]" in text and "zero_pii_leaks failed" in text
    assert before == after


def test_no_planted_value_in_logs_events_metadata_or_descriptions(planted):
    instance, *_, o = planted
    text = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            text.append(entry.user_message or "")
            if entry.dagster_event is not None:
                text.append(repr(entry.dagster_event.event_specific_data))
    text += [str(c.description) for c in ASSET_CHECKS for c in c.check_specs]
    blob = "\n".join(text).lower()
    assert len(blob) > 10_000
    a = o["aadhaar"]
    for value in (o["phone"], a, f"{a[:4]} {a[4:8]} {a[8:]}", o["full"], o["other"], o["email"], o["spelled"], o["street"], str(o["regid"])):
        # digits as a whole number only: a 6-digit BenRegID also occurs inside a float of seconds (2530.93689100001)
        pattern = rf"(?<![0-9.]){re.escape(value.lower())}(?![0-9])" if value.isdigit() else re.escape(value.lower())
        assert not re.search(pattern, blob), "a planted value reached the event log"
    assert RARE.lower() not in blob
