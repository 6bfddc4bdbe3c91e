"""The refresh: ``refresh`` runs it all in order (one launch in the UI); its steps are jobs of their own.

0. ``schema_gate`` (per database, all of them before anything is dumped): source_schema + preflight + gate

1. ``extract``  (per database): source_schema (+ its blocking schema gate) → raw_dump → staging
2. ``mapping``  (once):         benregid_mapping over all staged databases
3. ``publish``  (per database): anonymized → anonymized_dump → uat (restored into a shadow and verified)
4. ``audit``    (once):         uat_swap (all verified shadows into UAT in one RENAME) → audit_report

Outside the refresh, ``schema_gate`` (per database: source_schema and its gate) is what the Flyway
sensor starts on a new migration, and ``migration_preview`` (an op job) runs the gate on migrations
of an AMRIT-DB checkout that are not in production yet.
"""

import os

from dagster import AssetSelection, Config, Failure, OpExecutionContext, define_asset_job, job, op

from amrit_assets.checks.schema_gate import preview_migrations
from amrit_assets.partitions import DATABASES

ORDER = "The whole refresh is the `refresh` job (one launch); this job is step {n} of it: schema_gate (every database) → extract (every database) → mapping → publish (every database) → audit."

SCHEMA = AssetSelection.assets("source_schema")  # an asset selection includes the asset's checks
EXTRACT = AssetSelection.assets("source_schema", "raw_dump", "staging")
MAPPING = AssetSelection.assets("benregid_mapping")
PUBLISH = AssetSelection.assets("anonymized", "anonymized_dump", "uat")
AUDIT = AssetSelection.assets("uat_swap", "audit_report")  # every database's shadow swapped in at once, then the audit

extract_job = define_asset_job(
    "extract", selection=EXTRACT, description="One database from production into the workspace: schema gate, encrypted dump, staging restore. " + ORDER.format(n=2)
)
mapping_job = define_asset_job(
    "mapping", selection=MAPPING, description="The BenRegID/BeneficiaryID bijection and value maps over every staged database; run after every extract. " + ORDER.format(n=3)
)
publish_job = define_asset_job(
    "publish", selection=PUBLISH, description="One database anonymized, checked (leaks, orphans, row counts, unique keys), dumped, and restored into a verified UAT shadow. " + ORDER.format(n=4)
)
audit_job = define_asset_job(
    "audit",
    selection=AUDIT,
    description="Every database's verified shadow swapped into UAT in one RENAME TABLE (uat_swap), then the audit report of what UAT holds: lineage, checks, masking sample, k-anonymity. " + ORDER.format(n=5),
)

schema_gate_job = define_asset_job(
    "schema_gate",
    selection=SCHEMA,  # partitioned by database, like source_schema
    description="The live schema of one source database against the catalog, with preflight (started by the Flyway sensor, "
    "and for every database first by weekly_refresh). " + ORDER.format(n=1),
)


class RefreshConfig(Config):
    databases: list[str] = list(DATABASES)
    uat: bool = True  # False: anonymize, check and dump, leave UAT alone


@op(description="Runs every step of the refresh in order, each as a run of its own job, holding the refresh lock.")
def refresh_in_order(context: OpExecutionContext, config: RefreshConfig) -> None:
    from amrit_assets.refresh import run_whole_refresh
    from amrit_assets.resources import configuration_problem

    problem = configuration_problem(os.environ)
    if problem:  # before any server is touched: one sentence naming the variable, not a trace
        raise Failure(description=problem)
    report = run_whole_refresh(
        context.instance, config.databases, who=f"dagster run {context.run_id}", publish_uat=config.uat, progress=context.log.info
    )
    context.log.info(f"refresh done: {len(report.run_ids)} runs, {report.stage_seconds.get('wall', 0.0):.0f} s")


@job(
    description="The whole refresh, one launch: every database's schema gate and preflight, then extract per database, "
    "the mapping, publish per database, and the swap + audit. Each step shows as a run of its own job "
    "(schema_gate, extract, mapping, publish, audit) in the Runs page; a failed step stops the refresh and names it."
)
def refresh():
    refresh_in_order()


@job(description="The schema gate on pending migrations of the AMRIT-DB checkout in AMRIT_MIGRATIONS_DIR, on a throwaway server.")
def migration_preview():
    preview_migrations()


JOBS = [refresh, schema_gate_job, extract_job, mapping_job, publish_job, audit_job, migration_preview]
