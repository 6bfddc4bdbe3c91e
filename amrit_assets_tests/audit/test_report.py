"""The report from lineage traces, masking and risk results: plain data in, JSON and Markdown out."""

from __future__ import annotations

import copy
import json

from dagster import MetadataValue

from amrit_assets.audit.report import build_report, collect_checks, plain, render_markdown, trigger_of, write_report

FP = "0123456789abcdef"
CHECKS = {
    "source_schema": ["catalog_covers_schema"],
    "benregid_mapping": ["mapping_is_bijection"],
    "anonymized": ["zero_pii_leaks", "zero_new_orphans", "row_counts_preserved", "unique_indexes_hold"],
}


def _node(asset: str, run: str, db: str | None, meta: dict, seconds: float = 1.0) -> dict:
    checks = [
        {"check": c, "asset": asset, "partition": db, "status": "SUCCEEDED", "passed": True, "run_id": run,
         "timestamp": "2026-01-01T00:00:00Z", "latest_execution": True, "description": None, "metadata": {"findings": 0}}
        for c in CHECKS.get(asset, [])
    ]
    return {"asset": asset, "partition": db, "run_id": run, "storage_id": 1, "timestamp": "2026-01-01T00:00:00Z", "metadata": meta,
            "checks": checks, "step_seconds": seconds, "check_seconds": {c["check"]: 0.5 for c in checks}}


def fake_trace(db: str, *, fp: str = FP) -> dict:
    extract, publish, mapping = f"extract-{db}", f"publish-{db}", "mapping-run"
    nodes = {
        "uat": _node("uat", publish, db, {"tables": 3, "rows": 30, "dump_sha256": "d" * 64, "anonymized_run": publish}),
        "anonymized_dump": _node("anonymized_dump", publish, db, {"sha256": "d" * 64, "bytes": 100, "path": f"/x/{db}.sql"}),
        "anonymized": _node("anonymized", publish, db, {"tables_changed": 2, "rows_changed": 20, "key_fingerprint": fp,
                                                          "columns_per_strategy": {"keep": 5, "name": 2}, "catalog": "/c"}),
        "benregid_mapping": _node("benregid_mapping", mapping, None, {"benregid_distinct_in": 9, "bijection_proved": True}),
        "staging": _node("staging", extract, db, {"tables": 3, "rows": 31}),
        "raw_dump": _node("raw_dump", extract, db, {"schema_version": "7", "sha256": "r" * 64, "bytes": 200, "path": "/raw"}),
        "source_schema": _node("source_schema", extract, db, {"schema_version": "7", "catalog_verified_version": "7"}),
    }
    nodes["anonymized_dump"]["file_sha256"] = "d" * 64
    runs = {
        extract: {"run_id": extract, "job": "extract", "tags": {"dagster/schedule_name": "weekly_refresh"}, "trigger": "schedule weekly_refresh", "start": "a"},
        mapping: {"run_id": mapping, "job": "mapping", "tags": {"dagster/sensor_name": "refresh_chain"}, "trigger": "sensor refresh_chain", "start": "b"},
        publish: {"run_id": publish, "job": "publish", "tags": {"dagster/sensor_name": "refresh_chain"}, "trigger": "sensor refresh_chain", "start": "c"},
    }
    return {"database": db, "found": True, "nodes": nodes, "runs": runs, "key_fingerprint": fp,
            "links": [{"link": "uat restored the anonymized_dump (sha256)", "ok": True, "detail": ""}]}


def fake_masking(not_ok: list[str] | None = None) -> dict:
    columns = [
        {"table": "t", "column": "nm", "strategy": "name", "expect": "changed", "compared": 10, "empty": 1, "identical": 1,
         "changed": 9, "share": 1.0, "ok": True},
        {"table": "t", "column": "city", "strategy": "keep", "expect": "identical", "compared": 10, "empty": 0, "identical": 10,
         "changed": 0, "share": 1.0, "ok": True},
        {"table": "t", "column": "notes", "strategy": "scrub_text", "expect": "scrub", "compared": 10, "empty": 0, "identical": 7,
         "changed": 3, "scrubbable": 3, "scrubbable_changed": 3, "scrubbable_unchanged": 0, "changed_without_scrubbable": 0,
         "share": 1.0, "ok": True},
    ]
    for c in columns:
        if f"{c['table']}.{c['column']}" in (not_ok or []):
            c.update(ok=False, share=0.5)
    summary = {
        "database": "db_x", "sample_rows": 1000, "tables_compared": 1, "tables_skipped": {"view": 1}, "rows_compared": 10,
        "source_only_rows": 0, "uat_only_rows": 0, "pii_columns_compared": 1, "pii_columns_all_changed": 1, "pii_values_compared": 9,
        "pii_values_changed": 9, "pii_changed_share": 1.0, "keep_columns_compared": 1, "keep_columns_identical": 1,
        "keep_values_compared": 10, "keep_values_identical": 10, "keep_identical_share": 1.0, "scrub_text_columns": 1,
        "scrub_text_scrubbable": 3, "scrub_text_scrubbable_changed": 3, "scrub_text_scrubbable_unchanged": 0, "scrub_text_other_changed": 0,
        "truncated_not_empty": [],
        "per_strategy": {"keep": {"columns": 1, "compared": 10, "non_empty": 10, "changed": 0, "identical": 10},
                         "name": {"columns": 1, "compared": 10, "non_empty": 9, "changed": 9, "identical": 1},
                         "scrub_text": {"columns": 1, "compared": 10, "non_empty": 10, "changed": 3, "identical": 7, "scrubbable": 3, "scrubbable_changed": 3}},
        "not_ok": list(not_ok or []), "seconds": 0.1,
    }
    return {"summary": summary, "skipped": {"view": ["v"]}, "columns": columns}


