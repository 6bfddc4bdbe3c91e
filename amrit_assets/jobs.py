"""The refresh in three steps, because the id mapping needs every database staged first.

1. ``extract``  (per database): source_schema (+ its blocking schema gate) → raw_dump → staging
2. ``mapping``  (once):         benregid_mapping over all staged databases
3. ``publish``  (per database): anonymized → anonymized_dump → uat (restored into a shadow and verified)
4. ``audit``    (once):         uat_swap (all verified shadows into UAT in one RENAME) → audit_report

Outside the refresh, ``schema_gate`` (per database: source_schema and its gate) is what the Flyway
sensor starts on a new migration, and ``migration_preview`` (an op job) runs the gate on migrations
of an AMRIT-DB checkout that are not in production yet.
"""

from dagster import AssetSelection, define_asset_job, job

from amrit_assets.checks.schema_gate import preview_migrations

SCHEMA = AssetSelection.assets("source_schema")  # an asset selection includes the asset's checks
EXTRACT = AssetSelection.assets("source_schema", "raw_dump", "staging")
MAPPING = AssetSelection.assets("benregid_mapping")
PUBLISH = AssetSelection.assets("anonymized", "anonymized_dump", "uat")
AUDIT = AssetSelection.assets("uat_swap", "audit_report")  # every database's shadow swapped in at once, then the audit

extract_job = define_asset_job("extract", selection=EXTRACT)
mapping_job = define_asset_job("mapping", selection=MAPPING)
publish_job = define_asset_job("publish", selection=PUBLISH)
audit_job = define_asset_job("audit", selection=AUDIT, description="Every database's verified shadow swapped into UAT in one RENAME TABLE (uat_swap), then the audit report of what UAT holds: lineage, checks, masking sample, k-anonymity.")

schema_gate_job = define_asset_job(
    "schema_gate",
    selection=SCHEMA,  # partitioned by database, like source_schema
    description="The live schema of one source database against the catalog (started by the Flyway sensor).",
)


@job(description="The schema gate on pending migrations of the AMRIT-DB checkout in AMRIT_MIGRATIONS_DIR, on a throwaway server.")
def migration_preview():
    preview_migrations()


JOBS = [extract_job, mapping_job, publish_job, schema_gate_job, migration_preview, audit_job]
