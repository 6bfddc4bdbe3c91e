"""Stage 3: the beneficiary-id mapping and value maps, one asset over all four staged databases.

A beneficiary's id must map to the same new id in every database, so this asset depends on every
staging partition and builds the maps once. It also proves the id mapping is a bijection.
"""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from amrit_assets import policy
from amrit_assets.anonymize.freetext import build_name_dictionary
from amrit_assets.anonymize.maps import build_maps, map_columns
from amrit_assets.anonymize.pools import build_pools
from amrit_assets.common.resolve import resolve_live
from amrit_assets.assets.state import original_databases
from amrit_assets.checks.integrity import record_baselines
from amrit_assets.checks.fingerprints import fingerprint_originals
from amrit_assets.common.keys import set_session_keys
from amrit_assets.partitions import DATABASES
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.refresh_lock import POOL
from amrit_assets.resources.safety import writes_to_targets
from amrit_assets.resources.settings import RefreshSettings


class MappingError(RuntimeError):
    pass


@asset(deps=["staging"], group_name="refresh", kinds={"mysql"}, pool=POOL)
@writes_to_targets
def benregid_mapping(
    context: AssetExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> MaterializeResult:
    """BenRegID/BeneficiaryID → new id (keyed bijection) and phone/Aadhaar/... value maps, for all databases."""
    key = policy.key(settings)
    start = time.monotonic()
    seconds: dict[str, float] = {}

    def timed(part: str, value):
        """``value``, as its part returns: the part's seconds since the previous part ended (metadata)."""
        seconds[f"{part}_seconds"] = round(time.monotonic() - start - sum(seconds.values()), 2)
        return value

    with workspace.get_connection() as conn:
        resolutions = resolve_live(conn, policy.catalog(settings), DATABASES)
        id_cols, value_cols = map_columns(resolutions)
        pools = build_pools(conn)
        stats = timed("maps", build_maps(conn, key, id_cols, value_cols))
        dictionary = timed("name_dictionary", build_name_dictionary(conn, resolutions))  # every person's name tokens, for free text
        baselines = timed("baselines", record_baselines(conn, DATABASES, resolutions))
        with conn.cursor() as cur:  # every database is staged and original: the leak check's fingerprints
            set_session_keys(cur, key)
        fingerprints = timed("leak_fingerprint", fingerprint_originals(
            conn, original_databases(conn, DATABASES), resolutions, open_connection=workspace.connect, key=key, workers=settings.workers()))
    for kind, s in stats.items():
        if s["distinct_in"] != s["distinct_out"]:
            raise MappingError(f"the {kind} map is not one-to-one: {s['distinct_in']} values in, {s['distinct_out']} distinct out")
    metadata = {f"{kind}_{k}": v for kind, s in stats.items() for k, v in s.items()}
    metadata.update({f"pool_{name}": n for name, n in pools.items()})
    metadata.update(baselines)
    metadata.update(fingerprints)
    metadata.update(dictionary)
    metadata.update(seconds)  # where the step's time goes, per part
    metadata["bijection_proved"] = all(s["distinct_in"] == s["distinct_out"] for s in stats.values())
    metadata["seconds"] = round(time.monotonic() - start, 2)
    return MaterializeResult(metadata=metadata)
