"""A dump restored on several client connections at once: its tables are independent of each other.

mysqldump writes a header (session settings), one section per table (structure, data, that table's
triggers), then what needs every table: events, routines, the final views, the footer. Here the
header goes to every client first; each table section to exactly one client, claimed in dump order
by whichever client is free; everything else (view stand-ins, events, routines, views, footer), in
order, to one last client once every table is in. Every client reads the verified private copy
through a reader of its own (its own offset: nothing is buffered beyond a line, nothing decrypted
touches the disk), and every line still passes a ``DumpFilter``: each table section through a filter
of its own, which must find the section ending at a statement's end, so a section boundary cannot
smuggle a client command into the middle of another client's statement.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from amrit_assets.progress import Progress
from amrit_assets.resources.portable import DumpFilter, iter_lines

TABLE_MARK = b"-- Table structure for table `"
OTHER_MARKS = (
    b"-- Temporary table structure for view `",  # MariaDB's stand-in for a view
    b"-- Temporary view structure for view `",  # MySQL 8's
    b"-- Dumping events for database ",
    b"-- Dumping routines for database ",
    b"-- Final view structure for view `",
)
# A dump locks each table while loading it; with another client creating a table whose foreign key
# names the locked one, MariaDB refuses that client's INSERT ("... was not locked with LOCK TABLES").
# The target is fresh and nobody else writes to it (the refresh lock): the locks are dropped.
# Only mysqldump's own lock lines, whole, between two statements, are dropped.
_TABLE_LOCK = re.compile(rb"^(?:LOCK TABLES `(?:[^`]|``)+` WRITE;|UNLOCK TABLES;)\r?\n?$")
HEADER_MAX_BYTES = 1 << 20  # a mysqldump header is a few kB of SET statements
# what a header holds: comments, blank lines, (versioned) SET statements, MariaDB's sandbox marker
_SESSION_LINE = re.compile(rb"^(?:--[^\n]*|\s*|/\*!\d+ SET [^\n]*\*/;|SET [^\n]*;|/\*M!999999\\- enable the sandbox mode \*/)[ \t]*\r?\n?$")


@dataclass(frozen=True)
class Line:
    section: int  # 0: the header; then one number per section, in dump order
    table: bool  # a table's own section (any client), else one for the last client
    number: int  # the dump's line number (1-based), for the filter's messages
    text: bytes


def sections(lines: Iterable[bytes]) -> Iterator[Line]:
    """Every line of the dump with the section it belongs to (a section starts at its marker comment).

    A marker inside a trigger or routine body (between ``DELIMITER ;;`` and ``DELIMITER ;``) is the
    body's own comment line, not a boundary: the body stays in one section."""
    section, table, body = 0, False, False
    for number, line in enumerate(lines, 1):
        if line.startswith(b"DELIMITER "):
            body = line.strip() != b"DELIMITER ;"
        elif line.startswith(b"-- ") and not body:
            if line.startswith(TABLE_MARK):
                section, table = section + 1, True
            elif line.startswith(OTHER_MARKS):
                section, table = section + 1, False
        yield Line(section, table, number, line)


class _NotSectioned(ValueError):
    """The dump has no table sections where mysqldump writes them: it is restored on one client."""


class PositionalReader:
    """A file read from its own offset (``os.pread``): several readers of one descriptor do not disturb each other."""

    def __init__(self, fd: int):
        self.fd, self.offset = fd, 0

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = max(0, os.fstat(self.fd).st_size - self.offset)
        data = os.pread(self.fd, n, self.offset)
        self.offset += len(data)
        return data


class _Claims:
    """Which table sections are taken: every client walks the dump in order, so a section not yet
    reached by any client is free; a failure anywhere stops every client at its next line."""

    def __init__(self) -> None:
        self.lock, self.last, self.failed = threading.Lock(), 0, threading.Event()

    def take(self, section: int) -> bool:
        with self.lock:
            if section > self.last:
                self.last = section
                return True
            return False


def _header(stream: Iterator[bytes], dump_filter: DumpFilter) -> list[bytes]:
    """The header's lines through the main filter (which learns the source database from it). Only
    comments and session settings may be there: they are sent to every client."""
    out, size = [], 0
    for line in sections(iter_lines(stream)):
        if line.section:
            dump_filter.refuse_open_statement("the dump's header")
            return out
        size += len(line.text)
        if size > HEADER_MAX_BYTES or not _SESSION_LINE.match(line.text):
            raise _NotSectioned(f"line {line.number} of the header is not a comment or a session setting")
        if (kept := dump_filter.line(line.text)) is not None:
            out.append(kept)
    raise _NotSectioned("the dump has no section")


def _tables(stream: Iterator[bytes], header: list[bytes], claims: _Claims, new_filter: Callable[[], DumpFilter],
            finished: Callable[[DumpFilter], None]) -> Iterator[bytes]:
    """One client's lines: the header, then the table sections it claims, each through a filter of its own."""
    yield from header
    section, section_filter = 0, None  # the filter of the section being read, if this client claimed it

    def close() -> None:
        if section_filter is not None:
            section_filter.refuse_open_statement(f"table section {section}")
            finished(section_filter)

    for line in sections(iter_lines(stream)):
        if claims.failed.is_set():
            return
        if line.section != section:
            close()
            section, section_filter = line.section, None
            if line.table and claims.take(section):
                section_filter = new_filter()
                section_filter.numbered_from(line.number)
        if section_filter is not None:
            between = section_filter.at_statement_end()
            kept = section_filter.line(line.text)
            if kept is not None and not (between and _TABLE_LOCK.match(kept) and section_filter.at_statement_end()):
                yield kept
    close()


def _rest(stream: Iterator[bytes], header: list[bytes], dump_filter: DumpFilter) -> Iterator[bytes]:
    """The last client's lines: the header, then every section that is not a table's, in order, through the main filter."""
    yield from header
    for line in sections(iter_lines(stream)):
        if line.section and not line.table:
            dump_filter.numbered_from(line.number)
            if (kept := dump_filter.line(line.text)) is not None:
                yield kept


def restore_in_parallel(open_stream: Callable[[], Iterator[bytes]], dump_filter: DumpFilter, pipe: Callable[[Iterable[bytes]], None],
                        workers: int, progress: Progress | None = None) -> bool:
    """Restore on ``workers`` clients (``pipe`` runs one client on the lines given), then the rest on one more.

    ``open_stream`` gives the dump's plaintext from its start, a new reader each call; ``dump_filter``
    is the restore's filter: it reads the header and the sections that are not tables', so its views,
    events and source database are what the caller reports, as in a serial restore. False, before any
    client started, when the dump is not laid out by table as mysqldump writes it (restore it serially).
    """
    try:
        header = _header(open_stream(), dump_filter)
    except _NotSectioned:
        return False
    claims, errors = _Claims(), []
    lock = threading.Lock()

    def finished(section_filter: DumpFilter) -> None:
        """A table section is in: its views and events (mysqldump writes none there) join the restore's."""
        with lock:
            dump_filter.views.extend(section_filter.views)
            dump_filter.events_enabled.update(section_filter.events_enabled)
            if progress is not None:
                progress.advance()

    def client() -> None:
        try:
            pipe(_tables(open_stream(), header, claims, dump_filter.fresh, finished))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread below
            claims.failed.set()
            errors.append(e)

    threads = [threading.Thread(target=client, name=f"restore-{i}", daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    pipe(_rest(open_stream(), header, dump_filter))
    return True
