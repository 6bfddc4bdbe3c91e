"""amrit-anon: anonymized UAT refreshes of AMRIT's four MySQL databases, as a Dagster code location."""
