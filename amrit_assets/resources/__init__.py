"""Servers, dump tools and settings, configured from the environment."""

import os
from collections.abc import Iterable, Mapping

from dagster import EnvVar

from amrit_assets.common.keys import AnonKeyError, check_key

from amrit_assets.resources.mysql import MySQLResource, ServerAddress
from amrit_assets.resources.settings import PARALLELISM_ENV, RETENTION_ENV, RefreshSettings, parallelism, retention_hours

# Server role (names the AMRIT_<ROLE>_* variables) -> resource key the assets ask for.
ROLES = {"source": "source", "workspace": "workspace", "uat": "uat_server"}


DEFAULT_PORT = 3306  # MySQL's own, as the mysql client assumes; host, user and password have no default


def missing_server_setting(environ: Mapping[str, str], roles: Iterable[str] = ROLES) -> str | None:
    """The first server variable left unset, as the one sentence a DBA sees (CLI, UI runs, sensor ticks), or None.

    A server is never a default: the embedded demo sets every variable, a real deployment must.
    """
    for role in roles:
        prefix = f"AMRIT_{role.upper()}_"
        if not (environ.get(prefix + "HOST") or environ.get(prefix + "SOCKET")):
            return f"{prefix}HOST (or {prefix}SOCKET) is not set: a refresh never falls back to a default server"
        if not environ.get(prefix + "USER"):
            return f"{prefix}USER is not set: name the account it connects as (a refresh never assumes root)"
        if prefix + "PASSWORD" not in environ:
            return f"{prefix}PASSWORD is not set (set it empty for socket authentication)"
        port = environ.get(prefix + "PORT", "")
        if port and not port.isdigit():
            return f"{prefix}PORT={port!r} is not a port number"
    return None


def configuration_problem(environ: Mapping[str, str]) -> str | None:
    """What a refresh in the UI lacks (the key, then each server), as one sentence naming the variable; None when all is set."""
    try:
        check_key(environ.get("AMRIT_ANON_KEY"))
    except AnonKeyError as e:
        return str(e)
    return missing_server_setting(environ)


def server_resource(role: str) -> MySQLResource:
    """A role's server from ``AMRIT_<ROLE>_HOST/PORT/USER/SOCKET`` and ``AMRIT_<ROLE>_PASSWORD`` (an EnvVar).

    With a variable missing it still loads (the UI shows the code location), and its first use in a run
    fails with the sentence of ``missing_server_setting`` instead of connecting anywhere.
    """
    prefix = f"AMRIT_{role.upper()}_"
    port = os.getenv(prefix + "PORT", "")
    return MySQLResource(
        host=os.getenv(prefix + "HOST", ""),
        port=int(port) if port.isdigit() else DEFAULT_PORT,
        user=os.getenv(prefix + "USER", ""),
        # an unset EnvVar would fail the run with Dagster's own trace before any sentence of ours
        password=EnvVar(prefix + "PASSWORD") if prefix + "PASSWORD" in os.environ else "",
        unix_socket=os.getenv(prefix + "SOCKET", ""),
        read_only=role == "source",
        unconfigured=missing_server_setting(os.environ, [role]) or "",
    )


def server_address(role: str) -> ServerAddress:
    """The same server as ``server_resource(role)``, resolved now (for commands that run outside Dagster)."""
    r = server_resource(role)
    return ServerAddress(r.host, r.port, r.user, os.getenv(f"AMRIT_{role.upper()}_PASSWORD", ""), r.unix_socket, r.unconfigured)


def build_resources() -> dict:
    return {
        **{resource_key: server_resource(role) for role, resource_key in ROLES.items()},
        "settings": RefreshSettings(
            data_dir=os.getenv("AMRIT_DATA_DIR", ".amrit_data"),
            anon_key=EnvVar("AMRIT_ANON_KEY") if "AMRIT_ANON_KEY" in os.environ else "",  # unset: key() says so plainly
            uat_credential=os.getenv("AMRIT_UAT_CREDENTIAL", ""),
            raw_dump_retention_hours=retention_hours(os.getenv(RETENTION_ENV)),
            parallelism=parallelism(os.getenv(PARALLELISM_ENV)),
            **({"catalog_path": os.environ["AMRIT_CATALOG"]} if os.getenv("AMRIT_CATALOG") else {}),
        ),
    }
