"""Connections to the three servers of a refresh: source (read-only), workspace, UAT.

Configured from the environment (``AMRIT_<ROLE>_HOST`` ... and ``AMRIT_<ROLE>_PASSWORD`` through
Dagster's ``EnvVar``), so the same code runs against embedded throwaway servers and real ones.
Command-line clients get the password through a private defaults file, never through argv.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pymysql
import pymysql.cursors
from dagster import ConfigurableResource, Failure


class ServerConnectionError(RuntimeError):
    pass


# MySQL quotes the offending value after these words ("Duplicate entry '98..' for key", "Incorrect
# integer value: 'x'", "syntax ... near 'x'"): such text must never reach a log or the event log.
_VALUE_LITERAL = re.compile(r"((?:entry|value:?|values?)\s+)'(?:[^'\\]|\\.|'')*'", re.IGNORECASE)
_NEAR = re.compile(r"(near\s+)'.*?'(\s+at line \d+)", re.IGNORECASE | re.DOTALL)


def mask_values(message: str) -> str:
    """A server or client error message with any quoted data value replaced by '…'."""
    return _NEAR.sub(r"\1'…'\2", _VALUE_LITERAL.sub(r"\1'…'", message))


class MaskingCursor(pymysql.cursors.Cursor):
    """Re-raises server errors with data values masked (same class and error code, no chained original)."""

    def execute(self, query, args=None):
        try:
            return super().execute(query, args)
        except pymysql.MySQLError as e:
            raise type(e)(*[mask_values(a) if isinstance(a, str) else a for a in e.args]) from None


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    user: str
    password: str = ""
    unix_socket: str = ""
    unconfigured: str = ""  # the sentence naming the variable left unset (``resources.missing_server_setting``)

    def env(self, role: str) -> dict[str, str]:
        """The environment variables that point a role's resource at this server."""
        prefix = f"AMRIT_{role.upper()}_"
        return {
            prefix + "HOST": self.host,
            prefix + "PORT": str(self.port),
            prefix + "USER": self.user,
            prefix + "PASSWORD": self.password,
            prefix + "SOCKET": self.unix_socket,
        }


def connect(addr: ServerAddress, database: str | None = None, *, read_only: bool = False, **kw) -> pymysql.Connection:
    """Open a PyMySQL connection; a wrong password or unreachable server becomes a clear error."""
    if addr.unconfigured or not (addr.host or addr.unix_socket):  # never PyMySQL's own default of localhost
        raise ServerConnectionError(addr.unconfigured or "no server given: neither a host nor a socket")
    params: dict = dict(
        # bytes: PyMySQL would encode a str password as latin-1, so a non-ASCII one could never log in
        user=addr.user, password=addr.password.encode("utf-8"), database=database, charset="utf8mb4", autocommit=True, cursorclass=MaskingCursor, **kw
    )
    if addr.unix_socket:
        params["unix_socket"] = addr.unix_socket
    else:
        params.update(host=addr.host, port=addr.port)
    try:
        conn = pymysql.connect(**params)
    except pymysql.err.OperationalError as e:
        code = e.args[0] if e.args else None
        where = addr.unix_socket or f"{addr.host}:{addr.port}"
        if code == 1045:
            raise ServerConnectionError(
                f"access denied for user {addr.user!r} at {where}: check the password variable for this server"
            ) from None
        if code == 1049:
            raise ServerConnectionError(f"database {database!r} does not exist on {where}") from None
        raise ServerConnectionError(f"cannot reach the MySQL server at {where} ({e.args[-1]}): is it running?") from None
    if read_only:
        with conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION READ ONLY")
    return conn


class MySQLResource(ConfigurableResource):
    """One MySQL-compatible server. ``read_only`` sessions for the source: it is only ever read."""

    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    unix_socket: str = ""
    read_only: bool = False
    unconfigured: str = ""  # set when a variable is missing: every use fails with this sentence, nothing connects

    @property
    def address(self) -> ServerAddress:
        """The server; a ``Failure`` with the sentence naming the missing variable when it is not configured
        (Dagster shows a Failure as its description, not as a stack trace of ours)."""
        if self.unconfigured:
            raise Failure(description=self.unconfigured)
        return ServerAddress(self.host, int(self.port), self.user, self.password, self.unix_socket)

    def connect(self, database: str | None = None) -> pymysql.Connection:
        return connect(self.address, database, read_only=self.read_only)

    @contextlib.contextmanager
    def get_connection(self, database: str | None = None) -> Iterator[pymysql.Connection]:
        """A connection closed when the block ends, however it ends (``with workspace.get_connection() as conn``)."""
        with connection(self.address, database, read_only=self.read_only) as conn:
            yield conn


@contextlib.contextmanager
def connection(addr: ServerAddress, database: str | None = None, **kw) -> Iterator[pymysql.Connection]:
    """``connect`` as a context manager: the connection is closed on the way out, also on an error."""
    conn = connect(addr, database, **kw)
    try:
        yield conn
    finally:
        conn.close()


def option_value(value: str) -> str:
    """A value for a MySQL/MariaDB option file: quoted, so ``#``, ``;``, spaces and quotes are data, with the
    escapes both clients read (``\\\\``, ``\\"``, ``\\n``...)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def client_options(addr: ServerAddress) -> str:
    lines = ["[client]", f"user={option_value(addr.user)}", f"password={option_value(addr.password)}"]
    if addr.unix_socket:
        lines.append(f"socket={option_value(addr.unix_socket)}")
    else:
        lines += [f"host={option_value(addr.host)}", f"port={addr.port}", "protocol=TCP"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def client_defaults_file(addr: ServerAddress) -> Iterator[str]:
    """An option file for mysql/mysqldump (so the password never shows in ``ps``) that never has a name.

    It is a nameless temporary file (0600, ``O_TMPFILE`` where the kernel has it, else unlinked at
    once), which the client opens as ``/proc/<this pid>/fd/<n>``: no file is left behind whatever
    kills this process, since the kernel frees it with the last descriptor. Pass the returned path to
    ``--defaults-extra-file=`` of a client this process starts.
    """
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", prefix="amrit-client-") as f:
        f.write(client_options(addr))
        f.flush()
        yield f"/proc/{os.getpid()}/fd/{f.fileno()}"


@contextlib.contextmanager
def session_lock(conn: pymysql.Connection, name: str, timeout: int) -> Iterator[bool]:
    """``GET_LOCK(name)`` for the block: True when held, False when another session held it for ``timeout`` s.

    The lock belongs to ``conn``'s session, so the server frees it if the holder dies mid-block.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, %s)", (name, timeout))
        held = cur.fetchone()[0] == 1
    try:
        yield held
    finally:
        if held:
            with conn.cursor() as cur:
                cur.execute("SELECT RELEASE_LOCK(%s)", (name,))
