"""The code location loads, and its asset graph matches the reviewed snapshot."""

import json
import os
from pathlib import Path

from amrit_assets.definitions import defs
from amrit_assets.partitions import DATABASES

from amrit_assets.checks import ASSET_CHECKS  # noqa: E402

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def graph_snapshot() -> dict:
    graph = defs.resolve_asset_graph()
    out = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def.get_partition_keys() if node.partitions_def else None
        out[key.to_user_string()] = {
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitions": partitions,
            "group": node.group_name,
            "checks": sorted(
                f"{spec.name}{' (blocking)' if spec.blocking else ''}"
                for check in ASSET_CHECKS
                for spec in check.check_specs
                if spec.asset_key == key
            ),
        }
    return out


def test_definitions_load_with_jobs_and_resources():
    assert {j for j in ("extract", "mapping", "publish") if defs.resolve_job_def(j)} == {"extract", "mapping", "publish"}
    assert {"source", "workspace", "uat_server", "settings"} <= set(defs.resources)


def test_asset_graph_matches_snapshot():
    snap = graph_snapshot()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(snap, indent=2) + "\n")
    assert snap == json.loads(SNAPSHOT.read_text()), "asset graph changed: review, then rerun with UPDATE_SNAPSHOTS=1"
    chain = ["raw_dump", "staging", "benregid_mapping", "anonymized", "anonymized_dump", "uat"]
    for up, down in zip(chain, chain[1:]):
        assert up in snap[down]["deps"]
    assert snap["benregid_mapping"]["partitions"] is None
    assert all(snap[a]["partitions"] == list(DATABASES) for a in chain if a != "benregid_mapping")
