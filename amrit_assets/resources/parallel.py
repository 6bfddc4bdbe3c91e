"""Independent per-table work on several connections of one server at once (``AMRIT_PARALLELISM``).

The server does the work of a table's statements; PyMySQL waits for it without holding the GIL, so N
threads with one connection each keep N server threads busy. Every worker connection is prepared the
same way (session keys, ``FOREIGN_KEY_CHECKS``) before its first item. Results come back in the
items' order and ``done`` is called on the calling thread (Dagster's log is not the workers'), so a
caller sees the same results whatever the number of workers; the first error stops the items not
started yet and is raised once every worker has stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

import pymysql

T = TypeVar("T")
R = TypeVar("R")


def on_connections(
    open_connection: Callable[[], pymysql.Connection],
    prepare: Callable[[pymysql.Connection], None],
    items: Iterable[T],
    work: Callable[[pymysql.Connection, T], R],
    workers: int,
    done: Callable[[T, R], None] = lambda _item, _result: None,
) -> list[R]:
    """``work(conn, item)`` for every item on up to ``workers`` connections; the results in item order."""
    items = list(items)
    workers = max(1, min(workers, len(items)))
    local = threading.local()
    opened: list[pymysql.Connection] = []
    lock = threading.Lock()

    def run(item: T) -> R:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = open_connection()
            with lock:
                opened.append(conn)
            prepare(conn)
            local.conn = conn
        return work(conn, item)

    results: dict[int, R] = {}
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="amrit-table") as pool:
            futures: dict[Future, int] = {pool.submit(run, item): i for i, item in enumerate(items)}
            pending: set[Future] = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                failed = next((f for f in finished if f.exception() is not None), None)
                if failed is not None:
                    for f in pending:
                        f.cancel()
                    wait(pending)
                    raise failed.exception()  # type: ignore[misc]
                for f in sorted(finished, key=futures.__getitem__):
                    i = futures[f]
                    results[i] = f.result()
                    done(items[i], results[i])
    finally:
        for conn in opened:
            conn.close()
    return [results[i] for i in range(len(items))]

