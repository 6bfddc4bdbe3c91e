"""A throwaway MySQL-compatible server started from the installed binaries.

Used for the demo ("production", workspace and UAT) and by the tests. It lives in a temp data
directory on its own socket and TCP port, is tuned for speed over durability (nothing in it must
survive a crash), and is always stopped and removed, also when the code using it fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from amrit_assets.resources.mysql import ServerAddress


class EmbeddedServerError(RuntimeError):
    pass


def find_server_binary() -> str:
    """The first mariadbd/mysqld on PATH or in the usual sbin folders."""
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/usr/local/sbin:/usr/local/mysql/bin"
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name, path=search)
        if found:
            return found
    raise EmbeddedServerError(
        "No MySQL-compatible server binary (mariadbd or mysqld) found. Install one "
        "(Debian: apt-get install mariadb-server mariadb-client) or point the resources at an external server."
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_dir() -> str | None:
    """``AMRIT_EMBEDDED_DIR`` (a large demo's servers need more room than RAM has), made if missing, as
    the user meant; None when unset."""
    place = os.environ.get("AMRIT_EMBEDDED_DIR")
    if place:
        Path(place).mkdir(parents=True, exist_ok=True)
    return place or None


def _default_base_dir() -> str | None:
    """``embedded_dir()``, else RAM-backed temp space, which makes table creation and restores several times faster."""
    if place := embedded_dir():
        return place
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@dataclass
class EmbeddedServer:
    """Context manager: ``with EmbeddedServer("workspace") as srv: srv.address``."""

    name: str
    base_dir: str | None = field(default_factory=_default_base_dir)
    buffer_pool: str = "256M"
    datadir: Path | None = None
    address: ServerAddress | None = None
    _proc: subprocess.Popen | None = None
    _root: Path | None = None

    def start(self) -> ServerAddress:
        binary = find_server_binary()
        if self.base_dir:  # AMRIT_EMBEDDED_DIR names a place for the servers: make it, as the user meant
            Path(self.base_dir).mkdir(parents=True, exist_ok=True)
        self._root = Path(tempfile.mkdtemp(prefix=f"amrit-{self.name}-", dir=self.base_dir))
        try:
            return self._start(binary)
        except BaseException:
            self.stop()
            raise

    def _start(self, binary: str) -> ServerAddress:
        assert self._root is not None
        self.datadir = self._root / "data"
        sock = self._root / "mysqld.sock"
        port = _free_port()
        is_maria = "mariadb" in Path(binary).name or "MariaDB" in _version(binary)
        cnf = self._root / "my.cnf"
        cnf.write_text(
            "\n".join(
                [
                    "[mysqld]",
                    f"datadir={self.datadir}",
                    f"socket={sock}",
                    f"port={port}",
                    "bind-address=127.0.0.1",
                    f"pid-file={self._root / 'mysqld.pid'}",
                    f"log-error={self._root / 'error.log'}",
                    f"tmpdir={self._root}",
                    "lower_case_table_names=1",
                    "innodb_strict_mode=0",
                    f"innodb_buffer_pool_size={self.buffer_pool}",
                    "innodb_log_file_size=256M",
                    "innodb_flush_log_at_trx_commit=0",
                    "innodb_doublewrite=0",
                    "innodb_flush_method=nosync" if is_maria else "innodb_flush_method=O_DIRECT_NO_FSYNC",
                    "skip-log-bin",
                    "skip-name-resolve",
                    "max_allowed_packet=256M",
                    "event_scheduler=OFF",
                    "character-set-server=utf8mb4",
                    "performance_schema=OFF",
                    "sql_mode=NO_ENGINE_SUBSTITUTION",
                ]
            )
            + "\n"
        )
        self._initialize(binary, cnf, is_maria)
        log = open(self._root / "stdout.log", "wb")
        cmd = [binary, f"--defaults-file={cnf}"] + (["--user=root"] if os.geteuid() == 0 else [])
        self._proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_reset_signals,
        )
        self.address = ServerAddress(host="127.0.0.1", port=port, user="root", password="", unix_socket=str(sock))
        self._wait_ready()
        return self.address

    def _initialize(self, binary: str, cnf: Path, is_maria: bool) -> None:
        if is_maria:
            install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
            if not install:
                raise EmbeddedServerError("mariadb-install-db not found; install the mariadb-server package.")
            cmd = [install, f"--defaults-file={cnf}", "--auth-root-authentication-method=normal", "--skip-test-db"]
            if os.geteuid() == 0:
                cmd.append("--user=root")
        else:
            cmd = [binary, f"--defaults-file={cnf}", "--initialize-insecure"]
            if os.geteuid() == 0:
                cmd.append("--user=root")
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise EmbeddedServerError(f"initializing the {self.name} server failed:\n{res.stdout[-2000:]}{res.stderr[-2000:]}")

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import pymysql

        assert self.address is not None and self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise EmbeddedServerError(f"the {self.name} server exited at start:\n{self.error_log()[-3000:]}")
            try:
                pymysql.connect(unix_socket=self.address.unix_socket, user="root", password="").close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.1)
        raise EmbeddedServerError(f"the {self.name} server did not answer within {timeout:.0f}s:\n{self.error_log()[-3000:]}")

    def error_log(self) -> str:
        path = self._root / "error.log" if self._root else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self) -> None:
        """Stop the server (TERM, then KILL) and remove its directory. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> "EmbeddedServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _reset_signals() -> None:
    # Children inherit ignored signals from some sandboxes; the server must obey SIGTERM.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _version(binary: str) -> str:
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return ""
