"""The audit report of one refresh: a dict (written as JSON) and a Markdown page for a reviewer.

Pure functions: they take what was read elsewhere (the lineage traces of ``amrit_assets.lineage``,
the masking comparison, the k-anonymity counts, the catalog's hash) and never touch a server or the
instance. Nothing here can hold a data value: the inputs are counts, column names, versions, run
ids, hashes of dump files and the key's fingerprint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

FORMAT_VERSION = 1
STAGES = ("source_schema", "raw_dump", "staging", "benregid_mapping", "anonymized", "anonymized_dump", "uat")
TRIGGER_TAGS = ("dagster/schedule_name", "dagster/sensor_name")
USER_TAGS = ("user", "dagster/user", "amrit/user")
NO_VALUES = "No data value, key or password is in this report: counts, column names, versions, run ids, hashes of dump files and the key's fingerprint only."


def plain(value: object) -> object:
    """A Dagster metadata value as plain JSON-able data."""
    value = getattr(value, "value", value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def trigger_of(tags: Mapping[str, str]) -> str:
    """Who or what started a run, from its tags: a schedule, a sensor, a user, else 'manual'."""
    if tags.get("dagster/schedule_name"):
        return f"schedule {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"sensor {tags['dagster/sensor_name']}"
    if tags.get("amrit/trigger"):
        return str(tags["amrit/trigger"])
    for key in USER_TAGS:
        if tags.get(key):
            return f"user {tags[key]}"
    return "manual"


def _stage_seconds(node: dict) -> float | None:
    parts = [node.get("step_seconds")] + list((node.get("check_seconds") or {}).values())
    parts = [p for p in parts if p is not None]
    return round(sum(parts), 3) if parts else None


def _pick(meta: dict, *keys: str) -> dict:
    return {k: meta[k] for k in keys if k in meta}


def _file_state(node: dict) -> str | None:
    if "file_sha256" not in node:
        return None
    now = node["file_sha256"]
    if now is None:
        return "missing"
    return "matches" if now == node["metadata"].get("sha256") else "differs"


def _attempt(t: dict) -> dict | None:
    """A newer anonymized[db] than the one in UAT: a refresh attempt that did not (or not yet) reach UAT."""
    node = t.get("newer_anonymized")
    if not node:
        return None
    return {"run_id": node["run_id"], "at": node["timestamp"],
            "checks": {c["check"]: c["status"] for c in node.get("checks", [])},
            "failed_checks": [c["check"] for c in node.get("checks", []) if not c["passed"]]}


def database_entry(db: str, t: dict, verified: str | None) -> dict:
    """What the report says about one database, from its lineage trace."""
    if not t.get("found"):
        return {"refreshed": False, "problem": t.get("problem", "no lineage"), "newer_attempt": _attempt(t)}
    n = t["nodes"]
    meta = {k: v.get("metadata", {}) for k, v in n.items()}
    entry: dict = {"refreshed": True}
    for asset in ("uat", "anonymized_dump", "anonymized", "staging", "raw_dump", "source_schema"):
        node = n.get(asset)
        entry[asset] = None if node is None else {"run_id": node["run_id"], "at": node["timestamp"]}
    if n.get("uat"):
        entry["uat"].update(_pick(meta["uat"], "tables", "rows", "dump_sha256", "anonymized_run"))
    if n.get("anonymized_dump"):
        entry["anonymized_dump"].update(_pick(meta["anonymized_dump"], "sha256", "bytes", "path"))
        entry["anonymized_dump"]["file"] = _file_state(n["anonymized_dump"])
    if n.get("anonymized"):
        entry["anonymized"].update(
            _pick(meta["anonymized"], "tables_changed", "rows_changed", "columns_per_strategy", "key_fingerprint", "catalog")
        )
    if n.get("staging"):
        entry["staging"].update(_pick(meta["staging"], "tables", "rows"))
    if n.get("raw_dump"):
        entry["raw_dump"].update(_pick(meta["raw_dump"], "schema_version", "tables", "sha256", "bytes"))
        entry["raw_dump"]["file"] = _file_state(n["raw_dump"])
    if n.get("source_schema"):
        entry["source_schema"].update(_pick(meta["source_schema"], "schema_version", "catalog_verified_version", "tables", "views", "columns", "schema_sha256"))
    entry["schema_version"] = meta.get("raw_dump", {}).get("schema_version")
    entry["catalog_verified_version"] = verified
    entry["stage_seconds"] = {a: _stage_seconds(n[a]) for a in STAGES if a in n and a != "benregid_mapping"}
    entry["links"] = t.get("links", [])
    entry["lineage_ok"] = all(lk["ok"] for lk in entry["links"])
    entry["newer_attempt"] = _attempt(t)
    return entry


def collect_checks(traces: Mapping[str, dict]) -> list[dict]:
    """Every check on the traced materializations, the mapping's once."""
    out, seen = [], set()
    for db, t in traces.items():
        for asset in ("source_schema", "benregid_mapping", "anonymized"):
            node = t.get("nodes", {}).get(asset)
            for c in (node or {}).get("checks", []):
                key = (asset, c["check"], c.get("partition"), node["run_id"])
                if key in seen:
                    continue
                seen.add(key)
                out.append({
                    "database": c.get("partition") or "all",
                    "asset": asset,
                    "check": c["check"],
                    "status": c["status"],
                    "passed": c["passed"],
                    "run_id": c.get("run_id"),
                    "at": c.get("timestamp"),
                    "description": c.get("description"),
                    "metadata": c.get("metadata", {}),
                })
    return out


