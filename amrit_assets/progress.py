"""Progress of a long step (anonymize, staging restore, leak check): tables done of total and the time left.

A step logs ``progress: <db> <step>: 120 of 623 tables, 14 s so far, about 58 s left`` through Dagster's
log (``context.log.info``) at most every ``AMRIT_PROGRESS_SECONDS`` (10 by default); the CLI shows these
lines without ``--verbose`` (``refresh.progress_logger``). Only counts and database names, never a value.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

PREFIX = "progress: "
TABLE_COST_BYTES = 16384  # the work an empty table still costs (a query), in the bytes the time left is weighed by
INTERVAL_ENV = "AMRIT_PROGRESS_SECONDS"
DEFAULT_INTERVAL = 10.0


def interval_seconds(environ=os.environ) -> float:
    """Seconds between two progress lines of one step; an unreadable value is the default."""
    try:
        return max(0.0, float(environ.get(INTERVAL_ENV, DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def progress_line(db: str, step: str, done: int, total: int, elapsed: float, share: float | None = None) -> str:
    """``share``: the part of the work done, when tables differ in size (largest first), else done/total."""
    share = done / total if share is None and total else share
    left = f", about {elapsed / share * (1 - share):.0f} s left" if share else ""
    return f"{PREFIX}{db} {step}: {done} of {total} tables, {elapsed:.0f} s so far{left}"


class Progress:
    """Counts a step's tables and logs a progress line once ``interval`` seconds passed since the last one.

    A step shorter than the interval logs nothing (its one line in the CLI says enough); the last table
    logs nothing either (the step's own line follows).
    """

    def __init__(self, log: Callable[[str], None], db: str, step: str, total: int, *, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic, work: float = 0.0):
        self.log, self.db, self.step, self.total, self.clock = log, db, step, total, clock
        self.interval = interval_seconds() if interval is None else interval
        self.done, self.work, self.work_done = 0, work, 0.0  # work: e.g. bytes of all tables, for the time left
        self.start = self.last = clock()

    def weigh(self, work: float) -> None:
        """The whole step's work (e.g. bytes of its tables), when it is known only once the step has begun."""
        self.work = work

    def advance(self, n: int = 1, work: float = 0.0) -> None:
        self.done += n
        self.work_done += work
        now = self.clock()
        if self.done < self.total and now - self.last >= self.interval:
            self.last = now
            share = self.work_done / self.work if self.work else None
            self.log(progress_line(self.db, self.step, self.done, self.total, now - self.start, share))


class ProgressHandler(logging.Handler):
    """Hands ``say`` the progress part of every log record that has one (Dagster prefixes run and step)."""

    def __init__(self, say: Callable[[str], None]):
        super().__init__(logging.INFO)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()  # "<job> - <run id> - <step> - <the step's own message>"
        if not message.startswith(PREFIX):
            _, found, rest = message.partition(" - " + PREFIX)
            if not found:
                return
            message = PREFIX + rest
        self.say(message.splitlines()[0])
