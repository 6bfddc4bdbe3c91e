"""Make a production dump restorable anywhere: no DEFINERs, no MySQL-8-only collations, views last.

Production dumps name DEFINER users that the workspace and UAT lack (creating the object then fails,
or it runs as a user that does not exist), and MySQL 8 writes ``utf8mb4_0900_*`` collations that
MariaDB does not know. ``DumpFilter`` rewrites a dump as it streams to the ``mysql`` client, one line
at a time, touching DDL and comment lines only: data (``INSERT``/``REPLACE`` statements, all their
lines) passes through byte-identical, so a value that happens to read ``DEFINER=`` survives.

Views are taken out of the stream and created afterwards (``create_views``): a ``db_reporting`` view
that reads ``db_iemr`` tables cannot be created before ``db_iemr`` is restored. Such a view is
recorded as pending in ``amrit_restore_control.pending_views`` on that server and retried after
every later restore there (``retry_pending_views``), so restore order does not matter.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pymysql

from amrit_assets.resources.mysql import session_lock

CONTROL_DB = "amrit_restore_control"
_PENDING_DDL = (
    f"CREATE TABLE IF NOT EXISTS `{CONTROL_DB}`.pending_views ("
    " db VARCHAR(64) NOT NULL, view_name VARCHAR(64) NOT NULL, session_sql TEXT NOT NULL,"
    " create_sql LONGTEXT NOT NULL, missing VARCHAR(200) NOT NULL, error TEXT NOT NULL,"
    " recorded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (db, view_name)"
    ") DEFAULT CHARSET=utf8mb4"
)
_LOCK = "amrit_restore_pending_views"

_NAME = rb"(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'|\"[^\"]*\"|[\w.$%-]+)"
_ACCOUNT = rb"(?:CURRENT_USER(?:\s*\(\s*\))?|" + _NAME + rb"\s*@\s*" + _NAME + rb")"
# /*!50017 DEFINER=`u`@`h`*/ (triggers) and /*!50117 DEFINER=`u`@`h`*/ (events): the whole comment goes.
_DEFINER_COMMENT = re.compile(rb"/\*!\d{5}\s+DEFINER\s*=\s*" + _ACCOUNT + rb"\s*\*/\s?", re.IGNORECASE)
# /*!50013 DEFINER=`u`@`h` SQL SECURITY DEFINER */ (views), CREATE DEFINER=`u`@`h` PROCEDURE/FUNCTION/...
_DEFINER_CLAUSE = re.compile(rb"\bDEFINER\s*=\s*" + _ACCOUNT + rb"\s*", re.IGNORECASE)
# MySQL 8's UCA 9.0.0 collations, locale-specific ones included (utf8mb4_de_pb_0900_ai_ci).
_COLLATION_0900 = re.compile(rb"\butf8mb4_(?:[a-z]+_)*0900_(ai_ci|as_ci|as_cs|bin)\b", re.IGNORECASE)
# Names both MariaDB and MySQL 8 know, so a dump made on a MariaDB workspace still restores on MySQL 8.
MARIADB_COLLATIONS = {b"ai_ci": b"utf8mb4_unicode_520_ci", b"as_ci": b"utf8mb4_unicode_520_ci", b"as_cs": b"utf8mb4_bin", b"bin": b"utf8mb4_bin"}
_DATA = (b"INSERT ", b"REPLACE ")
_VIEW_START = b"/*!50001 CREATE ALGORITHM="
_VIEW_NAME = re.compile(rb"/\*!50001 VIEW\s+`((?:[^`]|``)+)`")
_VIEW_SESSION = re.compile(rb"^/\*!50001 SET (character_set_client|character_set_results|collation_connection)\s*=\s*(\w+)\s*\*/;")
_SOURCE_DB = re.compile(rb"^-- Host: .*Database: (\S+)")
_SANDBOX = b"/*M!999999\\- enable the sandbox mode */"
# /*!50106 EVENT `e` ON SCHEDULE ... ON COMPLETION NOT PRESERVE ENABLE [COMMENT '..'] DO ...: status before DO
_EVENT_NAME = re.compile(rb"/\*!50106 EVENT\s+`((?:[^`]|``)+)`")
_EVENT_STATUS = re.compile(r"\b(ENABLE|DISABLE ON SLAVE|DISABLE ON REPLICA|DISABLE)\b")
# Which object a failed CREATE VIEW missed: "Table 'db.t' doesn't exist", "FUNCTION db.f does not exist", ...
_MISSING = (
    re.compile(r"'([^'.]+)\.([^']+)' doesn't exist"),
    re.compile(r"(?:FUNCTION|PROCEDURE) ([^ .]+)\.(\S+) does not exist"),
    re.compile(r"Unknown database '([^']+)'()"),
)


class ViewError(RuntimeError):
    pass


class ClientCommandError(RuntimeError):
    """A dump line the mysql client would run itself (a shell command, another file, a new delimiter)."""


# The mysql/mariadb clients' own commands (``help`` lists them): a long name at the start of a
# statement, or ``\x`` anywhere outside a string. A dump never needs one, except mysqldump's own
# ``DELIMITER ;;``/``DELIMITER ;`` around routines and MariaDB's sandbox marker (which only restricts).
CLIENT_COMMANDS = frozenset(
    b"? charset clear connect delimiter edit ego exit go help nopager notee nowarning pager print prompt "
    b"query_attributes quit rehash resetconnection sandbox source ssl_session_data_print status system tee use warnings".split()
)
_DELIMITERS = (b"DELIMITER ;;", b"DELIMITER ;")
_FIRST_WORD = re.compile(rb"\s*([A-Za-z_?]+)(?:[\s;]|$)")
# A data line as mysqldump writes it: strings, identifiers and the rest, no backslash outside a string.
_DATA_LINE = re.compile(rb"(?:[^'\"`\\]++|'(?:[^'\\]++|\\.)*+'|\"(?:[^\"\\]++|\\.)*+\"|`[^`]*+`)*+")


def client_command_in_data(line: bytes) -> bool:
    """A backslash outside every string (``\\!`` runs a shell), or a string left open: not mysqldump's output."""
    body = line.rstrip(b"\r\n")
    m = _DATA_LINE.match(body)
    return m is None or m.end() != len(body)