def _mapping(traces: Mapping[str, dict]) -> dict | None:
    for t in traces.values():
        node = t.get("nodes", {}).get("benregid_mapping")
        if node:
            meta = node["metadata"]
            return {"run_id": node["run_id"], "at": node["timestamp"], "seconds": _stage_seconds(node),
                    "counts": {k: v for k, v in sorted(meta.items()) if isinstance(v, (int, float, bool))}}
    return None


def build_report(
    *,
    traces: Mapping[str, dict],
    masking: Mapping[str, dict],
    risk: dict | None,
    catalog: dict,
    key_fingerprint: str,
    audit_run: dict,
    generated_at: str,
    seconds: Mapping[str, float] | None = None,
) -> dict:
    """The whole report as plain data (see the module doc for what may be in it)."""
    databases = {db: database_entry(db, t, catalog.get("verified", {}).get(db)) for db, t in traces.items()}
    checks = collect_checks(traces)
    runs: dict[str, dict] = {}
    for t in traces.values():
        runs.update(t.get("runs", {}))
    refresh_triggers = sorted({r["trigger"] for r in runs.values()})
    fingerprints = {db: e["anonymized"].get("key_fingerprint") for db, e in databases.items() if e.get("refreshed") and e.get("anonymized")}
    masking_summary = {db: m["summary"] for db, m in masking.items()}
    not_ok = {db: s["not_ok"] for db, s in masking_summary.items() if s["not_ok"]}
    refreshed = [db for db, e in databases.items() if e.get("refreshed")]
    verdict = {
        "databases_refreshed": refreshed,
        "databases_not_refreshed": [db for db in databases if db not in refreshed],
        "checks_passed": sum(c["passed"] for c in checks),
        "checks_total": len(checks),
        "all_checks_passed": bool(checks) and all(c["passed"] for c in checks),
        "lineage_ok": bool(refreshed) and all(databases[db]["lineage_ok"] for db in refreshed),
        "key_fingerprint_consistent": all(fp == key_fingerprint for fp in fingerprints.values()),
        "attempts_not_in_uat": {db: e["newer_attempt"] for db, e in databases.items() if e.get("newer_attempt")},
        "masking_ok": bool(masking_summary) and not not_ok,
        "masking_columns_not_ok": not_ok,
        "k": (risk or {}).get("k"),
        "groups_below_threshold": (risk or {}).get("groups_below"),
    }
    return {
        "title": "amrit-anon refresh audit",
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at,
        "audit_run": audit_run,
        "triggered_by": {"audit": audit_run.get("trigger", "manual"), "refresh": refresh_triggers},
        "catalog": catalog,
        "key_fingerprint": key_fingerprint,
        "key_fingerprints_used": fingerprints,
        "verdict": verdict,
        "databases": databases,
        "mapping": _mapping(traces),
        "checks": checks,
        "masking": {db: dict(m) for db, m in masking.items()},
        "risk": risk,
        "runs": dict(sorted(runs.items(), key=lambda kv: kv[1].get("start") or "")),
        "audit_seconds": {k: round(v, 2) for k, v in (seconds or {}).items()},
        "note": NO_VALUES,
    }


