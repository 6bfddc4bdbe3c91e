"""One module per stage of the refresh, in flow order."""

from amrit_assets.assets.anonymized import anonymized
from amrit_assets.assets.anonymized_dump import anonymized_dump
from amrit_assets.assets.audit import audit_report
from amrit_assets.assets.mapping import benregid_mapping
from amrit_assets.assets.raw_dump import raw_dump
from amrit_assets.assets.source_schema import source_schema
from amrit_assets.assets.staging import staging
from amrit_assets.assets.uat import uat, uat_swap

REFRESH_ASSETS = [source_schema, raw_dump, staging, benregid_mapping, anonymized, anonymized_dump, uat, uat_swap, audit_report]