@dataclass
class CommandScanner:
    """Follows the client's view of a dump's DDL lines (strings, comments, statement starts) to find its commands."""

    quote: bytes = b""  # inside a string or identifier spanning lines
    comment: bool = False  # inside /* ... */ (not /*! ... */, which the client reads as SQL)
    fresh: bool = True  # the client's statement buffer is empty: a long command name would run
    delimiter: bytes = b";"

    def scan(self, line: bytes) -> str | None:
        """What client command ``line`` holds, if any."""
        body = line.rstrip(b"\r\n")
        if self.fresh and not self.quote and not self.comment:
            if body.strip() in _DELIMITERS:
                self.delimiter = body.strip().split()[1]
                return None
            m = _FIRST_WORD.match(body)
            if m and m.group(1).lower() in CLIENT_COMMANDS:
                return m.group(1).decode()
        found, tail = self._walk(body)
        if tail.strip():
            self.fresh = not self.quote and not self.comment and tail.rstrip().endswith(self.delimiter)
        return found

    def _walk(self, body: bytes) -> tuple[str | None, bytes]:
        """Track quotes and comments through one line; returns a backslash command and the line's SQL tail."""
        i, n, tail_start = 0, len(body), 0
        while i < n:
            c = body[i : i + 1]
            if self.comment:
                end = body.find(b"*/", i)
                if end < 0:
                    return None, b""
                self.comment, i, tail_start = False, end + 2, end + 2
            elif self.quote:
                if c == b"\\" and self.quote != b"`":
                    i += 2
                elif c == self.quote:
                    self.quote, i = b"", i + 1
                else:
                    i += 1
            elif c in (b"'", b'"', b"`"):
                self.quote, i = c, i + 1
            elif c == b"#" or body.startswith(b"-- ", i) or body[i:] == b"--":
                return None, body[tail_start:i]
            elif body.startswith(b"/*", i) and not body.startswith((b"/*!", b"/*M!"), i):
                self.comment, i = True, i + 2
            elif c == b"\\":
                return body[i : i + 2].decode(errors="replace"), b""
            else:
                i += 1
        return None, body[tail_start:]


