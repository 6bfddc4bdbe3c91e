"""Which refresh put this data in UAT, and which checks passed: traced through Dagster's event log.

``trace(instance, db)`` starts at the latest ``uat_swap`` that swapped ``db`` into UAT (what UAT
holds is what a swap swapped, not the latest ``uat[db]``, whose shadow may still wait) and walks the
graph back to the raw dump and the catalog, using what each asset recorded (never a data value).
"Read" is the input pointer Dagster records on each materialization (``amrit_assets.eventlog``):
exact also when another run materialized the upstream while the step ran.

- ``uat[db]``: the one ``uat_swap`` read (the shadow it swapped in);
- ``anonymized[db]``: the materialization of the run ``uat`` recorded as ``anonymized_run`` (the one
  whose checks it verified), with its four checks' results on exactly that materialization;
- ``anonymized_dump[db]``: the one ``uat`` read, whose sha256 must be the ``dump_sha256`` uat
  restored (and, when the file is still there, the file's sha256 now);
- ``benregid_mapping``: the one ``anonymized`` read (what its guard accepted), with its check;
- ``staging[db]``: the one ``anonymized`` read (anonymizing requires a fresh staging);
- ``raw_dump[db]``: the one ``staging`` read (what staging restored), schema version and sha256;
- ``source_schema[db]``: the one ``raw_dump`` read, with the schema gate's result;
- ``audit_report``: the first one after the ``uat_swap``, for the catalog hash and key fingerprint.

``newer_anonymized`` is the latest ``anonymized[db]`` when it is newer than the one in UAT (or when
nothing reached UAT): a refresh attempt that did not (or not yet) reach UAT, with its checks' results,
so a blocked refresh is not hidden behind the older UAT state.

"Before" and "after" are event-log order (storage ids), not clocks. Each link that must hold is
listed under ``links`` with whether it does. ``amrit-anon lineage [--db db_iemr] [--json]`` (or
``python -m amrit_assets.lineage``) prints it for each database (``DAGSTER_HOME`` must point at the
instance the refreshes ran in).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from dagster import DagsterInstance

from amrit_assets.audit.report import plain, trigger_of
from amrit_assets.checks.refresh_checks import ANONYMIZED_CHECKS
from amrit_assets.eventlog import SUCCEEDED, check_executions, evaluated, latest, read_by
from amrit_assets.partitions import DATABASES
from amrit_assets.resources.dumps import file_sha256

CHECKS = {"anonymized": ANONYMIZED_CHECKS, "source_schema": ("catalog_covers_schema",), "benregid_mapping": ("mapping_is_bijection",)}
CHAIN = ("uat", "anonymized_dump", "anonymized", "benregid_mapping", "staging", "raw_dump", "source_schema")
PARTITIONED = {"uat", "anonymized_dump", "anonymized", "staging", "raw_dump", "source_schema"}
OMIT_METADATA = {"table_names", "report"}  # long lists or the audit page itself: not lineage


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


# --- reading the event log ------------------------------------------------------------------------


def _metadata(record) -> dict:
    mat = record.asset_materialization
    if mat is None:
        return {}
    return {k: plain(v) for k, v in mat.metadata.items() if k not in OMIT_METADATA}


def _check_result(instance: DagsterInstance, asset: str, check: str, partition: str | None, record) -> dict:
    """The execution of one check on the traced materialization (its run, its storage id), or 'not run'."""
    first = True
    for rec in check_executions(instance, asset, check, partition):
        if evaluated(rec, record):
            evaluation = rec.evaluation
            return {
                "check": check,
                "asset": asset,
                "partition": partition,
                "status": rec.status.value,
                "passed": rec.status.value == SUCCEEDED,
                "run_id": rec.run_id,
                "timestamp": iso(rec.create_timestamp),
                "latest_execution": first,
                "description": getattr(evaluation, "description", None),
                "metadata": {k: plain(v) for k, v in (evaluation.metadata.items() if evaluation else [])},
            }
        first = False
    return {"check": check, "asset": asset, "partition": partition, "status": "NOT RUN", "passed": False, "run_id": None,
            "timestamp": None, "latest_execution": False, "description": f"no execution in run {record.run_id}", "metadata": {}}


class _Runs:
    """Run facts (job, tags, trigger, step durations), read once per run."""

    def __init__(self, instance: DagsterInstance):
        self.instance = instance
        self.runs: dict[str, dict] = {}
        self._steps: dict[str, dict[str, float]] = {}

    def add(self, run_id: str) -> None:
        if run_id in self.runs:
            return
        record = self.instance.get_run_record_by_id(run_id)
        run = record.dagster_run if record else None
        tags = {k: v for k, v in (run.tags.items() if run else []) if not k.startswith(".")}
        self.runs[run_id] = {
            "run_id": run_id,
            "job": run.job_name if run else None,
            "status": run.status.value if run else None,
            "tags": dict(sorted(tags.items())),
            "trigger": trigger_of(tags),
            "start": iso(record.start_time) if record else None,
            "end": iso(record.end_time) if record else None,
        }

    def steps(self, run_id: str) -> dict[str, float]:
        if run_id not in self._steps:
            self._steps[run_id] = {
                s.step_key: round(s.end_time - s.start_time, 3)
                for s in self.instance.get_run_step_stats(run_id)
                if s.start_time and s.end_time
            }
        return self._steps[run_id]


def _node(instance: DagsterInstance, runs: _Runs, asset: str, record, partition: str | None) -> dict:
    runs.add(record.run_id)
    steps = runs.steps(record.run_id)
    checks = [_check_result(instance, asset, c, partition, record) for c in CHECKS.get(asset, ())]
    return {
        "asset": asset,
        "partition": partition,
        "run_id": record.run_id,
        "storage_id": record.storage_id,
        "timestamp": iso(record.timestamp),
        "metadata": _metadata(record),
        "checks": checks,
        "step_seconds": steps.get(asset),
        "check_seconds": {c["check"]: steps.get(f"{asset}_{c['check']}") for c in checks},
    }


def _newer_anonymized(instance: DagsterInstance, runs: _Runs, db: str, than: int | None) -> dict | None:
    newest = latest(instance, "anonymized", db)
    if newest is None or (than is not None and newest.storage_id <= than):
        return None
    return _node(instance, runs, "anonymized", newest, db)


def trace(instance: DagsterInstance, db: str, *, verify_files: bool = True) -> dict:
    """The lineage of what UAT holds for ``db`` now (the last ``uat_swap`` of it), back to the raw dump and the catalog."""
    runs = _Runs(instance)
    out: dict = {"database": db, "found": False, "nodes": {}, "links": [], "runs": runs.runs, "newer_anonymized": None}
    swap = latest(instance, "uat_swap", None, match=lambda r: db in (_metadata(r).get("databases") or ()))
    uat = read_by(instance, swap, "uat", db) if swap is not None else None
    if uat is None:
        out["problem"] = f"no uat_swap has swapped {db} into UAT in this instance"
        out["newer_anonymized"] = _newer_anonymized(instance, runs, db, None)
        return out
    out["found"] = True
    nodes = out["nodes"]
    nodes["uat_swap"] = _node(instance, runs, "uat_swap", swap, None)
    nodes["uat"] = _node(instance, runs, "uat", uat, db)
    uat_meta = nodes["uat"]["metadata"]
    links = out["links"]

    def link(name: str, ok: bool, detail: str = "") -> None:
        links.append({"link": name, "ok": bool(ok), "detail": detail})

    anonymized_run = uat_meta.get("anonymized_run")
    anonymized = latest(instance, "anonymized", db, before=uat.storage_id, match=lambda r: r.run_id == anonymized_run)
    dump = read_by(instance, uat, "anonymized_dump", db)
    if dump is not None:
        nodes["anonymized_dump"] = _node(instance, runs, "anonymized_dump", dump, db)
        d = nodes["anonymized_dump"]["metadata"]
        link("uat restored the anonymized_dump (sha256)", d.get("sha256") == uat_meta.get("dump_sha256"),
             f"{d.get('sha256')} vs {uat_meta.get('dump_sha256')}")
        link("anonymized_dump was made from the anonymized run uat checked", d.get("anonymized_run") == anonymized_run,
             f"{d.get('anonymized_run')} vs {anonymized_run}")
        if verify_files:
            path = Path(str(d.get("path", "")))
            now = file_sha256(path) if d.get("path") and path.is_file() else None
            nodes["anonymized_dump"]["file_sha256"] = now
            link("the anonymized dump file is still the one restored", now == d.get("sha256"),
                 "file missing" if now is None else ("matches" if now == d.get("sha256") else "file differs (a later dump replaced it)"))
    else:
        link("uat restored the anonymized_dump (sha256)", False, f"no anonymized_dump[{db}] preceded uat (sha256 {uat_meta.get('dump_sha256')})")
    if anonymized is None:
        link("uat's anonymized run is in the event log", False, f"no anonymized[{db}] materialization in run {anonymized_run}")
        return out
    nodes["anonymized"] = _node(instance, runs, "anonymized", anonymized, db)
    out["newer_anonymized"] = _newer_anonymized(instance, runs, db, anonymized.storage_id)
    link("every check passed on the anonymized materialization uat used", all(c["passed"] for c in nodes["anonymized"]["checks"]),
         ", ".join(f"{c['check']} {c['status'].lower()}" for c in nodes["anonymized"]["checks"]))

    mapping = read_by(instance, anonymized, "benregid_mapping", None)
    if mapping is not None:
        nodes["benregid_mapping"] = _node(instance, runs, "benregid_mapping", mapping, None)
        link("mapping_is_bijection passed on the mapping anonymized used", all(c["passed"] for c in nodes["benregid_mapping"]["checks"]))
    else:
        link("a benregid_mapping preceded anonymized", False)

    staging = read_by(instance, anonymized, "staging", db)
    if staging is None:
        link("a staging preceded anonymized", False)
        return out
    nodes["staging"] = _node(instance, runs, "staging", staging, db)
    raw = read_by(instance, staging, "raw_dump", db)
    if raw is None:
        link("a raw_dump preceded staging", False)
        return out
    nodes["raw_dump"] = _node(instance, runs, "raw_dump", raw, db)
    if verify_files:
        r = nodes["raw_dump"]["metadata"]
        path = Path(str(r.get("path", "")))
        nodes["raw_dump"]["file_sha256"] = file_sha256(path) if r.get("path") and path.is_file() else None
    schema = read_by(instance, raw, "source_schema", db)
    if schema is None:
        link("a source_schema (schema gate) preceded raw_dump", False)
    else:
        nodes["source_schema"] = _node(instance, runs, "source_schema", schema, db)
        link("the schema gate passed on the source_schema raw_dump followed", all(c["passed"] for c in nodes["source_schema"]["checks"]))
        link("raw_dump's schema version is the gated one",
             nodes["source_schema"]["metadata"].get("schema_version") == nodes["raw_dump"]["metadata"].get("schema_version"),
             f"{nodes['source_schema']['metadata'].get('schema_version')} / {nodes['raw_dump']['metadata'].get('schema_version')}")

    audit = latest(instance, "audit_report", None, after=swap.storage_id)
    if audit is not None:
        nodes["audit_report"] = _node(instance, runs, "audit_report", audit, None)
    a_meta = nodes.get("audit_report", {}).get("metadata", {})
    fingerprint = nodes["anonymized"]["metadata"].get("key_fingerprint")
    out["key_fingerprint"] = fingerprint
    out["catalog"] = {
        "path": nodes["anonymized"]["metadata"].get("catalog"),
        "sha256": nodes["anonymized"]["metadata"].get("catalog_sha256") or a_meta.get("catalog_sha256"),
        "from": "anonymized" if nodes["anonymized"]["metadata"].get("catalog_sha256") else ("audit_report" if a_meta else None),
    }
    if a_meta:
        link("the audit_report after uat used the same key", a_meta.get("key_fingerprint") == fingerprint,
             f"{a_meta.get('key_fingerprint')} vs {fingerprint}")
    return out


def trace_all(instance: DagsterInstance, databases: Iterable[str] = DATABASES, *, verify_files: bool = True) -> dict[str, dict]:
    return {db: trace(instance, db, verify_files=verify_files) for db in databases}


# --- printing ----------------------------------------------------------------------------------------


def _short(value: object, n: int = 12) -> str:
    text = str(value) if value is not None else "-"
    return text[:n] + "…" if len(text) > n + 1 else text


def _checks(node: dict) -> str:
    return ", ".join(f"{c['check']} {'passed' if c['passed'] else c['status'].lower()}" for c in node.get("checks", []))


def format_trace(t: dict) -> str:
    """The trace as a person reads it: newest first, each step one line, then the links."""
    db = t["database"]
    newer = t.get("newer_anonymized")
    attempt = ""
    if newer:
        attempt = (f"  newer anonymized[{db}] not in UAT: run {newer['run_id']} at {newer['timestamp']}; checks: {_checks(newer)}\n")
    if not t["found"]:
        return f"{db}: {t.get('problem', 'no lineage')}\n" + attempt
    n = t["nodes"]
    runs = t["runs"]
    lines = [f"{db}"]

    def row(asset: str, detail: str) -> None:
        node = n.get(asset)
        if node is None:
            lines.append(f"  {'←' if asset != 'uat_swap' else ' '} {asset:17s} (not found)")
            return
        trig = runs.get(node["run_id"], {}).get("trigger", "")
        arrow = " " if asset == "uat_swap" else "←"
        lines.append(f"  {arrow} {asset:17s} {node['timestamp']}  run {node['run_id']}  [{trig}]")
        if detail:
            lines.append(f"      {detail}")

    meta = {k: v.get("metadata", {}) for k, v in n.items()}
    u, d, a, m, s, r, g = (meta.get(k, {}) for k in CHAIN)
    row("uat_swap", f"swapped {', '.join(meta.get('uat_swap', {}).get('databases') or [])} into UAT in one RENAME TABLE")
    row("uat", f"tables {u.get('tables')}, rows {u.get('rows')}, restored dump sha256 {u.get('dump_sha256')}")
    file_state = ""
    if "anonymized_dump" in n and "file_sha256" in n["anonymized_dump"]:
        fs = n["anonymized_dump"]["file_sha256"]
        file_state = "  (file matches)" if fs == d.get("sha256") else ("  (file missing)" if fs is None else "  (file differs now)")
    row("anonymized_dump", f"sha256 {d.get('sha256')}, {d.get('bytes')} bytes, {d.get('path')}{file_state}")
    row("anonymized", f"key fingerprint {a.get('key_fingerprint')}, rows changed {a.get('rows_changed')}; checks: {_checks(n.get('anonymized', {}))}")
    row("benregid_mapping", f"checks: {_checks(n.get('benregid_mapping', {}))}")
    row("staging", f"tables {s.get('tables')}, rows {s.get('rows')}")
    row("raw_dump", f"schema version {r.get('schema_version')}, sha256 {r.get('sha256')}, {r.get('bytes')} bytes")
    row("source_schema", f"schema version {g.get('schema_version')} (catalog verified {g.get('catalog_verified_version')}); gate: {_checks(n.get('source_schema', {}))}")
    cat = t.get("catalog") or {}
    lines.append(f"  catalog {cat.get('path')}  sha256 {cat.get('sha256') or '(no audit_report after this uat yet)'}")
    lines.append(f"  key fingerprint {t.get('key_fingerprint')}")
    if "audit_report" in n:
        lines.append(f"  audit report {n['audit_report']['metadata'].get('markdown')}  (run {_short(n['audit_report']['run_id'], 8)})")
    bad = [lk for lk in t["links"] if not lk["ok"]]
    lines.append(f"  links: {len(t['links']) - len(bad)}/{len(t['links'])} hold" + ("" if not bad else ":"))
    for lk in bad:
        lines.append(f"    ✗ {lk['link']}: {lk['detail']}")
    return "\n".join(lines) + "\n" + attempt


def print_lineage(databases: Iterable[str], as_json: bool = False, verify_files: bool = True) -> int:
    """What ``amrit-anon lineage`` prints: 0 when every database has a complete lineage, else 1."""
    with DagsterInstance.get() as instance:
        traces = trace_all(instance, databases, verify_files=verify_files)
    if as_json:
        json.dump(traces, sys.stdout, indent=2, sort_keys=True, default=str)
        print()
    else:
        print("\n".join(format_trace(t) for t in traces.values()), end="")
    return 0 if all(t["found"] and all(lk["ok"] for lk in t["links"]) for t in traces.values()) else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m amrit_assets.lineage``, as README shows it: an alias of ``amrit-anon lineage``."""
    from amrit_assets.cli import main as amrit_anon

    return amrit_anon(["lineage", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
