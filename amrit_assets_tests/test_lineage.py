"""The audit trail of a whole refresh: the audit_report asset, and lineage traced from the event log.

One refresh of all four databases (60 beneficiaries) through ``run_refresh``, which ends with the
``audit`` step; every test reads what it left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster import AssetKey, AssetRecordsFilter, AssetSelection, DagsterInstance, materialize

from amrit_assets import policy
from amrit_assets import lineage
from amrit_assets.common.keys import fingerprint
from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.catalog.coverage import catalog_hash
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.demo.environment import demo_environment
from amrit_assets.demo.schema import BASELINE_VERSIONS
from amrit_assets.jobs import EXTRACT
from amrit_assets.lineage import format_trace, trace
from amrit_assets.partitions import DATABASES
from amrit_assets.refresh import run_refresh
from amrit_assets.resources import build_resources
from amrit_assets.resources.dumps import file_sha256
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.settings import RefreshSettings

pytestmark = pytest.mark.integration


def _source_values(addr) -> list[str]:
    """Originals the report must never contain: full names and phone numbers of the source."""
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute("SELECT CONCAT(FirstName, ' ', LastName) FROM db_identity.i_beneficiarydetails WHERE FirstName <> '' LIMIT 20")
        names = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT PreferredPhoneNum FROM db_identity.i_beneficiarycontacts WHERE PreferredPhoneNum <> '' LIMIT 20")
        phones = [r[0] for r in cur.fetchall()]
    conn.close()
    return [v for v in names + phones if v and len(v) >= 8]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("lineage")
    with demo_environment(beneficiaries=60, data_dir=data_dir) as demo:
        with DagsterInstance.ephemeral() as instance:
            report = run_refresh(instance, build_resources())
            records = instance.fetch_materializations(AssetKey("audit_report"), limit=5).records
            yield SimpleNamespace(
                demo=demo, report=report, instance=instance, data_dir=data_dir, audits=records,
                key=os.environ["AMRIT_ANON_KEY"], originals=_source_values(demo.servers["source"]),
            )


def _meta(record) -> dict:
    return {k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()}


@pytest.fixture(scope="module")
def audit(refreshed):
    assert len(refreshed.audits) == 1
    meta = _meta(refreshed.audits[0])
    return SimpleNamespace(meta=meta, json=json.loads(Path(meta["json"]).read_text()), md=Path(meta["markdown"]).read_text())


def test_audit_report_is_written_as_json_and_markdown(refreshed, audit):
    json_path, md_path = Path(audit.meta["json"]), Path(audit.meta["markdown"])
    assert json_path.parent == md_path.parent
    assert json_path.parent.parent == refreshed.data_dir.resolve() / "audit"
    assert audit.meta["report"] == audit.md  # the page is the asset's metadata too
    assert audit.json["audit_run"]["run_id"] == refreshed.report.run_ids[-1]
    assert audit.json["triggered_by"] == {"audit": "manual", "refresh": ["manual"]}
    assert set(audit.json["databases"]) == set(DATABASES)
    for db in DATABASES:
        entry = audit.json["databases"][db]
        assert entry["refreshed"] and entry["lineage_ok"], db
        assert entry["schema_version"] == entry["catalog_verified_version"] == BASELINE_VERSIONS[db]
        assert set(entry["stage_seconds"]) == {"uat", "anonymized_dump", "anonymized", "staging", "raw_dump", "source_schema"}
    assert audit.json["catalog"]["sha256"] == catalog_hash(policy.catalog(RefreshSettings()))
    assert audit.json["key_fingerprint"] == fingerprint(refreshed.key.encode())


def test_every_check_is_listed_as_passed(audit):
    checks = audit.json["checks"]
    assert len(checks) == 5 * len(DATABASES) + 1  # the gate and four anonymized checks per database, the bijection once
    assert all(c["passed"] and c["status"] == "SUCCEEDED" for c in checks), [c for c in checks if not c["passed"]]
    v = audit.json["verdict"]
    assert v["all_checks_passed"] and v["lineage_ok"] and v["key_fingerprint_consistent"]
    assert audit.meta["checks_passed"] == audit.meta["checks_total"] == len(checks)
    assert "| every check passed | yes (21/21) |" in audit.md


def test_masking_sample_personal_columns_all_changed_kept_columns_identical(audit):
    for db in DATABASES:
        s = audit.json["masking"][db]["summary"]
        assert s["pii_columns_compared"] > 0 and s["pii_columns_all_changed"] == s["pii_columns_compared"], (db, s["not_ok"])
        assert s["pii_changed_share"] == 1.0, db
        assert s["keep_columns_identical"] == s["keep_columns_compared"] > 0, (db, s["not_ok"])
        assert s["keep_identical_share"] == 1.0, db
        assert s["scrub_text_scrubbable_changed"] == s["scrub_text_scrubbable"], db
    assert audit.json["verdict"]["masking_ok"]
    assert audit.meta["pii_values_changed"] == audit.meta["pii_values_compared"] > 1000


def test_k_anonymity_is_reported(audit):
    risk = audit.json["risk"]
    assert risk["database"] == "db_identity" and risk["beneficiaries"] == 60
    assert 1 <= risk["k"] <= 60 and risk["groups"] >= 1
    assert audit.meta["k"] == risk["k"] and audit.meta["groups_below_k5"] == risk["groups_below"]
    assert "smallest group k" in audit.md


def test_trace_links_uat_back_to_the_raw_dump(refreshed):
    t = trace(refreshed.instance, "db_iemr")
    n = t["nodes"]
    assert set(n) == {"uat_swap", "uat", "anonymized_dump", "anonymized", "benregid_mapping", "staging", "raw_dump", "source_schema", "audit_report"}
    assert all(link["ok"] for link in t["links"]), [link for link in t["links"] if not link["ok"]]
    # publish: anonymized -> anonymized_dump -> uat in one run; extract: source_schema -> raw_dump -> staging in another
    publish, extract, mapping = n["uat"]["run_id"], n["raw_dump"]["run_id"], n["benregid_mapping"]["run_id"]
    assert n["anonymized_dump"]["run_id"] == n["anonymized"]["run_id"] == publish == n["uat"]["metadata"]["anonymized_run"]
    assert n["staging"]["run_id"] == n["source_schema"]["run_id"] == extract
    runs = refreshed.report.run_ids
    assert runs.index(extract) < runs.index(mapping) < runs.index(publish) < runs.index(n["audit_report"]["run_id"])
    assert n["uat_swap"]["run_id"] == n["audit_report"]["run_id"] and "db_iemr" in n["uat_swap"]["metadata"]["databases"]
    # the dump UAT was restored from is the file on disk, byte for byte
    dump = n["anonymized_dump"]["metadata"]
    assert file_sha256(Path(dump["path"])) == dump["sha256"] == n["uat"]["metadata"]["dump_sha256"] == n["anonymized_dump"]["file_sha256"]
    raw = n["raw_dump"]["metadata"]
    assert file_sha256(Path(raw["path"])) == raw["sha256"] and raw["schema_version"] == BASELINE_VERSIONS["db_iemr"]
    assert {c["check"]: c["passed"] for c in n["anonymized"]["checks"]} == {
        "zero_pii_leaks": True, "zero_new_orphans": True, "row_counts_preserved": True, "unique_indexes_hold": True}
    assert [c["passed"] for c in n["source_schema"]["checks"]] == [True]
    assert t["newer_anonymized"] is None and audit_has_no_attempts(refreshed)
    assert t["catalog"]["sha256"] == catalog_hash(policy.catalog(RefreshSettings()))
    assert t["key_fingerprint"] == fingerprint(refreshed.key.encode())
    text = format_trace(t)
    assert publish in text and extract in text and dump["sha256"] in text and "(file matches)" in text


def test_lineage_command_prints_every_database(refreshed, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(refreshed.data_dir))  # the command's precondition; the instance itself is the ephemeral one
    monkeypatch.setattr(lineage, "DagsterInstance", SimpleNamespace(get=lambda: contextlib.nullcontext(refreshed.instance)))
    assert lineage.main([]) == 0
    out = capsys.readouterr().out
    assert all(out.count(f"\n{db}\n") + out.startswith(f"{db}\n") == 1 for db in DATABASES)
    assert out.count("links: 8/8 hold") == len(DATABASES)
    assert lineage.main(["--db", "db_iemr", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"db_iemr"}


def audit_has_no_attempts(refreshed) -> bool:
    meta = _meta(refreshed.audits[0])
    return json.loads(Path(meta["json"]).read_text())["verdict"]["attempts_not_in_uat"] == {}


def test_no_key_password_or_value_in_the_report(refreshed, audit):
    texts = {"json": json.dumps(audit.json), "markdown": audit.md, "metadata": json.dumps(audit.meta, default=str)}
    secrets = [refreshed.key] + [a.password for a in refreshed.demo.servers.values() if a.password]
    assert refreshed.originals, "the source should hold names and phone numbers"
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in the {where}"
        for value in refreshed.originals:
            assert value not in text, f"an original value is in the {where}"


def test_a_newer_attempt_does_not_change_what_uat_traces_to(refreshed):
    """Last (it adds runs): db_1097_identity extracted, mapped (anonymized refuses a mapping older than
    its staging), anonymized, dumped and restored into a UAT shadow again, but not swapped in: UAT
    holds what the last uat_swap swapped, not the latest uat[db]."""
    db = "db_1097_identity"
    before = trace(refreshed.instance, db, verify_files=False)  # the new dump replaces the file: not this test's point
    resources = build_resources()
    steps = ((EXTRACT, db), (AssetSelection.assets("benregid_mapping"), None), (AssetSelection.assets("anonymized"), db),
             (AssetSelection.assets("anonymized_dump", "uat"), db))
    for selection, partition in steps:
        materialize([*REFRESH_ASSETS, *ASSET_CHECKS], selection=selection, partition_key=partition, instance=refreshed.instance, resources=resources)
    after = trace(refreshed.instance, db, verify_files=False)
    shadow = refreshed.instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey("uat"), asset_partitions=[db]), limit=1).records[0]
    assert shadow.run_id != after["nodes"]["uat"]["run_id"]  # a newer uat[db] waits, not swapped in
    assert {a: n["run_id"] for a, n in after["nodes"].items()} == {a: n["run_id"] for a, n in before["nodes"].items()}
    assert all(link["ok"] for link in after["links"])
    newer = after["newer_anonymized"]
    assert newer and newer["run_id"] not in {n["run_id"] for n in before["nodes"].values()}
    assert [c["passed"] for c in newer["checks"]] == [True] * 4
    assert f"newer anonymized[{db}] not in UAT: run {newer['run_id']}" in format_trace(after)
