"""The four AMRIT databases: the partition key of every per-database asset."""

from dagster import StaticPartitionsDefinition

DATABASES: tuple[str, ...] = ("db_identity", "db_1097_identity", "db_iemr", "db_reporting")

database_partitions = StaticPartitionsDefinition(list(DATABASES))
