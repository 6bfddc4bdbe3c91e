"""Dump and restore with the real ``mysqldump``/``mysql`` clients, the way a DBA would.

A dump is a consistent snapshot (``--single-transaction``) with routines, triggers and events, read
from mysqldump's stdout as it is written: raw dumps (PII) are encrypted on the way to disk
(``crypto``), anonymized dumps stay plaintext (the shareable artifact). Either way the file appears
under its name only when complete, and a full disk leaves the previous dump as it was.

A restore first checks the whole dump (every chunk's tag when encrypted, and mysqldump's closing
line), so a wrong key, a damaged or a truncated file is refused before the target database is
touched. The dump then streams through ``portable.DumpFilter`` (no DEFINERs, MariaDB-safe collations,
views created afterwards, cross-database views left pending until their database arrives).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from amrit_assets.progress import Progress
from amrit_assets.resources.crypto import CHUNK_SIZE, MAGIC, DecryptError, decrypt_chunks, encrypt_stream
from amrit_assets.resources.mysql import ServerAddress, client_defaults_file, connect, mask_values
from amrit_assets.resources.sections import PositionalReader, restore_in_parallel
from amrit_assets.resources.portable import (
    ClientCommandError,
    DumpFilter,
    ViewError,
    create_views,
    forget_pending,
    is_mariadb,
    is_mariadb_client,
    pending_lock,
    requalify,
    retry_pending_views,
)

_COMPLETED = b"-- Dump completed"
_TAIL = 512
RAW_SUFFIX = ".sql.enc"
# With retention 0, staging deletes the dump it restored; one whose staging failed goes after this.
FALLBACK_RETENTION_HOURS = 24.0


class DumpError(RuntimeError):
    pass


@dataclass(frozen=True)
class DumpResult:
    path: Path
    bytes: int
    sha256: str
    seconds: float
    encrypted: bool = False
    plaintext_bytes: int = 0


@dataclass(frozen=True)
class RestoreResult:
    seconds: float
    views_created: list[str] = field(default_factory=list)
    views_pending: list[str] = field(default_factory=list)
    views_completed: list[str] = field(default_factory=list)  # pending views of other databases created now
    events_enabled: dict[str, bool] = field(default_factory=dict)  # with disable_events: what the dump had


def find_client(*names: str) -> str:
    """The first of these client programs on PATH (MySQL's name first, then MariaDB's)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise DumpError(f"{names[0]} not found: install the MySQL or MariaDB client (Debian: apt-get install mariadb-client)")


# --- dump -----------------------------------------------------------------------------------------


class _Tail:
    """Reads through a stream, remembering its length and last bytes (mysqldump's closing line)."""

    def __init__(self, src: BinaryIO) -> None:
        self.src, self.count, self.tail = src, 0, b""

    def read(self, n: int = -1) -> bytes:
        data = self.src.read(n)
        self.count += len(data)
        self.tail = _keep_tail(self.tail, data)
        return data


class _Hashing:
    """Writes through to a file, hashing what it writes (no second pass over a large dump)."""

    def __init__(self, dst: BinaryIO) -> None:
        self.dst, self.sha, self.count = dst, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.count += len(data)
        return self.dst.write(data)


def _keep_tail(tail: bytes, data: bytes) -> bytes:
    return data[-_TAIL:] if len(data) >= _TAIL else (tail + data)[-_TAIL:]


def _dump_args(binary: str) -> list[str]:
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
    if not is_mariadb_client(binary):
        args += ["--set-gtid-purged=OFF", "--column-statistics=0"]
    return args


