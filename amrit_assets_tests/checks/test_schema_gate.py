"""Schema drift end to end on a real server: a migration adds PII columns no rule expects, the sensor
requests the gate, the gate fails with a stub (and a preview fails before production), raw_dump
refuses, the rules are added and the catalog re-verified, and the same gate passes."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    DagsterInstance,
    Definitions,
    build_sensor_context,
    materialize,
)

from amrit_assets.assets.raw_dump import raw_dump
from amrit_assets.checks.preflight import preflight
from amrit_assets.assets.source_schema import source_schema
from amrit_assets.checks.schema_gate import catalog_covers_schema
from amrit_assets.demo.schema import build_from_ddl, build_from_migrations
from amrit_assets.jobs import migration_preview, schema_gate_job
from amrit_assets.paths import CATALOG_DIR
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import MySQLResource, ServerAddress
from amrit_assets.resources.settings import RefreshSettings
from amrit_assets.sensors import flyway_sensor
from amrit_assets_tests.conftest import TEST_KEY

pytestmark = pytest.mark.integration

DB = "db_1097_identity"  # the 1097 helpline's identity database: the smallest of the four, so the test stays fast
MIGRATION = """
CREATE TABLE t_caller_details (
  CallerDetailsID BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  BeneficiaryRegID BIGINT NULL,
  caller_whatsapp_no VARCHAR(15) NULL,
  guardian_fullname VARCHAR(100) NULL,
  kin_moniker VARCHAR(50) NULL,
  CreatedBy VARCHAR(50) NULL,
  CreatedDate DATETIME NULL DEFAULT CURRENT_TIMESTAMP
);
ALTER TABLE i_beneficiarydetails ADD COLUMN alt_whatsapp VARCHAR(15) NULL;
ALTER TABLE i_householddetails DROP COLUMN beneficiaryId;
"""
# Every new column, of any type: the key and the timestamp too (only a type catch-all would take them).
NEW_COLUMNS = [
    f"{DB}.i_beneficiarydetails.alt_whatsapp",
    f"{DB}.t_caller_details.CallerDetailsID",
    f"{DB}.t_caller_details.caller_whatsapp_no",
    f"{DB}.t_caller_details.guardian_fullname",
    f"{DB}.t_caller_details.kin_moniker",
    f"{DB}.t_caller_details.CreatedDate",
]
# A DBA's exact override for this database (the real catalog only names the column for both identity
# databases at once); the migration drops the column, so the gate warns about the rule.
OVERRIDE = f"{DB}.i_householddetails.beneficiaryId   null   # truncated id\n"
RULES = f"""
{DB}.t_caller_details.caller_whatsapp_no   phone              # WhatsApp number of the caller
{DB}.t_caller_details.guardian_fullname    name(part=full)    # guardian's full name
{DB}.t_caller_details.kin_moniker          name(part=full)    # next of kin's name
{DB}.i_beneficiarydetails.alt_whatsapp     phone              # second WhatsApp number
{DB}.t_caller_details.CallerDetailsID      keep               # surrogate key
{DB}.t_caller_details.CreatedDate          keep               # audit timestamp
"""


@pytest.fixture(scope="module")
def source() -> Iterator[ServerAddress]:
    with EmbeddedServer("drift-source") as srv:
        build_from_ddl(srv.address, (DB,))
        yield srv.address


def resources(addr: ServerAddress, catalog: Path, data_dir: Path) -> dict:
    return {
        "source": MySQLResource(host=addr.host, port=addr.port, user=addr.user, unix_socket=addr.unix_socket, read_only=True),
        "settings": RefreshSettings(data_dir=str(data_dir), catalog_path=str(catalog), anon_key=TEST_KEY),
    }


def gate_evaluation(result) -> AssetCheckEvaluation:
    [evaluation] = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == "catalog_covers_schema"
    ]
    return evaluation


def meta(evaluation: AssetCheckEvaluation, key: str):
    return evaluation.metadata[key].value


def failure_message(result) -> str:
    """Every step failure's message with the errors that caused it."""
    out = []
    for event in result.all_events:
        error = event.step_failure_data.error if event.is_step_failure and event.step_failure_data else None
        while error is not None:
            out.append(error.message)
            error = error.cause
    return "\n".join(out)