@dataclass(frozen=True)
class ViewStatement:
    """One view of the dump: its name, the session settings it was dumped under, and its CREATE."""

    name: str
    session: tuple[str, ...]
    sql: str


@dataclass(frozen=True)
class PendingView:
    db: str
    name: str
    missing: str
    error: str

    @property
    def qualified(self) -> str:
        return f"{self.db}.{self.name}"


@dataclass
class ViewOutcome:
    created: list[str] = field(default_factory=list)
    pending: list[PendingView] = field(default_factory=list)


def rewrite_ddl(line: bytes, mariadb: bool) -> bytes:
    """Strip DEFINER clauses; on MariaDB, map MySQL 8's 0900 collations to ones it knows."""
    if b"DEFINER" in line or b"definer" in line:
        line = _DEFINER_CLAUSE.sub(b"", _DEFINER_COMMENT.sub(b"", line))
    return map_0900_collations(line) if mariadb else line


def map_0900_collations(sql: bytes) -> bytes:
    """MySQL 8's ``utf8mb4_0900_*`` collations replaced by the ones MariaDB (and MySQL 8) know."""
    if b"0900_" not in sql:
        return sql
    return _COLLATION_0900.sub(lambda m: MARIADB_COLLATIONS[m.group(1).lower()], sql)


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines (with their newline) of a chunked stream; a long line costs its length, not more."""
    parts: list[bytes] = []
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            parts.append(chunk[start : end + 1])
            yield b"".join(parts) if len(parts) > 1 else parts[0]
            parts, start = [], end + 1
        if start < len(chunk):
            parts.append(chunk[start:])
    if parts:
        yield b"".join(parts)


# What a dump may do to sql_mode: save it, set a literal, restore what it saved (mysqldump's own forms).
# NO_BACKSLASH_ESCAPES would change where the client's strings end, which the scanner follows with
# backslash escapes; any other assignment could set it unseen (a number, a variable, a SELECT ... INTO).
_SQL_MODE_FOLLOWED = re.compile(rb"@(?:saved|old)_sql_mode\s*=\s*@@sql_mode|sql_mode\s*=\s*(?:@@sql_mode|@(?:saved|old)_sql_mode\b|'[^'\\]*')")


def unfollowed_sql_mode(line: bytes) -> str | None:
    """Why a line's sql_mode cannot be followed by the filter (None: it can)."""
    low = line.lower()
    for m in _SQL_MODE_FOLLOWED.finditer(low):
        if b"no_backslash_escapes" in m.group(0):
            return "sql_mode NO_BACKSLASH_ESCAPES (the filter reads strings with backslash escapes)"
    if b"sql_mode" in _SQL_MODE_FOLLOWED.sub(b"", low):
        return "an sql_mode assignment that is not a literal or a saved value"
    return None


