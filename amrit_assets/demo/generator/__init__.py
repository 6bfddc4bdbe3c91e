"""Synthetic, linked, realistic data for an empty AMRIT schema (demo "production" and tests).

The anonymizer has to be shown (and tested) on data shaped like AMRIT's: one person registered in
``db_identity`` reappears under the same BenRegID/BeneficiaryID in visits, calls and FLW registers of
``db_iemr``, in the 1097 helpline's own identity copy, in ``db_reporting``'s dims and facts and in
stale ``*_bkp_*`` copies; free text mentions names and phones; JSON blobs repeat them; audit columns
name real staff accounts. This package fabricates exactly that, deterministically per seed.

How it works, and why (one module per step, in reading order):
- ``people``, ``households``, ``world``: a *world* (beneficiaries grouped in households, staff,
  visits, calls) is built once in Python from value pools drawn from Faker ``en_IN`` (Faker is far
  too slow to call per row); ``vocabulary`` holds the fixed lists.
- ``plan``: each filled table has a *driver* (one row per beneficiary, visit, call, staff member,
  household, or a copy of another table's rows); ``frames`` gives every row its context.
- ``resolver`` (with ``key_rules``, ``families``, ``name_rules``): each column is resolved once to a
  generator from, in order: the table's explicit settings, the column's link kind and PII category
  (carried in ``sql/demo/column_kinds.tsv``, derived from the AMRIT data dictionary), keys and FKs
  read from the live schema (``live_schema``), column-name rules (``sql/demo/name_rules.tsv``), and
  finally a filler fitting the column type; ``tables`` generates one table's columns.
- ``loading``, ``run``: columns are generated whole (lists of TSV fields), written to a TSV file and
  loaded with ``LOAD DATA LOCAL INFILE`` by two loader threads while the next table is generated;
  multi-row INSERTs are the fallback when the server refuses local files.
"""

from amrit_assets.demo.generator.base import BENREGID_NAMES, KINDS_FILE, GenerationError, GenerationReport
from amrit_assets.demo.generator.plan import PLAN, TableSpec
from amrit_assets.demo.generator.run import generate
from amrit_assets.demo.generator.world import World, build_world

__all__ = [
    "BENREGID_NAMES",
    "KINDS_FILE",
    "PLAN",
    "GenerationError",
    "GenerationReport",
    "TableSpec",
    "World",
    "build_world",
    "generate",
]
