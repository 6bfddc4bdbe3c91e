"""What a materialization read, from the pointers Dagster records: exact when another run overlaps.

Real Dagster runs on an ephemeral instance (no database needed): ``down[a]``'s step starts a second
run that materializes ``up[a]`` again while it runs, as a concurrent extract would.
"""

from __future__ import annotations

import pytest
from dagster import AssetCheckResult, DagsterInstance, StaticPartitionsDefinition, asset, asset_check, materialize

from amrit_assets.checks.guard import ChecksNotPassed, require_checks_passed
from amrit_assets.eventlog import check_executions, evaluated, latest, read_by

pytestmark = pytest.mark.filterwarnings("ignore::dagster.PreviewWarning")  # partitioned checks, as the project uses

PARTS = StaticPartitionsDefinition(["a", "b"])


@asset(partitions_def=PARTS)
def up() -> None:
    return None


@asset(partitions_def=PARTS, deps=["up"])
def down(context) -> None:
    if context.partition_key == "a":
        materialize([up], partition_key="a", instance=context.instance)  # another run, while this step runs


@asset_check(asset=down, partitions_def=PARTS)
def holds(context) -> AssetCheckResult:
    return AssetCheckResult(passed=context.partition_key == "a")


def test_read_by_picks_what_the_step_read_not_the_newest_before_it():
    with DagsterInstance.ephemeral() as instance:
        first = materialize([up], partition_key="a", instance=instance).run_id
        materialize([up], partition_key="b", instance=instance)  # the pointer is of any partition: b is newer
        run = materialize([up, down, holds], selection=[down, holds], partition_key="a", instance=instance).run_id
        record = latest(instance, "down", "a")
        assert record is not None and record.run_id == run
        concurrent = latest(instance, "up", "a", before=record.storage_id)
        assert concurrent is not None and concurrent.run_id not in (first, run)  # what "newest before" would pick
        read = read_by(instance, record, "up", "a")
        assert read is not None and read.run_id == first
        assert read_by(instance, record, "up", "b").run_id != first  # the partition is respected


def test_check_executions_are_per_partition_and_on_the_exact_materialization():
    with DagsterInstance.ephemeral() as instance:
        materialize([up], partition_key="b", instance=instance)
        for part in ("a", "b"):
            materialize([up, down, holds], selection=[down, holds], partition_key=part, instance=instance, raise_on_error=False)
        for part, status in (("a", "SUCCEEDED"), ("b", "FAILED")):
            executions = list(check_executions(instance, "down", "holds", part))
            assert [r.status.value for r in executions] == [status]
            assert evaluated(executions[0], latest(instance, "down", part))
        assert require_checks_passed(instance, "down", ["holds"], "a") == latest(instance, "down", "a").run_id
        with pytest.raises(ChecksNotPassed, match=r"holds failed on the latest down\[b\]"):
            require_checks_passed(instance, "down", ["holds"], "b")
        materialize([up, down], selection=[down], partition_key="a", instance=instance)  # a newer down[a], its check not run
        with pytest.raises(ChecksNotPassed, match=r"holds has not run on the latest down\[a\]"):
            require_checks_passed(instance, "down", ["holds"], "a")