# --- Markdown -------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _code(x: object) -> str:
    return "–" if x in (None, "") else f"`{x}`"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join("–" if v is None else str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return out + [""]


def render_markdown(report: dict) -> str:
    """A page a person can hand to a reviewer: verdict first, then the evidence."""
    v = report["verdict"]
    dbs = report["databases"]
    refreshed = v["databases_refreshed"]
    lines = [f"# AMRIT UAT refresh audit, {report['generated_at']}", ""]
    lines += [
        f"Triggered by: **{', '.join(report['triggered_by']['refresh']) or 'manual'}** (refresh runs); "
        f"this report by **{report['triggered_by']['audit']}** (run `{report['audit_run'].get('run_id')}`).",
        "",
        "## Verdict",
        "",
    ]
    risk = report.get("risk") or {}
    lines += _table(["question", "answer"], [
        ["databases refreshed", ", ".join(refreshed) or "none"],
        ["databases not refreshed", ", ".join(v["databases_not_refreshed"]) or "none"],
        ["newer refresh attempts not in UAT", "; ".join(
            f"{db} (run `{a['run_id']}`: " + (", ".join(f"{c} failed" for c in a["failed_checks"]) or "checks passed, not published yet") + ")"
            for db, a in v["attempts_not_in_uat"].items()) or "none"],
        ["every check passed", f"{_yes(v['all_checks_passed'])} ({v['checks_passed']}/{v['checks_total']})"],
        ["lineage complete and consistent", _yes(v["lineage_ok"])],
        ["same key everywhere", f"{_yes(v['key_fingerprint_consistent'])} (fingerprint `{report['key_fingerprint']}`)"],
        ["sample: personal columns 100 % changed, kept columns 100 % identical", _yes(v["masking_ok"])],
        ["smallest group k (year of birth, gender, district)",
         f"{risk.get('k', '–')}; {risk.get('groups_below', '–')} groups below {risk.get('threshold', 5)}" if risk else "not measured"],
    ])
    cat = report["catalog"]
    lines += ["## Catalog and key", ""]
    lines += [f"- catalog `{cat.get('path')}`, sha256 `{cat.get('sha256')}`",
              "- verified Flyway versions: " + ", ".join(f"{db} {ver}" for db, ver in sorted(cat.get("verified", {}).items())),
              f"- key fingerprint `{report['key_fingerprint']}` (identifies the key, does not reveal it)", ""]

    lines += ["## Databases", ""]
    rows = []
    for db, e in dbs.items():
        if not e.get("refreshed"):
            rows.append([db, "not refreshed", None, None, None, None, None, None])
            continue
        raw, anon, dump, uat = e.get("raw_dump") or {}, e.get("anonymized") or {}, e.get("anonymized_dump") or {}, e.get("uat") or {}
        rows.append([db, e.get("schema_version"), e.get("catalog_verified_version"), _code(raw.get("sha256")),
                     _code(dump.get("sha256")), uat.get("rows"), anon.get("tables_changed"), anon.get("rows_changed")])
    lines += _table(["database", "schema version", "catalog verified", "raw dump sha256", "anonymized dump sha256", "UAT rows",
                     "tables changed", "rows changed"], rows)

    lines += ["## Checks", ""]
    lines += _table(["database", "asset", "check", "result", "run"],
                    [[c["database"], c["asset"], c["check"], "passed" if c["passed"] else f"**{c['status'].lower()}**", _code(c["run_id"])]
                     for c in report["checks"]])

    lines += ["## Duration per stage (seconds, checks included)", ""]
    mapping = report.get("mapping") or {}
    rows = [[db] + [e.get("stage_seconds", {}).get(s) for s in STAGES if s != "benregid_mapping"] for db, e in dbs.items() if e.get("refreshed")]
    lines += _table(["database"] + [s for s in STAGES if s != "benregid_mapping"], rows)
    lines += [f"benregid_mapping (once, all databases): {mapping.get('seconds', '–')} s. "
              + "Audit: " + ", ".join(f"{k} {s} s" for k, s in report.get("audit_seconds", {}).items()), ""]

    lines += ["## Columns per strategy", ""]
    strategies = sorted({s for e in dbs.values() if e.get("refreshed") for s in ((e.get("anonymized") or {}).get("columns_per_strategy") or {})})
    lines += _table(["strategy"] + refreshed,
                    [[s] + [((dbs[db].get("anonymized") or {}).get("columns_per_strategy") or {}).get(s, 0) for db in refreshed] for s in strategies])

    lines += _masking_section(report)
    lines += _risk_section(risk)
    lines += _lineage_section(report)
    lines += ["---", "", NO_VALUES, ""]
    return "\n".join(lines)


def _masking_section(report: dict) -> list[str]:
    masking = report.get("masking") or {}
    lines = ["## Original vs masked (sample)", ""]
    if not masking:
        return lines + ["Not compared.", ""]
    any_summary = next(iter(masking.values()))["summary"]
    lines += [
        f"Up to {any_summary['sample_rows']} rows per table, the same rows on both sides (ordered by a hash of the primary key), "
        "compared by keyed hashes of each value computed on each server: no value left either server. "
        "A personal column must be changed wherever its original is not empty; a kept column must be identical. "
        "`scrub_text` only changes text that holds something to scrub, so it is reported separately.",
        "",
    ]
    rows = []
    for db, m in masking.items():
        s = m["summary"]
        rows.append([db, s["tables_compared"], s["rows_compared"],
                     f"{s['pii_columns_all_changed']}/{s['pii_columns_compared']}", _pct(s["pii_changed_share"]),
                     f"{s['keep_columns_identical']}/{s['keep_columns_compared']}", _pct(s["keep_identical_share"]),
                     f"{s['scrub_text_scrubbable_changed']}/{s['scrub_text_scrubbable']}", s["source_only_rows"]])
    lines += _table(["database", "tables", "rows", "personal columns all changed", "personal values changed",
                     "kept columns identical", "kept values identical", "scrub_text: scrubbable changed", "rows only in source"], rows)
    per: dict[str, dict[str, int]] = {}
    for m in masking.values():
        for strategy, c in m["summary"]["per_strategy"].items():
            acc = per.setdefault(strategy, {})
            for k, n in c.items():
                acc[k] = acc.get(k, 0) + n
    rows = []
    for strategy, c in sorted(per.items()):
        if strategy == "keep":
            rows.append([strategy, c["columns"], c["compared"], f"identical {_pct(c['identical'] / c['compared'] if c['compared'] else None)}"])
        elif strategy == "scrub_text":
            scrubbable = c.get("scrubbable", 0)
            rows.append([strategy, c["columns"], c["non_empty"], f"{scrubbable} held something to scrub: changed "
                         f"{_pct(c.get('scrubbable_changed', 0) / scrubbable if scrubbable else None)}"])
        else:
            rows.append([strategy, c["columns"], c["non_empty"], f"changed {_pct(c['changed'] / c['non_empty'] if c['non_empty'] else None)}"])
    lines += ["Per strategy (all databases):", ""] + _table(["strategy", "columns", "values compared (non-empty)", "result"], rows)
    attention = []
    for db, m in masking.items():
        for c in m["columns"]:
            if not c["ok"]:
                what = "identical" if c["expect"] == "identical" else "changed"
                attention.append([db, f"{c['table']}.{c['column']}", c["strategy"], c["compared"], f"{what} {_pct(c['share'])}"])
    if attention:
        lines += ["**Columns that did not meet the expectation:**", ""]
        lines += _table(["database", "column", "strategy", "rows compared", "result"], attention)
    else:
        lines += ["Every compared column met its expectation.", ""]
    skipped: dict[str, int] = {}
    for m in masking.values():
        for reason, n in m["summary"]["tables_skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + n
    if skipped:
        lines += ["Tables not compared: " + ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items())) + ".", ""]
    scrub_cols = [(db, c) for db, m in masking.items() for c in m["columns"] if c["expect"] == "scrub" and c["compared"] - c["empty"]]
    scrub = [[db, f"{c['table']}.{c['column']}", c["compared"] - c["empty"], c["scrubbable"], c["scrubbable_changed"], c["scrubbable_unchanged"],
              c["changed_without_scrubbable"]] for db, c in scrub_cols if c["scrubbable"] or c["changed_without_scrubbable"]]
    if scrub_cols:
        lines += [f"`scrub_text`: {len(scrub_cols)} columns hold text in the sample; {len(scrub_cols) - len(scrub)} of them held nothing "
                  "to scrub and were left as they were. The others:", ""]
    if scrub:
        lines += _table(["database", "column", "texts", "held something to scrub", "of those changed", "of those unchanged",
                         "changed otherwise (the row's names)"], scrub)
    return lines


