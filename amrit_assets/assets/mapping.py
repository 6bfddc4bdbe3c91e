"""Stage 3: the beneficiary-id mapping and value maps, one asset over all four staged databases.

A beneficiary's id must map to the same new id in every database, so this asset depends on every
staging partition and builds the maps once. It also proves the id mapping is a bijection.
"""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from amrit_assets.anonymize.freetext import build_name_dictionary
from amrit_assets.anonymize.maps import build_maps, map_columns
from amrit_assets.anonymize.pools import build_pools
from amrit_assets.anonymize.resolve import resolve_live
from amrit_assets.checks.integrity import record_baselines
from amrit_assets.partitions import DATABASES
from amrit_assets.resources.mysql import MySQLResource
from amrit_assets.resources.settings import RefreshSettings


class MappingError(RuntimeError):
    pass


@asset(deps=["staging"], group_name="refresh", kinds={"mysql"})
def benregid_mapping(context: AssetExecutionContext, workspace: MySQLResource, settings: RefreshSettings) -> MaterializeResult:
    """BenRegID/BeneficiaryID → new id (keyed bijection) and phone/Aadhaar/... value maps, for all databases."""
    key = settings.key()
    start = time.monotonic()
    conn = workspace.connect()
    resolutions = resolve_live(conn, settings.catalog(), DATABASES)
    id_cols, value_cols = map_columns(resolutions)
    pools = build_pools(conn)
    stats = build_maps(conn, key, id_cols, value_cols)
    dictionary = build_name_dictionary(conn, resolutions)  # every person's name tokens, for free text
    baselines = record_baselines(conn, DATABASES, resolutions)
    conn.close()
    for kind, s in stats.items():
        if s["distinct_in"] != s["distinct_out"]:
            raise MappingError(f"the {kind} map is not one-to-one: {s['distinct_in']} values in, {s['distinct_out']} distinct out")
    metadata = {f"{kind}_{k}": v for kind, s in stats.items() for k, v in s.items()}
    metadata.update({f"pool_{name}": n for name, n in pools.items()})
    metadata.update(baselines)
    metadata.update(dictionary)
    metadata["bijection_proved"] = all(s["distinct_in"] == s["distinct_out"] for s in stats.values())
    metadata["seconds"] = round(time.monotonic() - start, 2)
    return MaterializeResult(metadata=metadata)
