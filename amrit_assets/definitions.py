"""The code location: composes assets, checks, jobs, sensors, schedules and resources; no logic here."""

from dagster import Definitions

from amrit_assets.assets import REFRESH_ASSETS
from amrit_assets.checks import ASSET_CHECKS
from amrit_assets.jobs import JOBS
from amrit_assets.resources import build_resources
from amrit_assets.schedules import SCHEDULES
from amrit_assets.sensors import SENSORS

defs = Definitions(
    assets=REFRESH_ASSETS,
    asset_checks=ASSET_CHECKS,
    jobs=JOBS,
    sensors=SENSORS,
    schedules=SCHEDULES,
    resources=build_resources(),
)
