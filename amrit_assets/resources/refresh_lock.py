"""One refresh at a time, across processes and machines: a named lock on the workspace and UAT servers.

``GET_LOCK`` belongs to a server session, so it holds whoever and wherever the refresh runs, and
the server frees it when the holder dies (a killed process leaves no stale lock). While holding it,
the holder writes who it is (host, pid, refresh id, since when: no secrets) to a small table next to
the lock, so a second refresh can say who is in the way. ``amrit-anon refresh`` holds the lock for
the whole refresh and tags its runs with its token; the writing assets (``step_lock``) take the lock
themselves when they run outside such a refresh (a run from the UI), or check that the refresh they
belong to still holds it. Only servers already proven not to be the source are locked (the caller
runs ``require_safe_targets`` first). The Dagster pool ``POOL`` on the same assets queues steps in the UI.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping

from amrit_assets.resources.mysql import ServerAddress, connect

LOCK_NAME = "amrit_anon_refresh"
LOCK_TAG = "amrit/refresh_lock"  # a run started by a refresh that holds the lock carries its token
POOL = "amrit_refresh"  # Dagster concurrency pool of the assets that write to the workspace or UAT
CONTROL_DB = "amrit_refresh_control"
_HOLDER_DDL = (
    f"CREATE TABLE IF NOT EXISTS `{CONTROL_DB}`.holder (name VARCHAR(64) PRIMARY KEY, token VARCHAR(64) NOT NULL,"
    " host VARCHAR(255) NOT NULL, pid INT NOT NULL, run_id VARCHAR(64) NOT NULL, since VARCHAR(32) NOT NULL)"
)


class RefreshLocked(RuntimeError):
    """Another refresh holds the lock; the message names it (host, pid, run, since)."""


def _holder(cur) -> str:
    cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'holder'", (CONTROL_DB,))
    if cur.fetchone()[0]:
        cur.execute(f"SELECT host, pid, run_id, since FROM `{CONTROL_DB}`.holder WHERE name = %s", (LOCK_NAME,))
        row = cur.fetchone()
        if row:
            return f"host {row[0]}, pid {row[1]}, run {row[2]}, since {row[3]}"
    return "a session that has not said who it is yet"


def _holder_token(cur) -> str | None:
    cur.execute("SELECT IS_USED_LOCK(%s)", (LOCK_NAME,))
    if cur.fetchone()[0] is None:
        return None
    cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'holder'", (CONTROL_DB,))
    if not cur.fetchone()[0]:
        return ""
    cur.execute(f"SELECT token FROM `{CONTROL_DB}`.holder WHERE name = %s", (LOCK_NAME,))
    row = cur.fetchone()
    return row[0] if row else ""


@contextlib.contextmanager
def refresh_lock(servers: Mapping[str, ServerAddress], run_id: str, token: str | None = None) -> Iterator[str]:
    """Hold the refresh lock on every server (role -> address) until the block ends; yields the token.

    Raises ``RefreshLocked`` naming the holder when another session has it on any of them.
    """
    token = token or uuid.uuid4().hex
    held = []
    try:
        for role, addr in servers.items():
            conn = connect(addr)
            held.append(conn)
            with conn.cursor() as cur:
                cur.execute("SELECT GET_LOCK(%s, 0)", (LOCK_NAME,))
                if cur.fetchone()[0] != 1:
                    raise RefreshLocked(
                        f"another refresh is running ({_holder(cur)}; lock {LOCK_NAME!r} on the {role} server): "
                        "wait for it to finish, then start again; nothing was changed"
                    )
                cur.execute(f"CREATE DATABASE IF NOT EXISTS `{CONTROL_DB}`")
                cur.execute(_HOLDER_DDL)
                since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
                cur.execute(
                    f"REPLACE INTO `{CONTROL_DB}`.holder VALUES (%s, %s, %s, %s, %s, %s)",
                    (LOCK_NAME, token, socket.gethostname(), os.getpid(), run_id, since),
                )
        yield token
    finally:
        for conn in held:
            with contextlib.suppress(Exception), conn.cursor() as cur:
                cur.execute(f"DELETE FROM `{CONTROL_DB}`.holder WHERE name = %s AND token = %s", (LOCK_NAME, token))
                cur.execute("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))
            conn.close()


@contextlib.contextmanager
def step_lock(servers: Mapping[str, ServerAddress], run_id: str, tags: Mapping[str, str]) -> Iterator[None]:
    """A writing step: inside a refresh that holds the lock, check it still does; otherwise hold it for the step."""
    token = tags.get(LOCK_TAG)
    if token:
        for role, addr in servers.items():
            conn = connect(addr)
            try:
                with conn.cursor() as cur:
                    if _holder_token(cur) != token:
                        raise RefreshLocked(
                            f"this run belongs to a refresh (lock token {token[:8]}…) that no longer holds the refresh lock "
                            f"on the {role} server ({_holder(cur)} may): start the refresh again; nothing was changed"
                        )
            finally:
                conn.close()
        yield
        return
    with refresh_lock(servers, run_id):
        yield