RISK = {"database": "db_identity", "quasi_identifiers": ["YEAR(DOB)", "GenderId", "district"], "threshold": 5, "beneficiaries": 100,
        "groups": 40, "k": 1, "groups_below": 30, "beneficiaries_below": 45, "unique": 12, "with_missing_part": 2, "seconds": 0.01,
        "share_below": 0.45}
CATALOG = {"path": "/c", "sha256": "c" * 64, "verified": {"db_a": "7", "db_b": "7"}}
AUDIT_RUN = {"run_id": "audit-run", "job": "audit", "tags": {}, "trigger": "manual"}


def _report(traces=None, masking=None, risk=RISK, fp=FP) -> dict:
    traces = traces if traces is not None else {"db_a": fake_trace("db_a"), "db_b": fake_trace("db_b")}
    masking = masking if masking is not None else {"db_a": fake_masking(), "db_b": fake_masking()}
    return build_report(traces=traces, masking=masking, risk=risk, catalog=CATALOG, key_fingerprint=fp, audit_run=AUDIT_RUN,
                        generated_at="2026-01-01T00:00:00Z", seconds={"masking": 1.234})


def test_trigger_from_run_tags():
    assert trigger_of({"dagster/schedule_name": "weekly_refresh", "amrit/refresh": "x"}) == "schedule weekly_refresh"
    assert trigger_of({"dagster/sensor_name": "refresh_chain"}) == "sensor refresh_chain"
    assert trigger_of({"amrit/trigger": "flyway_sensor"}) == "flyway_sensor"
    assert trigger_of({"user": "dba@example.org"}) == "user dba@example.org"
    assert trigger_of({"dagster/user": "asha"}) == "user asha"
    assert trigger_of({}) == trigger_of({"dagster/partition": "db_iemr"}) == "manual"


def test_plain_metadata_values():
    assert plain(MetadataValue.int(3)) == 3
    assert plain(MetadataValue.path("/a/b")) == "/a/b"
    assert plain(MetadataValue.json({"x": [1, 2]})) == {"x": [1, 2]}
    assert plain(("a", 1)) == ["a", 1]


def test_a_clean_refresh_gives_a_clean_verdict():
    r = _report()
    v = r["verdict"]
    assert v["databases_refreshed"] == ["db_a", "db_b"] and v["databases_not_refreshed"] == []
    assert (v["checks_passed"], v["checks_total"]) == (11, 11)  # 5 per database + the mapping's once
    assert v["all_checks_passed"] and v["lineage_ok"] and v["key_fingerprint_consistent"] and v["masking_ok"]
    assert v["k"] == 1 and v["groups_below_threshold"] == 30
    assert r["triggered_by"] == {"audit": "manual", "refresh": ["schedule weekly_refresh", "sensor refresh_chain"]}
    db = r["databases"]["db_a"]
    assert db["schema_version"] == "7" and db["catalog_verified_version"] == "7"
    assert db["raw_dump"]["sha256"] == "r" * 64 and db["anonymized_dump"]["file"] == "matches"
    assert db["anonymized"]["columns_per_strategy"] == {"keep": 5, "name": 2}
    assert db["stage_seconds"]["anonymized"] == 3.0  # the step and its four checks
    assert r["mapping"]["run_id"] == "mapping-run" and r["mapping"]["counts"]["benregid_distinct_in"] == 9
    json.dumps(r)  # plain data


