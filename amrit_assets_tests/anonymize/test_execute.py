"""Anonymizing on several connections gives exactly what one connection gives (CHECKSUM TABLE per table)."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance

from amrit_assets.demo.environment import demo_environment, patched_environ
from amrit_assets.partitions import DATABASES
from amrit_assets.refresh import run_refresh
from amrit_assets.resources import build_resources
from amrit_assets_tests.conftest import checksum

pytestmark = pytest.mark.integration


def test_two_workers_anonymize_exactly_as_one(tmp_path):
    with demo_environment(beneficiaries=150, data_dir=tmp_path) as demo:
        workspace = demo.servers["workspace"]
        source = {db: checksum(demo.servers["source"], db) for db in DATABASES}
        result = {}
        for workers in (1, 2):
            # each refresh stages production again and anonymizes it with the same key
            with patched_environ({"AMRIT_PARALLELISM": str(workers)}), DagsterInstance.ephemeral() as instance:
                run_refresh(instance, build_resources(), publish_uat=False)
                for record in instance.fetch_materializations(AssetKey("anonymized"), limit=10).records:
                    assert record.asset_materialization.metadata["workers"].value == workers
            result[workers] = {db: checksum(workspace, db) for db in DATABASES}
        for db in DATABASES:
            assert result[1][db] == result[2][db], db
            assert len(result[1][db]) == len(source[db]), db
        changed = sum(a != b for db in DATABASES for a, b in zip(result[1][db], source[db]))
        assert changed > 50, "anonymizing changed (almost) nothing: the comparison would prove nothing"
