"""Dump and restore with the real ``mysqldump``/``mysql`` clients, the way a DBA would.

A dump is a consistent snapshot (``--single-transaction``) with routines, triggers and events.
A restore first checks the dump is complete (mysqldump's closing line), so a truncated or corrupt
file is refused with a clear error before the target database is touched.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from amrit_assets.resources.mysql import ServerAddress, client_defaults_file, connect

_COMPLETED = b"-- Dump completed"


class DumpError(RuntimeError):
    pass


@dataclass(frozen=True)
class DumpResult:
    path: Path
    bytes: int
    sha256: str
    seconds: float


def _client(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise DumpError(f"{names[0]} not found: install the MySQL or MariaDB client (Debian: apt-get install mariadb-client)")


def _is_mysql_client(binary: str) -> bool:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return "MariaDB" not in out


def dump_database(addr: ServerAddress, db: str, path: Path) -> DumpResult:
    """Consistent snapshot of one database, written to ``path`` (replaced only when complete)."""
    binary = _client("mysqldump", "mariadb-dump")
    args = [
        "--single-transaction",
        "--quick",
        "--routines",
        "--triggers",
        "--events",
        "--hex-blob",
        "--no-tablespaces",
        "--default-character-set=utf8mb4",
        "--skip-lock-tables",
    ]
    if _is_mysql_client(binary):
        args += ["--set-gtid-purged=OFF", "--column-statistics=0"]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    start = time.monotonic()
    with client_defaults_file(addr) as cnf, partial.open("wb") as out:
        res = subprocess.run([binary, f"--defaults-extra-file={cnf}", *args, db], stdout=out, stderr=subprocess.PIPE)
    if res.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DumpError(f"mysqldump of {db} failed: {res.stderr.decode(errors='replace')[:1500]}")
    partial.replace(path)
    return DumpResult(path, path.stat().st_size, file_sha256(path), time.monotonic() - start)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_dump(path: Path) -> None:
    """Refuse a missing, empty or truncated dump before anything is dropped."""
    if not path.exists():
        raise DumpError(f"dump {path} does not exist: materialize its dump asset first")
    size = path.stat().st_size
    if size == 0:
        raise DumpError(f"dump {path} is empty: re-run the dump")
    with path.open("rb") as f:
        f.seek(max(0, size - 512))
        tail = f.read()
    if _COMPLETED not in tail:
        raise DumpError(f"dump {path} is truncated or corrupt (no '-- Dump completed' trailer): re-run the dump; the target was not touched")


def restore_database(addr: ServerAddress, db: str, path: Path) -> float:
    """Replace database ``db`` on ``addr`` with the dump's content; returns seconds taken."""
    verify_dump(path)
    binary = _client("mysql", "mariadb")
    start = time.monotonic()
    conn = connect(addr)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute(f"CREATE DATABASE `{db}` DEFAULT CHARACTER SET utf8mb4")
    conn.close()
    with client_defaults_file(addr) as cnf, path.open("rb") as f:
        res = subprocess.run(
            [binary, f"--defaults-extra-file={cnf}", "--default-character-set=utf8mb4", "--init-command=SET FOREIGN_KEY_CHECKS=0", db],
            stdin=f,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
    if res.returncode != 0:
        raise DumpError(f"restoring {path.name} into {db} failed: {res.stderr.decode(errors='replace')[:1500]}")
    return time.monotonic() - start