def test_a_failed_check_a_broken_link_and_another_key_show():
    bad = fake_trace("db_b", fp="ffffffffffffffff")
    bad["nodes"]["anonymized"]["checks"][0].update(status="FAILED", passed=False)
    bad["links"].append({"link": "the anonymized dump file is still the one restored", "ok": False, "detail": "file differs"})
    r = _report(traces={"db_a": fake_trace("db_a"), "db_b": bad})
    v = r["verdict"]
    assert not v["all_checks_passed"] and v["checks_passed"] == 10
    assert not v["lineage_ok"] and not v["key_fingerprint_consistent"]
    md = render_markdown(r)
    assert "| db_b | anonymized | zero_pii_leaks | **failed** |" in md
    assert "**the anonymized dump file is still the one restored: file differs**" in md
    assert "| every check passed | **NO** (10/11) |" in md


def test_a_database_without_lineage_is_not_refreshed():
    r = _report(traces={"db_a": fake_trace("db_a"), "db_b": {"database": "db_b", "found": False, "problem": "never"}},
                masking={"db_a": fake_masking()})
    assert r["verdict"]["databases_not_refreshed"] == ["db_b"]
    assert r["databases"]["db_b"] == {"refreshed": False, "problem": "never", "newer_attempt": None}
    assert r["verdict"]["lineage_ok"] and r["verdict"]["attempts_not_in_uat"] == {}
    md = render_markdown(r)
    assert "- **db_b**: not refreshed" in md and "| newer refresh attempts not in UAT | none |" in md


def test_a_blocked_attempt_behind_the_uat_state_is_shown():
    blocked = fake_trace("db_b")["nodes"]["anonymized"]
    blocked = {**blocked, "run_id": "blocked-run", "checks": [dict(c) for c in blocked["checks"]]}
    blocked["checks"][0].update(status="FAILED", passed=False)
    never = {"database": "db_b", "found": False, "problem": "never", "newer_anonymized": blocked}
    newer_ok = fake_trace("db_a")
    newer_ok["newer_anonymized"] = {**newer_ok["nodes"]["anonymized"], "run_id": "next-run"}
    r = _report(traces={"db_a": newer_ok, "db_b": never}, masking={"db_a": fake_masking()})
    attempts = r["verdict"]["attempts_not_in_uat"]
    assert attempts["db_b"]["failed_checks"] == ["zero_pii_leaks"] and attempts["db_b"]["checks"]["zero_pii_leaks"] == "FAILED"
    assert attempts["db_a"]["failed_checks"] == [] and attempts["db_a"]["run_id"] == "next-run"
    md = render_markdown(r)
    assert "db_a (run `next-run`: checks passed, not published yet); db_b (run `blocked-run`: zero_pii_leaks failed)" in md


def test_masking_failures_are_listed():
    r = _report(masking={"db_a": fake_masking(["t.nm"]), "db_b": fake_masking()})
    assert not r["verdict"]["masking_ok"]
    assert r["verdict"]["masking_columns_not_ok"] == {"db_a": ["t.nm"]}
    md = render_markdown(r)
    assert "**Columns that did not meet the expectation:**" in md
    assert "| db_a | t.nm | name | 10 | changed 50.0 % |" in md


def test_markdown_is_a_page_for_a_reviewer():
    md = render_markdown(_report())
    for heading in ("# AMRIT UAT refresh audit", "## Verdict", "## Catalog and key", "## Databases", "## Checks",
                    "## Duration per stage", "## Columns per strategy", "## Original vs masked (sample)",
                    "## Re-identification risk of what UAT keeps", "## Lineage"):
        assert heading in md, heading
    assert f"sha256 `{'c' * 64}`" in md and f"`{FP}`" in md
    assert "| scrub_text | 2 | 20 | 6 held something to scrub: changed 100.0 % |" in md
    assert "| 100 | 40 | 1 | 30 | 45 (45.0 %) | 12 | 2 |" in md
    assert "Every compared column met its expectation." in md
    assert "Triggered by: **schedule weekly_refresh, sensor refresh_chain**" in md


def test_no_risk_and_no_masking_still_render():
    r = _report(masking={}, risk=None)
    md = render_markdown(r)
    assert "Not measured" in md and "Not compared." in md
    assert not r["verdict"]["masking_ok"]


def test_checks_are_collected_once_per_execution():
    traces = {"db_a": fake_trace("db_a"), "db_b": fake_trace("db_b")}
    checks = collect_checks(traces)
    assert sum(c["check"] == "mapping_is_bijection" for c in checks) == 1
    assert {c["database"] for c in checks} == {"db_a", "db_b", "all"}


def test_report_files(tmp_path):
    r = _report()
    md = render_markdown(r)
    j, m = write_report(r, md, tmp_path, "20260101T000000Z", "abcdef1234")
    assert j == tmp_path / "audit" / "20260101T000000Z" / "audit.json"
    assert json.loads(j.read_text())["verdict"] == r["verdict"]
    assert m.read_text() == md
    j2, _ = write_report(copy.deepcopy(r), md, tmp_path, "20260101T000000Z", "abcdef1234")
    assert j2.parent.name == "20260101T000000Z-abcdef12"
