"""Progress lines of a long step: at most one per interval, tables done of total and the time left."""

from __future__ import annotations

import logging

from amrit_assets.progress import PREFIX, Progress, ProgressHandler, interval_seconds, progress_line


class Clock:
    """Seconds that advance only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_interval_with_the_time_left():
    clock, lines = Clock(), []
    p = Progress(lines.append, "db_iemr", "anonymize", 10, interval=10, clock=clock)
    for _ in range(3):  # 3 tables in 6 s: under the interval, nothing yet
        clock.now += 2
        p.advance()
    assert lines == []
    clock.now += 6  # 4 tables in 12 s
    p.advance()
    assert lines == ["progress: db_iemr anonymize: 4 of 10 tables, 12 s so far, about 18 s left"]
    clock.now += 1
    p.advance()
    assert len(lines) == 1, "1 s after the last line: nothing"
    clock.now += 30
    p.advance(5)  # the last table: the step's own line follows, no progress line
    assert len(lines) == 1 and p.done == 10


def test_the_time_left_follows_the_work_when_the_largest_tables_go_first():
    clock, lines = Clock(), []
    p = Progress(lines.append, "db_iemr", "leak check", 10, interval=0, clock=clock, work=1000.0)
    clock.now += 60
    p.advance(work=600.0)  # one table of ten, but 60% of the bytes: 40 s left, not 540
    assert lines == ["progress: db_iemr leak check: 1 of 10 tables, 60 s so far, about 40 s left"]


def test_a_short_step_says_nothing_and_every_line_is_counts_only():
    lines = []
    p = Progress(lines.append, "db_identity", "leak check", 30, interval=10)
    for _ in range(30):
        p.advance()
    assert lines == []
    assert progress_line("db_iemr", "staging restore", 0, 5, 3.0) == "progress: db_iemr staging restore: 0 of 5 tables, 3 s so far"


def test_interval_from_the_environment():
    assert interval_seconds({}) == 10.0
    assert interval_seconds({"AMRIT_PROGRESS_SECONDS": "2.5"}) == 2.5
    assert interval_seconds({"AMRIT_PROGRESS_SECONDS": "soon"}) == 10.0
    assert interval_seconds({"AMRIT_PROGRESS_SECONDS": "-1"}) == 0.0


def test_the_handler_passes_progress_lines_only():
    said = []
    log = logging.Logger("t", logging.INFO)
    log.addHandler(ProgressHandler(said.append))
    log.info("refresh - 1234 - anonymized - " + PREFIX + "db_iemr anonymize: 1 of 2 tables, 10 s so far, about 10 s left")
    log.info("refresh - 1234 - anonymized - anonymized db_iemr: 2 tables")
    log.info(PREFIX + "db_x leak check: 3 of 4 tables, 1 s so far")
    assert said == ["progress: db_iemr anonymize: 1 of 2 tables, 10 s so far, about 10 s left", "progress: db_x leak check: 3 of 4 tables, 1 s so far"]
