"""Production is only ever read: refuse a target that is the source, or that looks like production.

The workspace receives a PII copy under the production database names and UAT receives the
anonymized one, so either being the source (or each other) would overwrite real data or spread
PII. The check compares what the servers say about themselves, not only the configured address:
a DNS alias or a proxy in front of production is still production.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.portable import is_mariadb_version
from amrit_assets.resources.refresh_lock import step_lock

ALLOW_ENV = "AMRIT_ALLOW_PRODUCTION_LIKE_TARGET"
_PRODUCTION_LIKE = re.compile(r"(^|[^a-z])(prod|production|live)([^a-z]|$)", re.IGNORECASE)
_LOCAL = {"localhost", "127.0.0.1", "::1", ""}
IDENTITY_SQL = "SELECT @@server_id, @@hostname, @@port, @@datadir, VERSION()"


class UnsafeTargetError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerIdentity:
    """Who a server says it is; ``uuid`` is MySQL's ``server_uuid`` (MariaDB has none)."""

    role: str
    endpoint: str
    server_id: int
    hostname: str
    port: int
    datadir: str
    version: str
    uuid: str = ""

    @property
    def instance(self) -> tuple:
        return ("uuid", self.uuid) if self.uuid else ("instance", self.hostname, self.port, self.datadir)


def endpoint(addr: ServerAddress) -> str:
    """A normalized address: a socket path, or host:port with the local names folded together."""
    if addr.unix_socket:
        return f"socket:{os.path.realpath(addr.unix_socket)}"
    host = "localhost" if addr.host.lower() in _LOCAL else addr.host.lower()
    return f"{host}:{addr.port}"


def identify(role: str, addr: ServerAddress) -> ServerIdentity:
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            cur.execute(IDENTITY_SQL)
            server_id, hostname, port, datadir, version = cur.fetchone()
            uuid = ""
            if not is_mariadb_version(version):
                cur.execute("SELECT @@server_uuid")
                uuid = str(cur.fetchone()[0] or "")
    finally:
        conn.close()
    return ServerIdentity(role, endpoint(addr), int(server_id or 0), str(hostname), int(port), str(datadir), str(version), uuid)


def _allowed(target: ServerIdentity, addr: ServerAddress) -> bool:
    allowed = {a.strip().lower() for a in os.getenv(ALLOW_ENV, "").split(",") if a.strip()}
    return f"{addr.host.lower()}:{addr.port}" in allowed or target.hostname.lower() in allowed


def unsafe_target_problems(
    source: ServerIdentity, targets: dict[str, ServerIdentity], addresses: dict[str, ServerAddress]
) -> list[str]:
    """Every reason to refuse (empty when the topology is safe); pure, so each rule is unit-tested."""
    problems = []
    for role, target in targets.items():
        if target.endpoint == source.endpoint or target.instance == source.instance:
            problems.append(
                f"the {role} server ({target.endpoint}, host {target.hostname}) is the source server: "
                f"point AMRIT_{role.upper()}_HOST/PORT/SOCKET at a separate server (this cannot be overridden)"
            )
        elif target.server_id not in (0, 1) and target.server_id == source.server_id and target.hostname == source.hostname:
            problems.append(
                f"the {role} server has the source's server_id {source.server_id} on host {target.hostname}: "
                "it is the source behind another address; point it at a separate server (this cannot be overridden)"
            )
        names = (addresses[role].host, target.hostname)
        if any(_PRODUCTION_LIKE.search(n or "") for n in names) and not _allowed(target, addresses[role]):
            problems.append(
                f"the {role} server's name looks like production ({addresses[role].host} / {target.hostname}): "
                f"if it really is a non-production server, set {ALLOW_ENV}={addresses[role].host}:{addresses[role].port}"
            )
    roles = list(targets)
    for i, a in enumerate(roles):
        for b in roles[i + 1 :]:
            if targets[a].instance == targets[b].instance or targets[a].endpoint == targets[b].endpoint:
                problems.append(
                    f"the {a} and {b} servers are the same server ({targets[a].endpoint}): the {a} holds a PII copy "
                    f"under the production database names; give them separate servers (this cannot be overridden)"
                )
    return problems


def require_safe_targets(source: ServerAddress, targets: dict[str, ServerAddress]) -> None:
    """Raise ``UnsafeTargetError`` before anything is written when any target is (or looks like) production."""
    src = identify("source", source)
    ids = {role: identify(role, addr) for role, addr in targets.items()}
    problems = unsafe_target_problems(src, ids, targets)
    if problems:
        raise UnsafeTargetError("refusing to run, nothing was changed: " + "; ".join(problems))


def writes_to_targets(fn):
    """For an asset that writes to the workspace or UAT (its resources ``source``, ``workspace``, ``uat_server``).

    Before its first statement, the targets are proven not to be the source (the configuration may
    have changed since preflight), and for the whole step the refresh lock is held (``step_lock``).
    """

    @functools.wraps(fn)
    def guarded(context, *args, **kwargs):
        targets = {"workspace": kwargs["workspace"].address, "uat": kwargs["uat_server"].address}
        require_safe_targets(kwargs["source"].address, targets)
        with step_lock(targets, context.run.run_id, context.run.tags):
            return fn(context, *args, **kwargs)

    return guarded
