"""The coverage CLI against a real server built from the AMRIT schema, and offline against the DDL."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from amrit_assets.catalog.cli import main
from amrit_assets.demo.schema import BASELINE_VERSIONS, build_from_ddl
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import CATALOG_DIR
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress, connect


@pytest.fixture(scope="module")
def amrit_server() -> Iterator[ServerAddress]:
    with EmbeddedServer("catalog-cli") as srv:
        build_from_ddl(srv.address)
        yield srv.address


def server_args(addr: ServerAddress) -> list[str]:
    return ["--host", addr.host, "--port", str(addr.port), "--user", addr.user, "--password-env", "AMRIT_TEST_CHECK_PW"]


@pytest.mark.integration
def test_check_passes_on_the_amrit_schema_then_fails_closed_on_a_new_column(amrit_server, capsys, monkeypatch):
    monkeypatch.setenv("AMRIT_TEST_CHECK_PW", amrit_server.password)

    assert main(["check", *server_args(amrit_server), *DATABASES]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^OK: 17058 of 17058 columns resolved in .*keep \d+, .*benregid \d+", out, re.M)
    assert "db_iemr at Flyway version 92: verified (92)" in out

    conn = connect(amrit_server)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE db_iemr.t_bencall ADD COLUMN caller_whatsapp_no VARCHAR(15)")
    conn.close()

    assert main(["check", *server_args(amrit_server), "db_iemr"]) == 1
    out = capsys.readouterr().out
    assert "1 column(s) not resolved" in out
    assert re.search(r"db_iemr\.t_bencall\.caller_whatsapp_no\s+phone\s+# SUGGESTED — review", out)


@pytest.mark.integration
def test_check_names_a_database_that_does_not_exist(amrit_server, capsys, monkeypatch):
    monkeypatch.setenv("AMRIT_TEST_CHECK_PW", amrit_server.password)
    assert main(["check", *server_args(amrit_server), "db_iemr", "db_nosuch"]) == 2
    assert "db_nosuch" in capsys.readouterr().err


def test_resolve_from_ddl_finds_the_committed_files_up_to_date(capsys):
    assert main(["resolve", "--from-ddl"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_resolve_writes_and_reports_changes(tmp_path: Path, capsys):
    assert main(["resolve", "--from-ddl", "--write", "--out", str(tmp_path), "db_1097_identity"]) == 0
    written = (tmp_path / "db_1097_identity.tsv").read_text()
    assert f"# @verified db_1097_identity {BASELINE_VERSIONS['db_1097_identity']}" in written
    assert "db_1097_identity.i_beneficiarycontacts.PhoneNum1\tvarchar(25)\tphone" in written
    assert "+ db_1097_identity.i_beneficiarydetails.FirstName" in capsys.readouterr().out


def test_a_broken_catalog_is_a_usage_error(tmp_path: Path, capsys):
    bad = tmp_path / "bad.catalog"
    bad.write_text("db_iemr.t_bencall.PhoneNo telephone\n")
    assert main(["resolve", "--from-ddl", "--catalog", str(bad)]) == 2
    assert f"{bad}:1: unknown strategy 'telephone'" in capsys.readouterr().err


@pytest.mark.integration
def test_check_fails_on_a_version_the_catalog_is_not_verified_against(amrit_server, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("AMRIT_TEST_CHECK_PW", amrit_server.password)
    other = tmp_path / "amrit.catalog"
    other.write_text((CATALOG_DIR / "amrit.catalog").read_text().replace("@verified db_reporting 3\n", "@verified db_reporting 2\n"))
    shutil.copytree(CATALOG_DIR / "resolved", tmp_path / "resolved")
    assert main(["check", "--catalog", str(other), *server_args(amrit_server), "db_reporting"]) == 1
    out = capsys.readouterr().out
    assert "db_reporting at Flyway version 3: NOT VERIFIED: db_reporting is at Flyway version 3, but the catalog was verified against 2" in out
    assert "no column is unresolved" in out and "stub" not in out and "OK:" not in out


def test_resolve_writes_beside_the_catalog_in_use(tmp_path: Path, capsys, monkeypatch):
    mine = tmp_path / "policy" / "amrit.catalog"
    mine.parent.mkdir()
    mine.write_text((CATALOG_DIR / "amrit.catalog").read_text())
    monkeypatch.setenv("AMRIT_CATALOG", str(mine))
    committed = {p.name: p.read_text() for p in (CATALOG_DIR / "resolved").glob("*.tsv")}
    assert main(["resolve", "--from-ddl", "--write", "db_1097_identity"]) == 0
    assert (tmp_path / "policy" / "resolved" / "db_1097_identity.tsv").is_file()
    assert {p.name: p.read_text() for p in (CATALOG_DIR / "resolved").glob("*.tsv")} == committed, "the project tree is untouched"
    assert str(tmp_path / "policy" / "resolved" / "db_1097_identity.tsv") in capsys.readouterr().out
