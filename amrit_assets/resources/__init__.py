"""Servers, dump tools and settings, configured from the environment."""

import os

from dagster import EnvVar

from amrit_assets.resources.mysql import MySQLResource, ServerAddress
from amrit_assets.resources.settings import RETENTION_ENV, RefreshSettings, retention_hours

# Server role (names the AMRIT_<ROLE>_* variables) -> resource key the assets ask for.
ROLES = {"source": "source", "workspace": "workspace", "uat": "uat_server"}


def server_resource(role: str) -> MySQLResource:
    """A role's server from ``AMRIT_<ROLE>_HOST/PORT/USER/SOCKET`` and ``AMRIT_<ROLE>_PASSWORD`` (an EnvVar)."""
    prefix = f"AMRIT_{role.upper()}_"
    return MySQLResource(
        host=os.getenv(prefix + "HOST", "127.0.0.1"),
        port=int(os.getenv(prefix + "PORT", "3306")),
        user=os.getenv(prefix + "USER", "root"),
        password=EnvVar(prefix + "PASSWORD"),
        unix_socket=os.getenv(prefix + "SOCKET", ""),
        read_only=role == "source",
    )


def server_address(role: str) -> ServerAddress:
    """The same server as ``server_resource(role)``, resolved now (for commands that run outside Dagster)."""
    r = server_resource(role)
    return ServerAddress(r.host, r.port, r.user, os.getenv(f"AMRIT_{role.upper()}_PASSWORD", ""), r.unix_socket)


def build_resources() -> dict:
    return {
        **{resource_key: server_resource(role) for role, resource_key in ROLES.items()},
        "settings": RefreshSettings(
            data_dir=os.getenv("AMRIT_DATA_DIR", ".amrit_data"),
            anon_key=EnvVar("AMRIT_ANON_KEY"),
            uat_credential=os.getenv("AMRIT_UAT_CREDENTIAL", ""),
            raw_dump_retention_hours=retention_hours(os.getenv(RETENTION_ENV)),
            **({"catalog_path": os.environ["AMRIT_CATALOG"]} if os.getenv("AMRIT_CATALOG") else {}),
        ),
    }