def _write(src: _Tail, partial: Path, key: bytes | None) -> _Hashing:
    """Copy (or encrypt) the dump stream into ``partial`` (0600), synced to disk."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb", buffering=CHUNK_SIZE) as f:
        out = _Hashing(f)
        if key is not None:
            encrypt_stream(src, out, key)
        else:
            for block in iter(lambda: src.read(CHUNK_SIZE), b""):
                out.write(block)
        f.flush()
        _fsync(f.fileno())
    return out


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno != errno.EINVAL:  # devices and pipes cannot sync; files can
            raise


def _write_error(e: OSError, partial: Path, path: Path) -> DumpError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DumpError(
            f"the disk is full: writing {partial} failed ({os.strerror(e.errno)}). Free space on the disk that holds "
            f"{path.parent}, or set AMRIT_DATA_DIR to a directory on a larger disk, then materialize again; "
            f"any previous dump {path} was left untouched"
        )
    return DumpError(f"writing {partial} failed ({e.strerror or e}); any previous dump {path} was left untouched")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def partial_path(path: Path) -> Path:
    """Where a dump is written until complete: one per process, so two writers never share one."""
    return path.with_name(f"{path.name}.{os.getpid()}.partial")


def dump_database(addr: ServerAddress, db: str, path: Path, *, key: bytes | None = None) -> DumpResult:
    """Consistent snapshot of one database, written to ``path`` (replaced only when complete).

    With ``key`` (the anonymization key) the file is encrypted at rest; see ``crypto``.
    """
    binary = find_client("mysqldump", "mariadb-dump")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    start = time.monotonic()
    with client_defaults_file(addr) as cnf, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([binary, f"--defaults-extra-file={cnf}", *_dump_args(binary), db], stdout=subprocess.PIPE, stderr=err)
        src = _Tail(proc.stdout)
        try:
            out = _write(src, partial, key)
        except OSError as e:
            _stop(proc)
            partial.unlink(missing_ok=True)
            raise _write_error(e, partial, path) from None
        except BaseException:
            _stop(proc)
            partial.unlink(missing_ok=True)
            raise
        if proc.wait() != 0 or _COMPLETED not in src.tail:
            partial.unlink(missing_ok=True)
            err.seek(0)
            raise DumpError(f"mysqldump of {db} failed (exit {proc.returncode}): {mask_values(err.read().decode(errors='replace'))[:1500]}")
    partial.replace(path)
    return DumpResult(path, out.count, out.sha.hexdigest(), time.monotonic() - start, key is not None, src.count)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- verify -----------------------------------------------------------------------------------------


_FIXES = {
    "wrong_key": "set AMRIT_ANON_KEY to the key in use when this dump was made, or materialize its raw_dump again with the current key",
    "version": "upgrade amrit-anon, or materialize its raw_dump again",
}


def _decrypted(src: BinaryIO, path: Path, key: bytes, consequence: str) -> Iterator[bytes]:
    """The plaintext of an encrypted dump; a failing chunk becomes a DumpError naming file, cause and fix."""
    try:
        yield from decrypt_chunks(src, key)
    except DecryptError as e:
        fix = _FIXES.get(e.problem, "the file cannot be repaired: materialize its raw_dump again")
        raise DumpError(f"dump {path} cannot be restored: {e}. Fix: {fix}. {consequence}") from None


def _plain(src: BinaryIO) -> Iterator[bytes]:
    yield from iter(lambda: src.read(CHUNK_SIZE), b"")


def _require_key(path: Path, key: bytes | None) -> bytes:
    if key is None:
        raise DumpError(f"dump {path} is encrypted: restore it with the anonymization key (AMRIT_ANON_KEY) it was made with; nothing was dropped")
    return key


def _is_encrypted(src: BinaryIO) -> bool:
    src.seek(0)
    head = src.read(len(MAGIC))
    src.seek(0)
    return head == MAGIC


@contextlib.contextmanager
def sealed_copy(path: Path, expected_sha256: str | None, require_encrypted: bool = False) -> Iterator[BinaryIO]:
    """The dump's bytes in a private, already-unlinked copy, hashed as they are copied.

    Every check and the restore then read this copy, which nothing else can open or change: the
    bytes restored are the bytes whose hash was compared (swapping or rewriting ``path`` after the
    check changes nothing). A plaintext file where ``require_encrypted`` and a hash that differs from
    ``expected_sha256`` are refused here.
    """
    if not path.exists():
        raise DumpError(f"dump {path} does not exist: materialize its dump asset first")
    with path.open("rb") as src, tempfile.TemporaryFile(dir=path.parent, prefix=f".{path.name}.") as copy:
        out = _Hashing(copy)
        for block in iter(lambda: src.read(CHUNK_SIZE), b""):
            out.write(block)
        if require_encrypted and not _is_encrypted(copy):
            raise DumpError(
                f"dump {path} is not an amrit-anon encrypted dump (no AMRITENC header): a raw dump is only ever written "
                "encrypted, so this file was not written by raw_dump. Fix: delete it and materialize raw_dump again; "
                "the target database was not touched"
            )
        if expected_sha256 is not None and out.sha.hexdigest() != expected_sha256:
            raise DumpError(
                f"dump {path} is not the dump that was recorded: its sha256 {out.sha.hexdigest()[:12]}… differs from "
                f"the recorded {expected_sha256[:12]}… (the file was replaced or changed after it was written). "
                "Fix: materialize its dump asset again; the target database was not touched"
            )
        copy.flush()
        copy.seek(0)
        yield copy


def _verify(src: BinaryIO, path: Path, key: bytes | None) -> bool:
    """Refuse an empty, undecryptable or truncated dump; True if it is encrypted."""
    size = os.fstat(src.fileno()).st_size
    if size == 0:
        raise DumpError(f"dump {path} is empty: re-run the dump")
    encrypted = _is_encrypted(src)
    if encrypted:
        tail = b""
        for chunk in _decrypted(src, path, _require_key(path, key), "The target database was not touched."):
            tail = _keep_tail(tail, chunk)
    else:
        src.seek(max(0, size - _TAIL))
        tail = src.read()
    src.seek(0)
    if _COMPLETED not in tail:
        raise DumpError(f"dump {path} is truncated or corrupt (no '-- Dump completed' trailer): re-run the dump; the target was not touched")
    return encrypted


def verify_dump(path: Path, *, key: bytes | None = None, expected_sha256: str | None = None, require_encrypted: bool = False) -> None:
    """Refuse a missing, empty, unrecorded, undecryptable or truncated dump before anything is dropped."""
    with sealed_copy(path, expected_sha256, require_encrypted) as src:
        _verify(src, path, key)


# --- restore ------------------------------------------------------------------------------------------


def _recreate(conn, db: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute(f"CREATE DATABASE `{db}` DEFAULT CHARACTER SET utf8mb4")


def _feed(proc: subprocess.Popen, lines: Iterable[bytes]) -> None:
    """Write the filtered dump to the client; a client that stopped early reports why on exit."""
    assert proc.stdin is not None
    try:
        for line in lines:
            proc.stdin.write(line)
        proc.stdin.close()
    except BrokenPipeError:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass


def sandbox_options(binary: str) -> list[str]:
    """The client's own refusal of client commands, where it has one.

    MariaDB's client has ``--sandbox`` (10.5.25/10.6.18/10.11.8+: no ``system``, ``source``, ``tee``,
    ``pager`` with an argument); MySQL's has ``--commands=OFF`` (WL#16949, recent 8.0/8.4 releases: no
    client command at all). Older clients have neither: the dump filter refuses such lines anyway.
    """
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if "--sandbox" in help_text:
        return ["--sandbox"]
    if "--commands" in help_text:
        return ["--commands=OFF"]
    return []


def _pipe_into_client(addr: ServerAddress, db: str, lines: Iterable[bytes], path: Path, binary: str) -> None:
    options = [*sandbox_options(binary), "--default-character-set=utf8mb4", "--init-command=SET FOREIGN_KEY_CHECKS=0", db]
    with client_defaults_file(addr) as cnf, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [binary, f"--defaults-extra-file={cnf}", *options], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, bufsize=CHUNK_SIZE
        )
        try:
            _feed(proc, lines)
        except BaseException:
            _stop(proc)
            raise
        if proc.wait() != 0:
            err.seek(0)
            raise DumpError(f"restoring {path.name} into {db} failed: {mask_values(err.read().decode(errors='replace'))[:1500]}")


def restore_dump(
    addr: ServerAddress,
    db: str,
    path: Path,
    *,
    key: bytes | None = None,
    disable_events: bool = False,
    expected_sha256: str | None = None,
    require_encrypted: bool = False,
    progress: Progress | None = None,
    workers: int = 1,
) -> RestoreResult:
    """Replace database ``db`` on ``addr`` with the dump's content, portably; views last.

    The dump is copied once into a private file (``sealed_copy``) whose hash must equal
    ``expected_sha256`` (what the dump's asset recorded); every check and the restore read that copy.
    ``require_encrypted`` refuses anything but an authenticated encrypted dump (raw dumps).
    ``disable_events`` creates every event disabled (for UAT's shadow) and reports which were enabled.
    ``progress`` counts a table as done when the next one's ``CREATE TABLE`` goes to the client.
    ``workers`` > 1 loads the tables on that many clients at once (``sections``).
    A line the mysql client would run as a client command (``\\!``, ``system``, ``source`` ...) is
    refused (``portable.ClientCommandError``): ``db`` is then dropped, incomplete.
    """
    binary = find_client("mysql", "mariadb")
    with sealed_copy(path, expected_sha256, require_encrypted) as src:
        encrypted = _verify(src, path, key)
        start = time.monotonic()
        conn = connect(addr)
        try:
            dump_filter = DumpFilter(mariadb=is_mariadb(conn), mysql_client=not is_mariadb_client(binary), disable_events=disable_events)
            with pending_lock(conn):
                forget_pending(conn, db)
            _recreate(conn, db)
            changed = f"It changed after it was verified: {db} is incomplete; restore it again."

            def plaintext(reader: BinaryIO | PositionalReader) -> Iterator[bytes]:
                return _decrypted(reader, path, _require_key(path, key), changed) if encrypted else _plain(reader)

            def pipe(lines: Iterable[bytes]) -> None:
                _pipe_into_client(addr, db, lines, path, binary)

            try:
                parallel = workers > 1 and restore_in_parallel(lambda: plaintext(PositionalReader(src.fileno())), dump_filter, pipe, workers, progress)
                if not parallel:  # one client, or a dump not laid out by table (nothing was sent yet)
                    dump_filter = dump_filter.fresh()
                    lines = dump_filter.lines(plaintext(src))
                    pipe(_counting_tables(lines, progress) if progress else lines)
            except ClientCommandError as e:
                with conn.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
                raise DumpError(f"dump {path} was refused: {e}. {db} was dropped (it was incomplete). Fix: materialize the dump again") from None
            with pending_lock(conn):
                views = create_views(conn, db, [requalify(v, dump_filter.source_db, db) for v in dump_filter.views])
                completed = retry_pending_views(conn)
        except ViewError as e:
            raise DumpError(f"restoring {path.name} into {db}: {e}") from None
        finally:
            conn.close()
    pending = [p.qualified for p in views.pending]
    return RestoreResult(time.monotonic() - start, views.created, pending, completed, dump_filter.events_enabled)


def _counting_tables(lines: Iterable[bytes], progress: Progress) -> Iterator[bytes]:
    started = 0
    for line in lines:
        if line.startswith(b"CREATE TABLE "):
            if started:
                progress.advance()
            started += 1
        yield line


def restore_database(addr: ServerAddress, db: str, path: Path, *, key: bytes | None = None) -> float:
    """Replace database ``db`` on ``addr`` with the dump's content; returns seconds taken."""
    return restore_dump(addr, db, path, key=key).seconds


# --- retention of raw dumps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    hours: float
    deleted: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    def keeping(self, path: Path) -> "Retention":
        """The same sweep, counting a dump written after it (raw_dumps_kept = raw dumps left on disk)."""
        kept = self.kept if path.name in self.kept else tuple(sorted((*self.kept, path.name)))
        return Retention(self.hours, self.deleted, kept)

    def metadata(self) -> dict[str, float | int]:
        return {"raw_retention_hours": self.hours, "raw_dumps_deleted": len(self.deleted), "raw_dumps_kept": len(self.kept)}


def apply_retention(folder: Path, hours: float, *, restored: Path | None = None, now: float | None = None) -> Retention:
    """Delete raw dumps past retention; with 0 hours, also the one staging has just ``restored``.

    Also removes plaintext raw dumps left by versions before encryption, and stale ``.partial``
    files. A dump is aged by its file time (when mysqldump finished).
    """
    if hours < 0:
        raise DumpError(f"raw dump retention must be 0 or more hours, not {hours}")
    now = time.time() if now is None else now
    limit = (hours if hours > 0 else FALLBACK_RETENTION_HOURS) * 3600
    deleted: list[str] = []
    kept: list[str] = []
    for p in sorted(folder.glob("*")) if folder.is_dir() else []:
        name = p.name
        expired = now - p.stat().st_mtime > limit
        legacy = name.endswith(".sql")  # plaintext PII from before raw dumps were encrypted
        if legacy or (name.endswith((RAW_SUFFIX, ".partial")) and expired) or (hours == 0 and p == restored):
            p.unlink(missing_ok=True)
            deleted.append(name)
        elif name.endswith(RAW_SUFFIX):
            kept.append(name)
    return Retention(hours, tuple(deleted), tuple(kept))
