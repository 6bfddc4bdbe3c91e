"""Per-table work on several connections of a real server: in parallel, results in order, errors raised."""

from __future__ import annotations

import threading
import time

import pymysql
import pytest

from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.parallel import on_connections

pytestmark = pytest.mark.integration


def _prepare(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("SET @amrit_prepared = 'yes'")


def _session(conn, item: int) -> tuple[int, int, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID(), SLEEP(0.3), @amrit_prepared")
        conn_id, _, prepared = cur.fetchone()
    return item, conn_id, prepared


def test_items_run_on_that_many_prepared_connections_at_once(server: ServerAddress) -> None:
    done: list[tuple[int, str]] = []
    start = time.monotonic()
    out = on_connections(lambda: connect(server), _prepare, range(4), _session, 2,
                         lambda item, _r: done.append((item, threading.current_thread().name)))
    seconds = time.monotonic() - start
    assert [item for item, _, _ in out] == [0, 1, 2, 3]  # the items' order, whichever finished first
    assert len({conn_id for _, conn_id, _ in out}) == 2
    assert {p for _, _, p in out} == {"yes"}
    assert seconds < 4 * 0.3, f"{seconds:.2f}s: the items ran one after another"
    assert sorted(i for i, _ in done) == [0, 1, 2, 3] and {t for _, t in done} == {threading.current_thread().name}


def test_one_worker_uses_one_connection(server: ServerAddress) -> None:
    out = on_connections(lambda: connect(server), _prepare, range(3), _session, 1)
    assert len({conn_id for _, conn_id, _ in out}) == 1


def test_the_first_error_is_raised_and_the_connections_closed(server: ServerAddress) -> None:
    opened: list[pymysql.Connection] = []

    def open_connection():
        opened.append(connect(server))
        return opened[-1]

    def work(conn, item: int) -> int:
        with conn.cursor() as cur:
            cur.execute("SELECT * FROM no_such_db.no_such_table" if item == 1 else "SELECT 1")
        return item

    with pytest.raises(pymysql.MySQLError):
        on_connections(open_connection, _prepare, range(6), work, 2)
    assert opened and all(not c.open for c in opened)
