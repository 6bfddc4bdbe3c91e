"""Stage 7: the audit report of the refresh that is in UAT now, for a reviewer.

Reads the event log (the lineage of every UAT database back to its raw dump and schema gate, every
check's result, durations, who triggered the runs), compares the source with UAT on a sample of rows
(keyed hashes on each server, never a value), measures k-anonymity of the quasi-identifiers UAT
keeps, and writes ``<data_dir>/audit/<timestamp>/audit.json`` and ``audit.md``. The page is also the
asset's metadata. It reports; it does not stop anything (UAT is already published).
"""

import time
from datetime import datetime, timezone

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amrit_assets import policy
from amrit_assets.common.keys import fingerprint
from amrit_assets.common.resolve import resolve_live
from amrit_assets.audit.masking import compare_database
from amrit_assets.audit.report import build_report, render_markdown, stamp, trigger_of, write_report
from amrit_assets.audit.risk import DATABASE as RISK_DATABASE
from amrit_assets.audit.risk import k_anonymity
from amrit_assets.catalog.coverage import catalog_hash
from amrit_assets.lineage import trace
from amrit_assets.partitions import DATABASES
from amrit_assets.resources.inspect import base_tables
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


@asset(deps=["uat_swap"], group_name="refresh", kinds={"mysql"})
def audit_report(context: AssetExecutionContext, source: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """JSON + Markdown audit of the refresh in UAT: versions, catalog hash, key fingerprint, checks, masking sample, k-anonymity."""
    now = datetime.now(timezone.utc)
    seconds: dict[str, float] = {}
    start = time.monotonic()
    catalog = policy.catalog(settings)
    key_fp = fingerprint(policy.key(settings))
    traces = {db: trace(context.instance, db) for db in DATABASES}
    seconds["lineage"] = time.monotonic() - start
    refreshed = [db for db, t in traces.items() if t["found"]]

    start = time.monotonic()
    masking = {}
    risk = None
    with source.get_connection() as src, uat_server.get_connection() as dst:
        for db in refreshed:
            if not base_tables(dst, db):
                continue
            comparison = compare_database(src, dst, db, resolve_live(src, catalog, (db,)))
            masking[db] = comparison.as_dict()
            s = comparison.summary()
            context.log.info(
                f"{db}: {s['rows_compared']} rows in {s['tables_compared']} tables compared; personal values changed "
                f"{s['pii_values_changed']}/{s['pii_values_compared']}, kept values identical {s['keep_values_identical']}/{s['keep_values_compared']}"
            )
        seconds["masking"] = time.monotonic() - start
        start = time.monotonic()
        if RISK_DATABASE in refreshed:
            risk = k_anonymity(dst).as_dict()
        seconds["risk"] = time.monotonic() - start

    tags = {k: v for k, v in context.run.tags.items() if not k.startswith(".")}
    report = build_report(
        traces=traces,
        masking=masking,
        risk=risk,
        catalog={"path": catalog.source, "sha256": catalog_hash(catalog), "verified": dict(sorted(catalog.verified.items()))},
        key_fingerprint=key_fp,
        audit_run={"run_id": context.run.run_id, "job": context.run.job_name, "tags": dict(sorted(tags.items())), "trigger": trigger_of(tags)},
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        seconds=seconds,
    )
    markdown = render_markdown(report)
    json_path, md_path = write_report(report, markdown, settings.data_dir, stamp(now), context.run.run_id)
    v = report["verdict"]
    context.log.info(
        f"audit written to {md_path}: checks {v['checks_passed']}/{v['checks_total']} passed, lineage ok {v['lineage_ok']}, "
        f"masking ok {v['masking_ok']}, k {v['k']}"
    )
    totals = [m["summary"] for m in masking.values()]
    return MaterializeResult(
        metadata={
            "report": MetadataValue.md(markdown),
            "markdown": MetadataValue.path(str(md_path)),
            "json": MetadataValue.path(str(json_path)),
            "databases_refreshed": len(refreshed),
            "checks_passed": v["checks_passed"],
            "checks_total": v["checks_total"],
            "all_checks_passed": v["all_checks_passed"],
            "lineage_ok": v["lineage_ok"],
            "catalog_sha256": report["catalog"]["sha256"],
            "key_fingerprint": key_fp,
            "masking_ok": v["masking_ok"],
            "rows_compared": sum(s["rows_compared"] for s in totals),
            "pii_values_compared": sum(s["pii_values_compared"] for s in totals),
            "pii_values_changed": sum(s["pii_values_changed"] for s in totals),
            "keep_values_compared": sum(s["keep_values_compared"] for s in totals),
            "keep_values_identical": sum(s["keep_values_identical"] for s in totals),
            "k": v["k"] if v["k"] is not None else -1,
            "groups_below_k5": v["groups_below_threshold"] if v["groups_below_threshold"] is not None else -1,
            "seconds": round(sum(seconds.values()), 2),
        }
    )