@dataclass
class DumpFilter:
    """Streams a dump's lines through ``rewrite_ddl`` and collects the final view definitions."""

    mariadb: bool
    mysql_client: bool = False
    source_db: str | None = None
    views: list[ViewStatement] = field(default_factory=list)
    disable_events: bool = False  # restoring into a shadow: no event may fire before the swap
    events_enabled: dict[str, bool] = field(default_factory=dict)
    _routine: bool = False
    _data: bool = False
    _view: list[bytes] = field(default_factory=list)
    _session: dict[str, str] = field(default_factory=dict)
    _commands: CommandScanner = field(default_factory=CommandScanner)
    _line: int = 0

    def lines(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The rewritten dump; raises ``ClientCommandError`` at a line the client would run as a command."""
        for line in iter_lines(chunks):
            out = self.line(line)
            if out is not None:
                yield out

    def line(self, line: bytes) -> bytes | None:
        """One line rewritten (None: not sent to the client); raises ``ClientCommandError`` at a client command."""
        self._line += 1
        if self._data or (not self._routine and not self._view and line.startswith(_DATA)):
            # Data, byte-identical: an INSERT runs to the line ending in ';' (MariaDB puts each row
            # on its own line; values never hold a raw newline, mysqldump escapes it).
            if client_command_in_data(line):
                self._refuse("a backslash outside a string (a client command such as \\!) or an unclosed string")
            self._data = not line.rstrip(b"\r\n").endswith(b";")
            return line
        if self._view or line.startswith(_VIEW_START):  # held back: the server gets it later, the client never
            return self._ddl(line)
        if not (self.mariadb_marker(line)) and (command := self._commands.scan(line)):
            self._refuse(f"the client command {command!r}")
        if b"sql_mode" in line.lower() and (problem := unfollowed_sql_mode(line)):
            self._refuse(problem)
        return self._ddl(line)

    def fresh(self) -> "DumpFilter":
        """A filter with the same options and nothing read yet."""
        return DumpFilter(mariadb=self.mariadb, mysql_client=self.mysql_client, disable_events=self.disable_events)

    def numbered_from(self, line_number: int) -> None:
        """The next line is the dump's line ``line_number`` (a filter fed one section of a dump names the right line)."""
        self._line = line_number - 1

    def at_statement_end(self) -> bool:
        """Nothing is left open: no INSERT, routine body, view, string, comment or changed delimiter."""
        c = self._commands
        return not (self._data or self._routine or self._view or c.quote or c.comment) and c.fresh and c.delimiter == b";"

    def refuse_open_statement(self, where: str) -> None:
        if not self.at_statement_end():
            self._refuse(f"the end of {where} inside an unfinished statement")

    @staticmethod
    def mariadb_marker(line: bytes) -> bool:
        return line.rstrip() == _SANDBOX

    def _refuse(self, what: str) -> None:
        raise ClientCommandError(f"line {self._line} holds {what}; a dump never runs client commands")

    def _ddl(self, line: bytes) -> bytes | None:
        if line.startswith(b"DELIMITER "):
            self._routine = line.strip() != b"DELIMITER ;"
        line = rewrite_ddl(line, self.mariadb)
        if self._view or line.startswith(_VIEW_START):
            self._collect_view(line)
            return None
        if line.startswith(b"-- Host: ") and (m := _SOURCE_DB.match(line)):
            self.source_db = m.group(1).decode()
        if line.startswith(b"/*!50001 SET ") and (m := _VIEW_SESSION.match(line)):
            self._session[m.group(1).decode()] = m.group(2).decode()
        if self.mysql_client and self.mariadb_marker(line):
            return None  # MariaDB's sandbox marker: the MySQL 8 client refuses it
        if self.disable_events and line.startswith(b"/*!50106 CREATE*/") and (m := _EVENT_NAME.search(line)):
            line = self._disabled_event(m.group(1).decode().replace("``", "`"), line)
        return line

    def _disabled_event(self, name: str, line: bytes) -> bytes:
        """Create the event DISABLEd, remembering whether the dump had it enabled."""
        sql, self.events_enabled[name] = with_event_status(line.decode("utf-8", "surrogateescape"), enabled=False)
        return sql.encode("utf-8", "surrogateescape")

    def _collect_view(self, line: bytes) -> None:
        self._view.append(line)
        if not line.rstrip().endswith(b"*/;"):
            return
        sql = b"".join(self._view).rstrip().removesuffix(b";").decode("utf-8")
        name = _VIEW_NAME.search(b"".join(self._view))
        self._view = []
        if name is None:
            raise ViewError(f"cannot read the view name of: {sql[:300]}")
        session = tuple(f"SET {k} = {v}" for k, v in self._session.items())
        self.views.append(ViewStatement(name.group(1).decode().replace("``", "`"), session, sql))


# --- views, on the target server ------------------------------------------------------------------


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def requalify_sql(sql: str, source_db: str, target_db: str) -> str:
    """An object moved to another database: its references to its own database follow it."""
    return sql.replace(f"{quote_name(source_db)}.", f"{quote_name(target_db)}.")


def requalify(view: ViewStatement, source_db: str | None, target_db: str) -> ViewStatement:
    """A dump restored under another name: its views' own-database references follow it."""
    if not source_db or source_db == target_db:
        return view
    return ViewStatement(view.name, view.session, requalify_sql(view.sql, source_db, target_db))


def strip_definer(sql: str) -> str:
    """A statement without its DEFINER clause (the object then belongs to whoever creates it)."""
    return rewrite_ddl(sql.encode("utf-8", "surrogateescape"), mariadb=False).decode("utf-8", "surrogateescape")


def with_event_status(sql: str, enabled: bool) -> tuple[str, bool]:
    """A CREATE EVENT with its status (the last ENABLE/DISABLE before ``DO``) set; and whether it was enabled."""
    head, sep, body = sql.partition(" DO ")
    status = list(_EVENT_STATUS.finditer(head))
    was_enabled = not status or status[-1].group(1).upper() == "ENABLE"  # no status written: enabled
    word = "ENABLE" if enabled else "DISABLE"
    head = head[: status[-1].start()] + word + head[status[-1].end() :] if status else head + " " + word
    return head + sep + body, was_enabled


def _missing_object(error: pymysql.MySQLError) -> tuple[str, str] | None:
    message = str(error.args[-1]) if error.args else str(error)
    for pattern in _MISSING:
        if m := pattern.search(message):
            return m.group(1), m.group(2)
    return None


def _create(cur, db: str, view: ViewStatement) -> None:
    """CREATE one view under the session settings it was dumped with, then restore the session."""
    cur.execute(f"USE {quote_name(db)}")
    cur.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")  # what mysqldump's header sets
    try:
        for stmt in view.session:
            cur.execute(stmt)
        cur.execute(f"DROP VIEW IF EXISTS {quote_name(view.name)}")  # the dump's placeholder, or an earlier attempt
        cur.execute(view.sql)
    finally:
        cur.execute("SET NAMES utf8mb4")


def _create_until_stable(cur, db: str, views: list[ViewStatement]) -> tuple[list[str], list[tuple[ViewStatement, pymysql.MySQLError]]]:
    """Create views, repeating while some succeed: a view may read another one created later."""
    created: list[str] = []
    remaining = list(views)
    while True:
        failed: list[tuple[ViewStatement, pymysql.MySQLError]] = []
        for view in remaining:
            try:
                _create(cur, db, view)
                created.append(view.name)
            except pymysql.MySQLError as e:
                failed.append((view, e))
        if not failed or len(failed) == len(remaining):
            return created, failed
        remaining = [v for v, _ in failed]


def _is_cross_database(db: str, error: pymysql.MySQLError, failed_names: set[str]) -> str | None:
    """What the view waits for, if it failed for an object outside ``db`` (or a view that waits too)."""
    missing = _missing_object(error)
    if missing and missing[0] != db:
        return ".".join(p for p in missing if p)
    if missing and missing[1] in failed_names:
        return ".".join(missing)
    return None


def create_views(conn: pymysql.Connection, db: str, views: list[ViewStatement]) -> ViewOutcome:
    """Create a restored database's views; those waiting for another database become pending."""
    outcome = ViewOutcome()
    with conn.cursor() as cur:
        outcome.created, failed = _create_until_stable(cur, db, views)
        names = {v.name for v, _ in failed}
        problems = []
        for view, error in failed:
            missing = _is_cross_database(db, error, names)
            if missing is None:
                problems.append(f"{view.name}: {error.args[-1] if error.args else error}")
                continue
            outcome.pending.append(PendingView(db, view.name, missing, str(error.args[-1] if error.args else error)))
            _record_pending(cur, db, view, outcome.pending[-1])
    if problems:
        raise ViewError(f"views of {db} could not be created: " + "; ".join(problems))
    return outcome


def _control_exists(cur) -> bool:
    cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'pending_views'", (CONTROL_DB,))
    return bool(cur.fetchone()[0])


def _record_pending(cur, db: str, view: ViewStatement, pending: PendingView) -> None:
    cur.execute(f"CREATE DATABASE IF NOT EXISTS `{CONTROL_DB}`")
    cur.execute(_PENDING_DDL)
    cur.execute(
        f"REPLACE INTO `{CONTROL_DB}`.pending_views (db, view_name, session_sql, create_sql, missing, error)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (db, view.name, "\n".join(view.session), view.sql, pending.missing[:200], pending.error),
    )


def forget_pending(conn: pymysql.Connection, db: str) -> None:
    """A database about to be replaced: its pending views belong to the old dump."""
    with conn.cursor() as cur:
        if _control_exists(cur):
            cur.execute(f"DELETE FROM `{CONTROL_DB}`.pending_views WHERE db = %s", (db,))


def pending_views(conn: pymysql.Connection) -> list[PendingView]:
    """Every view on this server still waiting for another database."""
    with conn.cursor() as cur:
        if not _control_exists(cur):
            return []
        cur.execute(f"SELECT db, view_name, missing, error FROM `{CONTROL_DB}`.pending_views ORDER BY db, view_name")
        return [PendingView(*row) for row in cur.fetchall()]


def take_pending_views(conn: pymysql.Connection, db: str) -> list[ViewStatement]:
    """Hand ``db``'s pending views to a caller that moves the database (UAT's shadow swap) and retries them itself."""
    with conn.cursor() as cur:
        if not _control_exists(cur):
            return []
        cur.execute(f"SELECT view_name, session_sql, create_sql FROM `{CONTROL_DB}`.pending_views WHERE db = %s ORDER BY view_name", (db,))
        views = [ViewStatement(name, tuple(s for s in session.split("\n") if s), sql) for name, session, sql in cur.fetchall()]
        cur.execute(f"DELETE FROM `{CONTROL_DB}`.pending_views WHERE db = %s", (db,))
    return views


def _schemas(cur) -> set[str]:
    cur.execute("SELECT schema_name FROM information_schema.schemata")
    return {row[0] for row in cur.fetchall()}


def retry_pending_views(conn: pymysql.Connection) -> list[str]:
    """After a restore: create the pending views whose missing objects now exist; returns them."""
    created: list[str] = []
    with conn.cursor() as cur:
        if not _control_exists(cur):
            return created
        cur.execute(f"SELECT db, view_name, session_sql, create_sql FROM `{CONTROL_DB}`.pending_views ORDER BY db, view_name")
        rows = cur.fetchall()
        present = _schemas(cur)
        by_db: dict[str, list[ViewStatement]] = {}
        for db, name, session, sql in rows:
            if db not in present:
                cur.execute(f"DELETE FROM `{CONTROL_DB}`.pending_views WHERE db = %s AND view_name = %s", (db, name))
                continue
            by_db.setdefault(db, []).append(ViewStatement(name, tuple(s for s in session.split("\n") if s), sql))
        for db, views in by_db.items():
            done, _ = _create_until_stable(cur, db, views)
            for name in done:
                cur.execute(f"DELETE FROM `{CONTROL_DB}`.pending_views WHERE db = %s AND view_name = %s", (db, name))
            created += [f"{db}.{name}" for name in done]
    return created


@contextlib.contextmanager
def pending_lock(conn: pymysql.Connection, timeout: int = 300) -> Iterator[None]:
    """Serializes view bookkeeping between restores running at once on the same server."""
    with session_lock(conn, _LOCK, timeout) as held:
        if not held:
            raise ViewError(f"another restore held the view lock for {timeout}s: retry")
        yield


def is_mariadb_version(version: object) -> bool:
    """Whether ``SELECT VERSION()`` came from MariaDB (``10.11.19-MariaDB-...``), else MySQL."""
    return "mariadb" in str(version).lower()


def is_mariadb(conn: pymysql.Connection) -> bool:
    """Whether the server is MariaDB (else MySQL): its dialect decides what a dump must be rewritten to."""
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return is_mariadb_version(cur.fetchone()[0])


def is_mariadb_client(binary: str) -> bool:
    """Whether a mysql/mysqldump binary is MariaDB's: its options and its sandbox marker differ from MySQL's."""
    return "MariaDB" in subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