def with_rules(text: str, rules: str) -> str:
    """Catalog text with ``rules`` above the first section, so they win over every pattern."""
    assert "\n# ---" in text
    return text.replace("\n# ---", "\n" + rules + "\n# ---", 1)


def test_schema_drift_end_to_end(source, tmp_path, monkeypatch):
    before = tmp_path / "before.catalog"
    before.write_text(with_rules((CATALOG_DIR / "amrit.catalog").read_text(), OVERRIDE))
    shutil.copytree(CATALOG_DIR / "resolved", tmp_path / "resolved")  # the reviewed columns, beside the catalog
    res = resources(source, before, tmp_path / "data")
    gate_defs = Definitions(assets=[source_schema], asset_checks=[catalog_covers_schema], jobs=[schema_gate_job], resources=res)
    gate = gate_defs.resolve_job_def("schema_gate")

    def sensor_tick(cursor: str | None):
        return flyway_sensor(build_sensor_context(cursor=cursor, resources={"source": res["source"]}))

    with DagsterInstance.ephemeral() as instance:
        # 1. The verified baseline: the sensor's first tick gates it, and the gate passes.
        first = sensor_tick(None)
        assert [(r.job_name, r.partition_key, r.run_key) for r in first.run_requests] == [("schema_gate", DB, f"{DB}:5")]
        baseline = gate.execute_in_process(partition_key=DB, instance=instance)
        evaluation = gate_evaluation(baseline)
        assert evaluation.passed and meta(evaluation, "schema_version") == "5" and meta(evaluation, "unresolved_count") == 0
        assert meta(evaluation, "warnings") == []
        [mat] = instance.fetch_materializations(AssetKey("source_schema"), limit=1).records
        schema_meta = mat.asset_materialization.metadata
        assert schema_meta["schema_version"].value == "5" and schema_meta["columns"].value > 900
        assert schema_meta["catalog_verified_version"].value == "5"

        # 2. A DBA writes the migration in an AMRIT-DB checkout: before it reaches production,
        #    the sensor previews it, and the preview fails with the stub.
        checkout = tmp_path / "AMRIT-DB"
        (checkout / DB).mkdir(parents=True)
        (checkout / DB / "V6__add_caller_details.sql").write_text(MIGRATION)
        monkeypatch.setenv("AMRIT_MIGRATIONS_DIR", str(checkout))
        pending = sensor_tick(first.cursor)
        [preview_request] = pending.run_requests
        assert preview_request.job_name == "migration_preview"
        preview = migration_preview.execute_in_process(
            run_config=preview_request.run_config, resources=res, instance=instance, raise_on_error=False
        )
        assert not preview.success
        message = failure_message(preview)
        assert "V6__add_caller_details.sql" in message and "6 column(s) of db_1097_identity not resolved" in message

        # 3. The migration reaches production, as Flyway applies it; the sensor requests the gate.
        assert build_from_migrations(source, checkout, (DB,)) == {DB: "6"}
        advanced = sensor_tick(pending.cursor)
        assert [(r.job_name, r.partition_key, r.run_key) for r in advanced.run_requests] == [("schema_gate", DB, f"{DB}:6")]
        assert json.loads(advanced.cursor) == {DB: "6"}, "nothing pending any more; the other databases are not on this server"

        # 4. The gate fails: the columns, the migration that introduced them, the stub, the version.
        failed = gate.execute_in_process(partition_key=DB, instance=instance, raise_on_error=False)
        assert not failed.success
        evaluation = gate_evaluation(failed)
        assert not evaluation.passed
        assert meta(evaluation, "unresolved") == NEW_COLUMNS and meta(evaluation, "unresolved_count") == 6
        assert set(meta(evaluation, "introduced_by").values()) == {"V6 (add caller details), V6__add_caller_details.sql"}
        stub = meta(evaluation, "stub")
        stub_lines = [line for line in stub.strip("`\n").splitlines() if not line.startswith("#")]
        assert sorted(line.split()[0] for line in stub_lines) == sorted(NEW_COLUMNS), "one suggested line per column"
        assert not any(line.split()[1] == "keep" for line in stub_lines), "the stub never proposes keep"
        assert all("# SUGGESTED — review" in line for line in stub_lines)
        assert re.search(r"t_caller_details\.caller_whatsapp_no\s+phone\s", stub)
        assert re.search(r"t_caller_details\.guardian_fullname\s+name\(part=full\)\s", stub)
        assert "@verified db_1097_identity 6" in meta(evaluation, "version_problem")
        assert "amrit-anon catalog resolve --write" in meta(evaluation, "version_problem")
        [warning] = meta(evaluation, "warnings")
        assert f"'{DB}.i_householddetails.beneficiaryId null' names a column that no longer exists" in warning
        assert "t_caller_details" in evaluation.description

        # 5. A refresh does not run on it: in the same run raw_dump is blocked, and a later run
        #    that selects raw_dump alone refuses.
        same_run = materialize(
            [source_schema, catalog_covers_schema, raw_dump], partition_key=DB, resources=res, instance=instance, raise_on_error=False
        )
        assert not same_run.success
        assert not instance.fetch_materializations(AssetKey("raw_dump"), limit=1).records
        alone = materialize([raw_dump], partition_key=DB, resources=res, instance=instance, raise_on_error=False)
        assert not alone.success
        assert "catalog_covers_schema failed on the latest source_schema[db_1097_identity]" in failure_message(alone)
        assert not instance.fetch_materializations(AssetKey("raw_dump"), limit=1).records

        # 6. The DBA adds the rules and re-verifies: the same gate passes; the dropped column stays a warning.
        covered = tmp_path / "amrit.catalog"
        text = before.read_text().replace(f"@verified {DB} 5\n", f"@verified {DB} 6\n")
        assert f"@verified {DB} 6" in text
        covered.write_text(with_rules(text, RULES))
        res = resources(source, covered, tmp_path / "data")
        with EmbeddedServer("drift-ws") as ws, EmbeddedServer("drift-uat") as uat:  # the real schema_gate job runs preflight too
            res_all = {**res, "workspace": MySQLResource(host=ws.address.host, port=ws.address.port), "uat_server": MySQLResource(host=uat.address.host, port=uat.address.port)}
            gate = Definitions(
                assets=[source_schema], asset_checks=[catalog_covers_schema, preflight], jobs=[schema_gate_job], resources=res_all
            ).resolve_job_def("schema_gate")
            passed = gate.execute_in_process(partition_key=DB, instance=instance)
        evaluation = gate_evaluation(passed)
        assert evaluation.passed and meta(evaluation, "unresolved_count") == 0
        assert meta(evaluation, "schema_version") == "6" and meta(evaluation, "verified_version") == "6"
        assert len(meta(evaluation, "warnings")) == 1 and "beneficiaryId" in meta(evaluation, "warnings")[0], "still a warning, not a failure"

        # 7. ... and raw_dump, selected alone, now runs on the verified schema.
        dumped = materialize([raw_dump], partition_key=DB, resources=res, instance=instance)
        assert dumped.success
        [dump] = instance.fetch_materializations(AssetKey("raw_dump"), limit=1).records
        assert dump.asset_materialization.metadata["schema_version"].value == "6"


def test_preview_applies_a_mysql8_migration_from_amrit_dbs_folder_layout(server, tmp_path):
    """A pending migration written on MySQL 8 (utf8mb4_0900_ai_ci) applies on the MariaDB preview server,
    with the restores' collation mapping; ``<checkout>/db1097identity/`` is found like AMRIT-DB's own layout."""
    from amrit_assets.checks.schema_gate import apply_migration, migrations_of
    from amrit_assets.demo.schema import create_databases
    from amrit_assets.resources.mysql import connect

    (tmp_path / "db1097identity").mkdir()
    (tmp_path / "db1097identity" / "V6__mysql8.sql").write_text("CREATE TABLE t_new (a VARCHAR(5)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n")
    [migration] = migrations_of(tmp_path, DB)
    create_databases(server, (DB,))
    apply_migration(server, DB, migration.path)
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("SELECT table_collation FROM information_schema.tables WHERE table_schema = %s AND table_name = 't_new'", (DB,))
        assert cur.fetchone()[0] == "utf8mb4_unicode_520_ci"
    conn.close()
