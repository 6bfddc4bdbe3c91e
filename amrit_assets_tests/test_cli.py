"""The ``amrit-anon`` command tree (click): every command's help, bad input, and cheap commands end to end.

The commands that need servers and a refresh (demo, refresh, preflight, uat) run end to end in
test_cli_refresh.py, test_cli_ops.py and test_cli_demo_ui.py; the catalog's own cases in catalog/test_cli.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from amrit_assets.cli import cli, main
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import CATALOG_DIR, ROOT

# What README.md, the run script and the Jenkinsfile spell out, per command.
DOCUMENTED = {
    ("demo",): {"--beneficiaries", "--seed", "--verbose", "--ui", "--port", "--from-migrations", "--data-dir"},
    ("refresh",): {"--databases", "--no-uat", "--audit-dir", "--verbose"},
    ("preflight",): {"--databases"},
    ("uat", "status"): {"--databases"},
    ("uat", "rollback"): {"--databases"},
    ("lineage",): {"--db", "--json", "--no-verify-files"},
    ("bench",): {"--sizes", "--seed", "--json", "--base-max", "--buffer-pool", "--top"},
    ("bench", "refresh"): {"--sizes", "--workers", "--seed", "--json"},
    ("generate",): {"--beneficiaries", "--seed", "--explain", "--derive-kinds"},
    ("catalog", "check"): {"--catalog", "--host", "--port", "--user", "--socket", "--password-env"},
    ("catalog", "resolve"): {"--catalog", "--host", "--port", "--user", "--socket", "--password-env", "--from-ddl", "--write", "--out"},
}


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Every command of the tree that runs, by its path, e.g. ("catalog", "check"); a group that runs
    without a subcommand (``bench``) is one too."""
    out: dict[tuple[str, ...], click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out |= commands(command, (*path, name))
            if command.invoke_without_command:
                out[(*path, name)] = command
        else:
            out[(*path, name)] = command
    return out


def run(*args: str, **env: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), env=env or None)


def test_the_tree_has_every_documented_command():
    assert set(commands()) == set(DOCUMENTED)


@pytest.mark.parametrize("path", sorted(DOCUMENTED), ids=" ".join)
def test_help_of_each_command_lists_its_options(path):
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: amrit-anon {' '.join(path)} [OPTIONS]")
    declared = {opt for p in commands()[path].params if isinstance(p, click.Option) for opt in p.opts}
    assert DOCUMENTED[path] <= declared, "README documents these options"
    listed = set(re.findall(r"^\s+(--[a-z-]+)", result.output, re.M))
    assert declared - {"--help"} <= listed, "every option shows in --help"


def test_the_top_help_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    assert {name for (name, *_) in DOCUMENTED} <= set(re.findall(r"^  ([a-z]+) ", result.output, re.M))


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("refresh", "--databases", "db_iemr,db_prod"), "Invalid value for '--databases': unknown database(s) db_prod; choose from "),
        (("uat", "status", "--databases", ","), "unknown database(s) (none given)"),
        (("preflight", "--databases", "prod"), "unknown database(s) prod"),
        (("lineage", "--db", "db_nosuch"), "Invalid value for '--db': unknown database(s) db_nosuch"),
        (("bench", "--sizes", "10000,lots"), "'10000,lots' is not a comma-separated list of positive whole numbers"),
        (("demo", "--beneficiaries", "many"), "'many' is not a valid integer"),
        (("generate", "--beneficiaries", "0"), "0 is not in the range x>=1"),
        (("catalog", "check"), "Missing argument 'DB...'"),
        (("refresh", "--no-such-option"), "No such option '--no-such-option'"),
        (("uat", "undo"), "No such command 'undo'"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(args, sentence):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert sentence in result.stderr and "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith(f"Usage: amrit-anon {args[0]}")


def test_main_returns_the_code_and_raises_systemexit_2_on_a_usage_error(capsys):
    assert main(["--help"]) == 0
    assert "Commands:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["lineage", "--db", "db_prod"])
    assert usage.value.code == 2
    assert "unknown database(s) db_prod" in capsys.readouterr().err


def test_lineage_without_dagster_home_says_where_to_point_it(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    result = run("lineage")
    assert result.exit_code == 2
    assert result.stderr.startswith("set DAGSTER_HOME to the Dagster instance the refreshes ran in")


def test_lineage_on_an_instance_without_a_refresh_names_each_database_and_exits_1(tmp_path):
    result = run("lineage", "--db", "db_iemr", "--db", "db_reporting", DAGSTER_HOME=str(tmp_path))
    assert result.exit_code == 1, result.output
    assert [line for line in result.stdout.splitlines() if line] == [
        "db_iemr: no uat_swap has swapped db_iemr into UAT in this instance",
        "db_reporting: no uat_swap has swapped db_reporting into UAT in this instance",
    ]
    result = run("lineage", "--json", DAGSTER_HOME=str(tmp_path))
    assert result.exit_code == 1
    traces = json.loads(result.stdout)
    assert set(traces) == set(DATABASES) and not any(t["found"] for t in traces.values())


def test_catalog_resolve_on_the_shipped_catalog_end_to_end(tmp_path):
    result = run("catalog", "resolve", "--from-ddl")
    assert result.exit_code == 0, result.output
    assert result.stdout == "resolved forms are up to date\n"
    result = run("catalog", "resolve", "--from-ddl", "--write", "--out", str(tmp_path), "db_reporting")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "db_reporting.tsv").read_text() == (CATALOG_DIR / "resolved" / "db_reporting.tsv").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["db_reporting.tsv"]


def test_catalog_errors_exit_2_with_one_line(tmp_path):
    missing = tmp_path / "none.catalog"
    result = run("catalog", "resolve", "--from-ddl", "--catalog", str(missing))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and str(missing) in result.stderr


def test_the_console_script_and_the_documented_python_m_aliases():
    """``amrit-anon`` as installed; ``python -m amrit_assets.lineage`` (README) and ``.catalog.cli`` (the
    catalog's header) are the same commands."""
    script = Path(sys.executable).parent / "amrit-anon"
    for argv, usage in [
        ([str(script), "bench", "--help"], "Usage: amrit-anon bench"),
        ([sys.executable, "-m", "amrit_assets.lineage", "--help"], "Usage: amrit-anon lineage"),
        ([sys.executable, "-m", "amrit_assets.catalog.cli", "resolve", "--help"], "Usage: amrit-anon catalog resolve"),
    ]:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 0 and done.stdout.startswith(usage), done.stderr
    done = subprocess.run([sys.executable, "-m", "amrit_assets.lineage", "--db", "x"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "unknown database(s) x" in done.stderr


def test_run_bench_calls_the_bench_command():
    [line] = [x for x in (ROOT / "run").read_text().splitlines() if x.strip().startswith("bench)")]
    assert '"$VENV/bin/amrit-anon" bench "$@"' in line


@pytest.mark.integration
def test_generate_a_few_beneficiaries_on_a_throwaway_server():
    result = run("generate", "--beneficiaries", "4", "--seed", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"^\d+ rows in \d+ tables for 4 beneficiaries \([\d.]+ per beneficiary\); generate ", lines[-1])
    per_db = {line.split()[0]: int(line.split()[1]) for line in lines[lines.index("-" * 70) + 1:-1]}
    assert set(per_db) <= set(DATABASES) and per_db["db_identity"] > 0
    assert sum(per_db.values()) == int(lines[-1].split()[0])
