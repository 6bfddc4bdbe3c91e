"""What building AMRIT-DB's own Flyway migrations needs: database order, MariaDB fix-ups, Flyway's checksum.

- Order: a view, a ``CREATE TABLE ... SELECT`` or an ``INSERT ... SELECT`` that names ``other_db.t`` needs
  ``other_db`` first; a procedure, function, trigger or event body is resolved when it runs, so its
  references do not order anything (AMRIT's db_iemr procedures write db_reporting, whose procedures read
  db_iemr). ``database_order`` sorts the databases topologically on the first kind only.
- MariaDB: MySQL 8's ``utf8mb4_0900_*`` collations mapped as ``portable.map_0900_collations`` maps them for
  restores (one mapping for the whole project); MySQL 8's sql_mode and ``innodb_strict_mode=0`` for the session.
- ``flyway_checksum``: the CRC32 Flyway stores in ``flyway_schema_history.checksum``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from amrit_assets.flyway import Migration
from amrit_assets.resources.portable import map_0900_collations

# MySQL 8's sql_mode as AMRIT's servers run it; the session's, so every file applies as it does there.
MYSQL8_SQL_MODE = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
SESSION_SQL = f"SET FOREIGN_KEY_CHECKS=0, SESSION sql_mode='{MYSQL8_SQL_MODE}', SESSION innodb_strict_mode=0"

_DELIMITER_LINE = re.compile(r"^[ \t]*DELIMITER[ \t]+(\S+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# A body resolved only when it runs: the statement's references order nothing.
_DEFERRED = re.compile(
    r"^\s*(?:CREATE|ALTER)\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:AGGREGATE\s+)?(?:PROCEDURE|FUNCTION|TRIGGER|EVENT)\b",
    re.IGNORECASE,
)


class MigrationOrderError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reference:
    """``db``'s migration ``script`` names ``other``'s object ``name`` in a statement that runs at once."""

    db: str
    script: str
    other: str
    name: str


def _tokens(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    return re.compile(
        r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`]|``)*`"  # strings, identifiers
        r"|/\*![0-9]*|/\*.*?\*/|\*/"  # a versioned comment's marks are dropped, its SQL kept; comments go
        r"|--(?:[ \t][^\n]*)?(?=\n|$)|#[^\n]*"
        rf"|(?P<end>{d})"
        rf"|[^'\"`/*#\-{re.escape(delimiter[0])}]+|.",
        re.DOTALL,
    )


def statements(sql: str) -> Iterator[str]:
    """The file's statements as the ``mysql`` client splits them (``DELIMITER`` obeyed); comments gone, strings emptied."""
    delimiter, pos = ";", 0
    marks = list(_DELIMITER_LINE.finditer(sql)) + [None]
    for mark in marks:
        end = mark.start() if mark else len(sql)
        yield from _split(sql[pos:end], delimiter)
        if mark:
            delimiter, pos = mark.group(1), mark.end()


def _split(chunk: str, delimiter: str) -> Iterator[str]:
    parts: list[str] = []
    for m in _tokens(delimiter).finditer(chunk):
        tok = m.group(0)
        if m.group("end"):
            if "".join(parts).strip():
                yield "".join(parts).strip()
            parts = []
        elif tok[0] in "'\"":
            parts.append(tok[0] * 2)
        elif tok.startswith(("/*", "*/", "--", "#")):
            parts.append(" ")
        else:
            parts.append(tok)
    if "".join(parts).strip():
        yield "".join(parts).strip()


def _qualified(db: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w$])`?{re.escape(db)}`?\s*\.\s*`?([\w$]+)", re.IGNORECASE)


def references(db: str, migrations: Iterable[Migration], databases: Iterable[str]) -> list[Reference]:
    """Where ``db``'s migrations name another of ``databases`` outside a routine, trigger or event body."""
    patterns = {other: _qualified(other) for other in databases if other != db}
    found: list[Reference] = []
    for mig in migrations:
        text = mig.path.read_bytes().decode("utf-8", "replace")
        if not any(other.lower() in text.lower() for other in patterns):
            continue
        for stmt in statements(text):
            if _DEFERRED.match(stmt):
                continue
            for other, pattern in patterns.items():
                found += [Reference(db, mig.path.name, other, m.group(1)) for m in pattern.finditer(stmt)]
    return found


def database_order(refs: Mapping[str, list[Reference]], databases: tuple[str, ...]) -> list[str]:
    """``databases`` with each after those its migrations read; ties keep ``databases``' order."""
    needs = {db: {r.other for r in refs.get(db, []) if r.other in databases} for db in databases}
    order: list[str] = []
    while len(order) < len(databases):
        ready = [db for db in databases if db not in order and needs[db] <= set(order)]
        if not ready:
            raise MigrationOrderError(_cycle_message([db for db in databases if db not in order], refs))
        order.append(ready[0])
    return order


def _cycle_message(left: list[str], refs: Mapping[str, list[Reference]]) -> str:
    seen = [f"{r.script} of {r.db} reads {r.other}.{r.name}" for db in left for r in refs.get(db, []) if r.other in left]
    return (
        f"no order builds {', '.join(left)}: each reads another outside a routine ({'; '.join(dict.fromkeys(seen))}). "
        "Move the reading statement into the later database's migrations, or make it a view created after both."
    )


def prepared_sql(path: Path, mariadb: bool) -> bytes:
    """The migration's bytes as the server is sent them: on MariaDB with MySQL 8's collations mapped."""
    data = path.read_bytes()
    return map_0900_collations(data) if mariadb else data


def flyway_checksum(data: bytes) -> int:
    """Flyway's checksum: CRC32 over the UTF-8 of each line without its line break (BOM dropped), signed 32-bit."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()  # Java's readLine yields no line after the last line break
    crc = 0
    for line in lines:
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


_ERROR = re.compile(r"ERROR (\d+) \(\w+\)(?: at line (\d+))?: (.*)")
_MISSING_TABLE = re.compile(r"Table '([^'.]+)\.([^']+)' doesn't exist")


def error_line(stderr: str) -> str:
    """The client's ``ERROR nnnn ... at line n: ...`` line (it may print the failing statement before it)."""
    m = _ERROR.search(stderr)
    return m.group(0) if m else stderr.strip()[-1500:]


def failure_hint(stderr: str, db: str) -> str:
    """The fix for a failed migration, read from the client's error."""
    m = _ERROR.search(stderr)
    code, message = (int(m.group(1)), m.group(3)) if m else (0, stderr)
    if code in (1273, 1115) or "collation" in message.lower():
        return "a collation or character set this server lacks (MySQL 8's utf8mb4_0900_* are mapped already): use one both know, or build on MySQL 8"
    t = _MISSING_TABLE.search(message)
    if code == 1146 and t and t.group(1).lower() != db.lower():
        return f"{t.group(1)} must be built before {db}: include it in the build (the order reads the views' references)"
    if code == 1049:
        return f"the migration reads a database this server lacks ({message}): build it first, in the same build"
    if code == 1146 and t:
        return f"{t.group(1)}.{t.group(2)} does not exist when this migration runs: a later migration creates it, or the name is wrong"
    if code == 1118:
        return "row too large even with innodb_strict_mode=0: use ROW_FORMAT=DYNAMIC (innodb_default_row_format=dynamic)"
    if code == 1064:
        return "MySQL 8 syntax this server does not parse: build on MySQL 8, or on a MariaDB version that has it"
    if code == 1227:
        return "the build needs a user with SUPER/SET_USER_ID (DEFINER clauses naming other users)"
    return "fix the file or the server, then rerun: the migrations recorded in flyway_schema_history are skipped"
