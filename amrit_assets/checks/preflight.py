"""Preflight: can this refresh run safely here? Asked before any data moves.

Checks every server (reachable, version, privileges, writable targets, read-only source session),
the client binaries, free disk for the dumps, the key, and that no target is (or looks like)
production. Used by ``amrit-anon preflight`` and by the blocking ``preflight`` check on
``source_schema``. Findings hold names, versions and sizes, never a data value or a secret.
"""


import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetCheckExecutionContext, AssetCheckResult, MetadataValue, asset_check

from amrit_assets.common.keys import AnonKeyError, check_key, fingerprint
from amrit_assets.partitions import database_partitions
from amrit_assets.resources.mysql import MySQLResource, ServerAddress, ServerConnectionError, connect, session_lock
from amrit_assets.resources.safety import UnsafeTargetError, require_safe_targets
from amrit_assets.resources.settings import RefreshSettings

SOURCE_PRIVILEGES = ("SELECT", "SHOW VIEW", "TRIGGER", "EVENT")
PROBE_DB = "amrit_preflight_probe"
PROBE_STATEMENTS = (
    ("CREATE DATABASE", f"CREATE DATABASE `{PROBE_DB}`"),
    ("CREATE TABLE", f"CREATE TABLE `{PROBE_DB}`.t (id INT PRIMARY KEY)"),
    ("INSERT/UPDATE", f"INSERT INTO `{PROBE_DB}`.t VALUES (1)"),
    ("CREATE VIEW", f"CREATE VIEW `{PROBE_DB}`.v AS SELECT id FROM `{PROBE_DB}`.t"),
    ("CREATE TRIGGER", f"CREATE TRIGGER `{PROBE_DB}`.tr BEFORE UPDATE ON `{PROBE_DB}`.t FOR EACH ROW SET NEW.id = NEW.id"),
    ("CREATE ROUTINE", f"CREATE PROCEDURE `{PROBE_DB}`.p() SELECT 1"),
    ("CREATE EVENT", f"CREATE EVENT `{PROBE_DB}`.e ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1"),
    ("RENAME TABLE", f"RENAME TABLE `{PROBE_DB}`.t TO `{PROBE_DB}`.t2"),
)
DUMP_FACTOR = 3.2  # raw + anonymized dump of each database, the private copy a restore reads, some margin
_GRANT = re.compile(r"^GRANT (.+?) ON (\S+) TO ", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def granted(grants: Iterable[str], db: str) -> set[str]:
    """Privileges the ``SHOW GRANTS`` lines give on ``db`` (global, or on the database itself)."""
    out: set[str] = set()
    for line in grants:
        m = _GRANT.match(line)
        if not m:
            continue
        privs, scope = m.group(1), m.group(2).replace("`", "")
        if scope not in ("*.*", f"{db}.*"):
            continue
        for p in privs.split(","):
            p = p.strip().upper()
            out |= set(SOURCE_PRIVILEGES) if p.startswith("ALL") else {p}
    return out


def _server(role: str, addr: ServerAddress) -> tuple[list[Finding], object | None]:
    try:
        conn = connect(addr)
    except ServerConnectionError as e:
        return [Finding(f"{role}: connect", False, str(e))], None
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        version = cur.fetchone()[0]
    return [Finding(f"{role}: connect", True, f"server {version}")], conn


def _reachable(role: str, addr: ServerAddress) -> Finding:
    (finding,), conn = _server(role, addr)
    if conn is not None:
        conn.close()
    return finding


def check_source(addr: ServerAddress, databases: list[str]) -> list[Finding]:
    findings, conn = _server("source", addr)
    if conn is None:
        return findings
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW GRANTS")
            grants = [r[0] for r in cur.fetchall()]
            for db in databases:
                cur.execute("SELECT COUNT(*), SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = %s", (db,))
                tables, size = cur.fetchone()
                if not tables:
                    findings.append(Finding(f"source: {db}", False, f"database {db} does not exist or has no tables on the source"))
                    continue
                missing = [p for p in SOURCE_PRIVILEGES if p not in granted(grants, db)]
                findings.append(
                    Finding(
                        f"source: {db}",
                        not missing,
                        f"{tables} tables, about {int(size or 0) // 2**20} MiB"
                        + (f"; missing privileges {', '.join(missing)}: GRANT {', '.join(missing)} ON `{db}`.* TO the source user" if missing else ""),
                    )
                )
        conn.close()
        ro = connect(addr, read_only=True)
        with ro.cursor() as cur:  # read the session's mode: no statement that writes is ever sent to the source
            refuses = session_read_only(cur)
        ro.close()
        findings.append(Finding("source: read-only session", refuses, "the refresh's source sessions refuse writes" if refuses else "a source session is not read-only"))
    finally:
        if conn.open:
            conn.close()
    return findings


def session_read_only(cur) -> bool:
    """Whether this session's transactions are READ ONLY (MySQL 8 and MariaDB 11.1+: transaction_read_only; 10.11: tx_read_only)."""
    for variable in ("transaction_read_only", "tx_read_only"):
        try:
            cur.execute(f"SELECT @@session.{variable}")
        except Exception:  # noqa: BLE001 - the other name exists on this server
            continue
        return bool(int(cur.fetchone()[0]))
    return False


def check_target(role: str, addr: ServerAddress) -> list[Finding]:
    """A target must accept everything a restore and a swap do: probe it in a scratch database."""
    findings, conn = _server(role, addr)
    if conn is None:
        return findings
    failed = []
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@read_only")
            if int(cur.fetchone()[0]):
                findings.append(Finding(f"{role}: writable", False, "the server is read_only (a replica?): point the role at a writable server"))
                return findings
        # gates of several databases probe the same server at once: one scratch database, one prober at a time
        with session_lock(conn, PROBE_DB, 120) as held, conn.cursor() as cur:
            if not held:
                findings.append(Finding(f"{role}: privileges", False, "another preflight held the probe lock for 120 s: run the gate again"))
                return findings
            for name, sql in (("DROP DATABASE", f"DROP DATABASE IF EXISTS `{PROBE_DB}`"), *PROBE_STATEMENTS, ("DROP DATABASE", f"DROP DATABASE IF EXISTS `{PROBE_DB}`")):
                try:
                    cur.execute(sql)
                except Exception as e:  # noqa: BLE001 - reported by name
                    failed.append(f"{name} ({e.args[0] if e.args else e})")
    finally:
        conn.close()
    detail = "can create, fill, rename and drop databases, views, triggers, routines and events"
    if role == "workspace":
        findings.append(check_event_scheduler(addr))
    if failed:
        detail = f"missing privileges for {', '.join(dict.fromkeys(failed))}: grant them to the {role} user"
    findings.append(Finding(f"{role}: privileges", not failed, detail))
    return findings


def check_event_scheduler(addr: ServerAddress) -> Finding:
    """Events in the staged copy (db_reporting's) would copy original PII while anonymization runs."""
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute("SELECT @@event_scheduler")
        state = str(cur.fetchone()[0]).upper()
    conn.close()
    ok = state in ("OFF", "DISABLED")
    detail = f"event_scheduler is {state}" + ("" if ok else ": run SET GLOBAL event_scheduler = OFF on the workspace server (and event_scheduler=OFF in its my.cnf)")
    return Finding("workspace: event scheduler", ok, detail)


def check_clients() -> list[Finding]:
    out = []
    for purpose, names in (("dump client", ("mysqldump", "mariadb-dump")), ("restore client", ("mysql", "mariadb"))):
        found = next((shutil.which(n) for n in names if shutil.which(n)), None)
        if found:
            version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout.strip()
            out.append(Finding(purpose, True, version[:120]))
        else:
            out.append(Finding(purpose, False, f"{names[0]} not found: install the MySQL or MariaDB client (Debian: apt-get install mariadb-client)"))
    return out


def check_disk(data_dir: Path, source_bytes: int) -> Finding:
    data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(data_dir).free
    need = int(source_bytes * DUMP_FACTOR)
    detail = f"{free // 2**20} MiB free in {data_dir}, about {need // 2**20} MiB needed for the dumps"
    if free < need:
        detail += ": free space or point AMRIT_DATA_DIR at a larger disk"
    return Finding("disk", free >= need, detail)


def check_key_present(settings: RefreshSettings) -> Finding:
    try:
        return Finding("anonymization key", True, f"present (fingerprint {fingerprint(check_key(settings.anon_key))})")
    except AnonKeyError as e:
        return Finding("anonymization key", False, str(e))


def check_topology(source: ServerAddress, targets: dict[str, ServerAddress]) -> Finding:
    try:
        require_safe_targets(source, targets)
    except (UnsafeTargetError, ServerConnectionError) as e:
        return Finding("targets are not production", False, str(e))
    return Finding("targets are not production", True, "workspace and UAT are separate servers, neither is (or looks like) the source")


def source_bytes(addr: ServerAddress, databases: list[str]) -> int:
    try:
        conn = connect(addr)
    except ServerConnectionError:
        return 0
    with conn.cursor() as cur:
        cur.execute(
            "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema IN ("
            + ", ".join(["%s"] * len(databases)) + ")",
            databases,
        )
        size = int(cur.fetchone()[0])
    conn.close()
    return size


def not_probed(role: str) -> Finding:
    return Finding(
        f"{role}: privileges",
        False,
        "not probed: the server is not proven separate from the source (see 'targets are not production'); "
        "preflight sends no statement that writes to it until that passes",
    )


def run_preflight(servers: dict[str, ServerAddress], settings: RefreshSettings, databases: list[str]) -> list[Finding]:
    """Every finding, in the order a DBA would fix them.

    The topology (which server is which) is settled first, with reads only; a target is probed with
    writes only once it is proven not to be the source, so a misconfigured target that *is* production
    is never written to.
    """
    targets = {"workspace": servers["workspace"], "uat": servers["uat"]}
    findings = check_source(servers["source"], databases)
    connects = {role: _reachable(role, addr) for role, addr in targets.items()}  # reads only
    findings += connects.values()
    reachable = all(f.ok for f in findings if f.check.endswith("connect"))
    topology = check_topology(servers["source"], targets) if reachable else None
    if topology is not None:
        findings.append(topology)
    for role, addr in targets.items():
        if not connects[role].ok:
            continue
        if topology is None or not topology.ok:
            findings.append(not_probed(role))
        else:
            findings += check_target(role, addr)[1:]  # its connect finding is already listed
    findings += check_clients()
    findings.append(check_disk(Path(settings.data_dir).resolve(), source_bytes(servers["source"], databases)))
    findings.append(check_key_present(settings))
    return findings


def render(findings: list[Finding]) -> str:
    width = max(len(f.check) for f in findings)
    return "\n".join(f"{'ok  ' if f.ok else 'FAIL'}  {f.check:<{width}}  {f.detail}" for f in findings)


@asset_check(
    asset="source_schema",
    blocking=True,
    partitions_def=database_partitions,
    description="Preflight: servers reachable with the right privileges, source session read-only, targets are not "
    "production, client binaries present, disk for the dumps, the key present. Blocks the refresh when anything fails.",
)
def preflight(
    context: AssetCheckExecutionContext, source: MySQLResource, workspace: MySQLResource, uat_server: MySQLResource, settings: RefreshSettings
) -> AssetCheckResult:
    db = context.partition_key
    servers = {"source": source.address, "workspace": workspace.address, "uat": uat_server.address}
    findings = run_preflight(servers, settings, [db])
    failed = [f for f in findings if not f.ok]
    for f in failed:
        context.log.error(f"preflight {f.check}: {f.detail}")
    return AssetCheckResult(
        passed=not failed,
        metadata={
            "database": db,
            "failed": len(failed),
            "problems": "; ".join(f"{f.check}: {f.detail}" for f in failed) or "none",
            "findings": MetadataValue.md("\n".join(f"- **{'ok' if f.ok else 'FAIL'}** {f.check}: {f.detail}" for f in findings)),
        },
    )
