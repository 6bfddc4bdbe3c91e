"""Asset checks: the proof that nothing leaked and nothing broke before anything moves on."""

from amrit_assets.checks.preflight import preflight
from amrit_assets.checks.refresh_checks import REFRESH_CHECKS
from amrit_assets.checks.schema_gate import catalog_covers_schema

ASSET_CHECKS: list = [catalog_covers_schema, preflight, *REFRESH_CHECKS]
