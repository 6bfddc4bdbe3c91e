"""Configuration from the environment: a variable left unset is one sentence naming it, in every place a
DBA meets it (the CLI, the first step of a run in the UI), and never a default server."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, Definitions, Failure

from amrit_assets import policy
from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.common.keys import AnonKeyError
from amrit_assets.failures import describe_run_failure, reason_line
from amrit_assets.jobs import JOBS
from amrit_assets.resources import ROLES, build_resources, configuration_problem, missing_server_setting, server_address, server_resource
from amrit_assets.resources.mysql import ServerConnectionError, connect

NO_SOURCE_HOST = "AMRIT_SOURCE_HOST (or AMRIT_SOURCE_SOCKET) is not set: a refresh never falls back to a default server"
KEY = "init-test-key-0123456789"  # a test fixture, not a secret


def configured() -> dict[str, str]:
    # hosts that resolve nowhere (.invalid): nothing below may get as far as connecting
    return {
        "AMRIT_ANON_KEY": KEY,
        **{f"AMRIT_{role.upper()}_{var}": value for role in ROLES for var, value in (("HOST", f"{role}.invalid"), ("USER", "amrit"), ("PASSWORD", "pw"))},
    }


@pytest.fixture
def env(monkeypatch):
    """The process environment as ``configured()``, every other AMRIT_ server variable removed."""
    for role in ROLES:
        for var in ("HOST", "PORT", "USER", "PASSWORD", "SOCKET"):
            monkeypatch.delenv(f"AMRIT_{role.upper()}_{var}", raising=False)
    for name, value in configured().items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_each_missing_variable_is_one_sentence_naming_it():
    full = configured()
    assert missing_server_setting(full) is None and configuration_problem(full) is None
    without = lambda name: {k: v for k, v in full.items() if k != name}  # noqa: E731
    assert missing_server_setting(without("AMRIT_SOURCE_HOST")) == NO_SOURCE_HOST
    assert missing_server_setting({**without("AMRIT_SOURCE_HOST"), "AMRIT_SOURCE_SOCKET": "/run/mysqld/mysqld.sock"}) is None
    assert missing_server_setting(without("AMRIT_UAT_USER")) == "AMRIT_UAT_USER is not set: name the account it connects as (a refresh never assumes root)"
    assert missing_server_setting(without("AMRIT_WORKSPACE_PASSWORD")) == "AMRIT_WORKSPACE_PASSWORD is not set (set it empty for socket authentication)"
    assert missing_server_setting({**full, "AMRIT_WORKSPACE_PASSWORD": ""}) is None, "empty is a choice (socket authentication)"
    assert missing_server_setting({**full, "AMRIT_UAT_PORT": "33o6"}) == "AMRIT_UAT_PORT='33o6' is not a port number"
    assert configuration_problem(without("AMRIT_ANON_KEY")).startswith("no anonymization key: set AMRIT_ANON_KEY")
    assert missing_server_setting(without("AMRIT_UAT_HOST"), ["source"]) is None, "only the roles asked about"


def test_an_unset_host_connects_nowhere(env):
    env.delenv("AMRIT_SOURCE_HOST")
    resource = server_resource("source")
    assert resource.host == "" and resource.unconfigured == NO_SOURCE_HOST
    with pytest.raises(Failure) as failure:
        resource.connect()
    assert failure.value.description == NO_SOURCE_HOST
    with pytest.raises(ServerConnectionError, match=r"^AMRIT_SOURCE_HOST \(or AMRIT_SOURCE_SOCKET\) is not set"):
        connect(server_address("source"))  # the CLI's commands (preflight, uat status) say the same
    env.setenv("AMRIT_SOURCE_PORT", "3307")
    env.setenv("AMRIT_SOURCE_HOST", "db.invalid")
    assert server_resource("source").address.port == 3307 and server_resource("workspace").address.port == 3306


def test_a_missing_key_in_a_run_is_a_failure_and_still_an_anon_key_error(env):
    env.delenv("AMRIT_ANON_KEY")
    settings = build_resources()["settings"]
    with pytest.raises(Failure) as failure:
        policy.key(settings)
    assert isinstance(failure.value, AnonKeyError) and failure.value.description.startswith("no anonymization key: set AMRIT_ANON_KEY")


def _run(job: str, partition: str | None = None):
    defs = Definitions(assets=REFRESH_ASSETS, asset_checks=ASSET_CHECKS, jobs=JOBS, resources=build_resources())
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def(job).execute_in_process(instance=instance, partition_key=partition, raise_on_error=False)
    return instance, result


def test_a_run_from_the_ui_fails_at_its_first_step_with_the_sentence(env):
    env.delenv("AMRIT_SOURCE_HOST")
    env.delenv("AMRIT_UAT_PASSWORD")  # an unset EnvVar would have failed the run with Dagster's own trace
    instance, result = _run("schema_gate", "db_iemr")
    assert not result.success
    failure = describe_run_failure(instance, result.run_id)
    assert failure.failed_steps == ["source_schema"] and failure.error_types == ["Failure"]
    assert failure.first_error.strip() == f"dagster._core.definitions.events.Failure: {NO_SOURCE_HOST}"
    [step_failure] = [e for e in result.all_events if e.is_step_failure]
    assert step_failure.step_failure_data.user_failure_data.description == NO_SOURCE_HOST
    assert NO_SOURCE_HOST in reason_line(failure), "the CLI's one line"

    # the one launch of the whole refresh says it before any step of its own, and starts no run
    instance, result = _run("refresh")
    assert not result.success
    [step_failure] = [e for e in result.all_events if e.is_step_failure]
    assert step_failure.step_failure_data.user_failure_data.description == NO_SOURCE_HOST
    assert [r.job_name for r in instance.get_runs()] == ["refresh"]