def _risk_section(risk: dict) -> list[str]:
    lines = ["## Re-identification risk of what UAT keeps", ""]
    if not risk:
        return lines + ["Not measured (db_identity was not refreshed).", ""]
    lines += [
        f"Quasi-identifiers kept in UAT's {risk['database']}: year of birth, gender, district "
        f"(`{'`, `'.join(risk['quasi_identifiers'])}`), per beneficiary (`i_beneficiarymapping`).",
        "",
    ]
    lines += _table(["beneficiaries", "groups", "smallest group k", f"groups below {risk['threshold']}", "beneficiaries in them",
                     "groups of one", "with a missing part"],
                    [[risk["beneficiaries"], risk["groups"], risk["k"], risk["groups_below"],
                      f"{risk['beneficiaries_below']} ({_pct(risk.get('share_below'))})", risk["unique"], risk["with_missing_part"]]])
    if risk["k"] and risk["k"] < risk["threshold"]:
        lines += [f"k is below {risk['threshold']}: these beneficiaries can be singled out by year of birth, gender and district "
                  "alone. Consider generalizing (age bands, state instead of district) before sharing UAT more widely.", ""]
    return lines


def _lineage_section(report: dict) -> list[str]:
    lines = ["## Lineage", "", "Each UAT database back to the dump and the gate it came from (run ids, newest first). "
             "`amrit-anon lineage --db <db>` prints the same from the event log.", ""]
    for db, e in report["databases"].items():
        if not e.get("refreshed"):
            lines += [f"- **{db}**: not refreshed", ""]
            continue
        lines.append(f"- **{db}**")
        for asset in ("uat", "anonymized_dump", "anonymized", "staging", "raw_dump", "source_schema"):
            node = e.get(asset)
            if node is None:
                lines.append(f"  - {asset}: **not found**")
                continue
            extra = ""
            if asset == "anonymized_dump":
                extra = f", sha256 `{node.get('sha256')}`, file {node.get('file') or 'not verified'}"
            elif asset == "raw_dump":
                extra = f", schema version {node.get('schema_version')}, sha256 `{node.get('sha256')}`"
            lines.append(f"  - {asset}: run `{node['run_id']}` at {node['at']}{extra}")
        bad = [lk for lk in e.get("links", []) if not lk["ok"]]
        lines.append(f"  - links: {len(e.get('links', [])) - len(bad)}/{len(e.get('links', []))} hold"
                     + "".join(f"; **{lk['link']}: {lk['detail']}**" for lk in bad))
    lines.append("")
    return lines


# --- files ----------------------------------------------------------------------------------------


def stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def write_report(report: dict, markdown: str, data_dir: Path | str, timestamp: str, run_id: str = "") -> tuple[Path, Path]:
    """``<data_dir>/audit/<timestamp>/audit.json`` and ``audit.md`` (a second report in the same second gets the run id)."""
    base = Path(data_dir).resolve() / "audit"
    directory = base / timestamp
    if directory.exists() and run_id:
        directory = base / f"{timestamp}-{run_id[:8]}"
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "audit.json", directory / "audit.md"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path
