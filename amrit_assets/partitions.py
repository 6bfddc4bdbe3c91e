"""The four AMRIT databases: the partition key of every per-database asset."""

import warnings

from dagster import PreviewWarning, StaticPartitionsDefinition

# Checks on partitioned assets are a Dagster preview feature (the only one used here); it is exactly
# what per-database checks need. Filtered here, where every check module gets its partitions, and by
# category: a reworded message must not bring it back.
warnings.filterwarnings("ignore", category=PreviewWarning)

DATABASES: tuple[str, ...] = ("db_identity", "db_1097_identity", "db_iemr", "db_reporting")

database_partitions = StaticPartitionsDefinition(list(DATABASES))
