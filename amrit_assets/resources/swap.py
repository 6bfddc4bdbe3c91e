"""UAT is never half-refreshed: restore into a shadow database, verify it, then swap atomically.

``prepare_shadow`` restores a dump into ``<db>__amrit_shadow``, disables its events and checks its
tables and row counts against what was dumped; ``swap_prepared`` then exchanges the base tables of
``<db>`` and the shadow (of every database given) in ONE ``RENAME TABLE`` statement (atomic on MySQL 8 and MariaDB): testers see either the old data or
the new, never a mix. The old tables land in ``<db>__amrit_previous`` for ``rollback``.

Views, triggers, routines and events cannot move between databases with ``RENAME TABLE``, so their
definitions are saved in a journal (``amrit_uat_control.swap_journal``) before the exchange and
re-created afterwards; the previous state's events are always created disabled. The same rename
also renames a marker table in the control database, so after a crash the next run knows whether the
exchange happened and rolls the interrupted swap forward (or drops an unverified shadow). A kill at
any moment leaves UAT either as it was or fully refreshed.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from amrit_assets.resources.dumps import RestoreResult
from amrit_assets.resources.inspect import base_tables, row_counts
from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets.resources.portable import (
    ViewStatement,
    create_views,
    forget_pending,
    pending_views,
    quote_name,
    requalify_sql,
    retry_pending_views,
    strip_definer,
    take_pending_views,
    with_event_status,
)

CONTROL_DB = "amrit_uat_control"
JOURNAL_DDL = (
    f"CREATE TABLE IF NOT EXISTS `{CONTROL_DB}`.swap_journal ("
    " db VARCHAR(64) NOT NULL PRIMARY KEY, state VARCHAR(16) NOT NULL, incoming VARCHAR(64) NOT NULL,"
    " token VARCHAR(32) NOT NULL, objects LONGTEXT NULL, updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
# events are always disabled in the previous state; what they were is kept here for a rollback
PREVIOUS_EVENTS_DDL = (
    f"CREATE TABLE IF NOT EXISTS `{CONTROL_DB}`.previous_events ("
    " db VARCHAR(64) NOT NULL, name VARCHAR(64) NOT NULL, enabled TINYINT NOT NULL, PRIMARY KEY (db, name))"
)
OBJECTS_SQL = {
    "VIEW": "SELECT table_name FROM information_schema.views WHERE table_schema = %s ORDER BY table_name",
    "TRIGGER": "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = %s ORDER BY trigger_name",
    "PROCEDURE": "SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s AND routine_type = 'PROCEDURE'",
    "FUNCTION": "SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s AND routine_type = 'FUNCTION'",
    "EVENT": "SELECT event_name, status FROM information_schema.events WHERE event_schema = %s ORDER BY event_name",
}
# SHOW CREATE ... returns (name, [sql_mode,] statement, ...): where the statement and sql_mode sit per kind.
_SHOW = {"VIEW": (1, None), "TRIGGER": (2, 1), "PROCEDURE": (2, 1), "FUNCTION": (2, 1), "EVENT": (3, 1)}


class SwapError(RuntimeError):
    pass


@dataclass
class SwapReport:
    db: str
    tables: int
    rows: int
    restore_seconds: float = 0.0
    recovered: str = ""
    objects: dict[str, int] = field(default_factory=dict)
    shadow: str = ""  # prepare_shadow: the token of the verified shadow, for swap_prepared


def shadow_name(db: str) -> str:
    return f"{db}__amrit_shadow"


def previous_name(db: str) -> str:
    return f"{db}__amrit_previous"


def swap_name(db: str) -> str:
    return f"{db}__amrit_swap"


def _schema_exists(cur, db: str) -> bool:
    cur.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (db,))
    return bool(cur.fetchone()[0])


def _journal(cur, db: str) -> dict | None:
    cur.execute(f"SELECT state, incoming, token, objects FROM `{CONTROL_DB}`.swap_journal WHERE db = %s", (db,))
    row = cur.fetchone()
    return None if row is None else {"state": row[0], "incoming": row[1], "token": row[2], "objects": json.loads(row[3] or "{}")}


def _set_journal(cur, db: str, state: str, incoming: str = "", token: str = "", objects: dict | None = None) -> None:
    cur.execute(
        f"REPLACE INTO `{CONTROL_DB}`.swap_journal (db, state, incoming, token, objects) VALUES (%s, %s, %s, %s, %s)",
        (db, state, incoming, token, json.dumps(objects or {})),
    )


def definitions(cur, db: str, kinds: tuple[str, ...] = tuple(OBJECTS_SQL)) -> dict[str, list[dict]]:
    """Views, triggers, routines and events of ``db`` as re-creatable statements (DEFINER removed)."""
    out: dict[str, list[dict]] = {}
    for kind in kinds:
        sql = OBJECTS_SQL[kind]
        cur.execute(sql, (db,))
        rows = cur.fetchall()
        items = []
        for row in rows:
            name = row[0]
            cur.execute(f"SHOW CREATE {kind} {quote_name(db)}.{quote_name(name)}")
            shown = cur.fetchone()
            stmt_at, mode_at = _SHOW[kind]
            item = {"name": name, "sql": strip_definer(shown[stmt_at]), "sql_mode": shown[mode_at] if mode_at else None}
            if kind == "EVENT":
                item["enabled"] = row[1] == "ENABLED"
            if kind == "TRIGGER":
                cur.execute("SELECT event_object_table FROM information_schema.triggers WHERE trigger_schema = %s AND trigger_name = %s", (db, name))
                item["table"] = cur.fetchone()[0]
            items.append(item)
        out[kind] = items
    return out


def _drop_objects(cur, db: str, objects: dict[str, list[dict]]) -> None:
    for kind in ("EVENT", "TRIGGER", "VIEW", "PROCEDURE", "FUNCTION"):
        for item in objects.get(kind, []):
            cur.execute(f"DROP {kind} IF EXISTS {quote_name(db)}.{quote_name(item['name'])}")


def _create_objects(cur, db: str, origin: str, objects: dict[str, list[dict]], events_enabled: bool) -> None:
    """Re-create ``objects`` (taken from ``origin``) in ``db``; idempotent, so a crashed swap can re-run it.

    Views go through ``portable.create_views``: one that reads a database not in UAT yet waits
    there (``pending_views``) and is created by a later restore or swap.
    """
    cur.execute("SELECT @@SESSION.sql_mode")
    mode = cur.fetchone()[0]
    try:
        for kind in ("FUNCTION", "PROCEDURE", "VIEW", "TRIGGER", "EVENT"):
            items = objects.get(kind, [])
            if kind == "VIEW" and items:
                views = [
                    ViewStatement(v["name"], tuple(v.get("session") or (f"SET SESSION sql_mode = '{v['sql_mode'] or mode}'",)), requalify_sql(v["sql"], origin, db))
                    for v in items
                ]
                create_views(cur.connection, db, views)
                continue
            cur.execute(f"USE {quote_name(db)}")
            for item in items:
                sql = requalify_sql(item["sql"], origin, db)
                if kind == "EVENT":
                    sql, _ = with_event_status(sql, enabled=bool(events_enabled and item.get("enabled")))
                cur.execute(f"DROP {kind} IF EXISTS {quote_name(db)}.{quote_name(item['name'])}")
                cur.execute("SET SESSION sql_mode = %s", (item["sql_mode"] if item["sql_mode"] is not None else mode,))
                cur.execute(sql)
    finally:
        cur.execute("SET SESSION sql_mode = %s", (mode,))


@contextlib.contextmanager
def triggers_suspended(conn, db: str) -> Iterator[int]:
    """Drop ``db``'s triggers for the duration (and put them back), so bulk UPDATEs fire none.

    Anonymizing UPDATEs must not fire AMRIT's triggers: an audit trigger would copy original values
    into another table behind the catalog's back. Yields how many triggers were suspended.
    """
    with conn.cursor() as cur:
        saved = {"TRIGGER": definitions(cur, db, kinds=("TRIGGER",))["TRIGGER"]}
        _drop_objects(cur, db, saved)
    try:
        yield len(saved["TRIGGER"])
    finally:
        with conn.cursor() as cur:
            _create_objects(cur, db, db, saved, events_enabled=False)


def _disable_events(cur, db: str) -> None:
    cur.execute(OBJECTS_SQL["EVENT"], (db,))
    for name, status in cur.fetchall():
        if status == "ENABLED":
            cur.execute(f"ALTER EVENT {quote_name(db)}.{quote_name(name)} DISABLE")


def _exchange_parts(db: str, incoming: str, outgoing: str, current: list[str], new: list[str], discarded: list[str] = ()) -> list[str]:
    """The RENAME TABLE clauses of one database: db's tables out, incoming's in.

    A rollback exchanges ``db`` with ``outgoing`` itself, so db's tables pass through a temporary
    database inside the same statement (the classic a->tmp, b->a, tmp->b swap). A forward swap moves
    the older previous state's tables (``discarded``) out of ``outgoing`` in the same statement, so a
    crash before it leaves the rollback copy whole.
    """
    via = swap_name(db) if incoming == outgoing else outgoing
    parts = [f"{quote_name(outgoing)}.{quote_name(t)} TO {quote_name(swap_name(db))}.{quote_name(t)}" for t in discarded]
    parts += [f"{quote_name(db)}.{quote_name(t)} TO {quote_name(via)}.{quote_name(t)}" for t in current]
    parts += [f"{quote_name(incoming)}.{quote_name(t)} TO {quote_name(db)}.{quote_name(t)}" for t in new]
    if via != outgoing:
        parts += [f"{quote_name(via)}.{quote_name(t)} TO {quote_name(outgoing)}.{quote_name(t)}" for t in current]
    return parts


def _table_exists(cur, db: str, table: str) -> bool:
    cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s", (db, table))
    return bool(cur.fetchone()[0])


def _ensure_control(cur) -> None:
    cur.execute(f"CREATE DATABASE IF NOT EXISTS `{CONTROL_DB}`")
    cur.execute(JOURNAL_DDL)
    cur.execute(PREVIOUS_EVENTS_DDL)


Checkpoint = Callable[[str], None]


def _no_checkpoint(_: str) -> None:
    return None


@dataclass
class Move:
    """One database of a swap: ``incoming`` (its shadow, or its previous state for a rollback) goes into ``db``."""

    db: str
    incoming: str
    events_enabled: dict[str, bool] | None = None
    waiting_views: list[ViewStatement] = field(default_factory=list)


def _plan(conn, cur, move: Move) -> tuple[dict, list[str]]:
    """Journal-ready definitions of everything that moves, and the older previous tables to discard."""
    db, incoming, outgoing = move.db, move.incoming, previous_name(move.db)
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote_name(db)} DEFAULT CHARACTER SET utf8mb4")
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote_name(outgoing)}")  # never dropped before the rename: the rollback copy
    cur.execute(f"DROP DATABASE IF EXISTS {quote_name(swap_name(db))}")
    cur.execute(f"CREATE DATABASE {quote_name(swap_name(db))}")
    objects = {"current": definitions(cur, db), "incoming": definitions(cur, incoming)}
    forward = incoming != outgoing
    discarded = base_tables(conn, outgoing) if forward else []
    objects["discarded"] = definitions(cur, outgoing) if forward else {}
    events_enabled = move.events_enabled
    if events_enabled is None and not forward:
        cur.execute(f"SELECT name, enabled FROM `{CONTROL_DB}`.previous_events WHERE db = %s", (db,))
        events_enabled = {name: bool(on) for name, on in cur.fetchall()}
    for item in objects["incoming"]["EVENT"]:
        item["enabled"] = (events_enabled or {}).get(item["name"], item["enabled"])
    # views the restore could not create yet (another database missing) travel with the swap
    objects["incoming"]["VIEW"] += [{"name": v.name, "sql": v.sql, "sql_mode": None, "session": list(v.session)} for v in move.waiting_views]
    return objects, discarded


def exchange_many(conn, moves: list[Move], checkpoint: Checkpoint = _no_checkpoint) -> dict[str, dict[str, int]]:
    """Swap every move's ``incoming`` into its database in ONE ``RENAME TABLE``: all of them, or none.

    ``db``'s current tables go to ``<db>__amrit_previous`` (for a rollback, the two exchange places).
    All journal rows share one token, and one marker table is renamed inside the same statement, so
    recovery decides for the whole group at once.
    """
    token = secrets.token_hex(8)
    with conn.cursor() as cur:
        _ensure_control(cur)
        plans = []
        for move in moves:
            objects, discarded = _plan(conn, cur, move)
            _set_journal(cur, move.db, "swapping", move.incoming, token, objects)
            plans.append((move, objects, discarded))
        cur.execute(f"CREATE TABLE `{CONTROL_DB}`.{quote_name('pending_' + token)} (id INT)")
        checkpoint("journaled")
        parts = []
        for move, objects, discarded in plans:
            db, incoming, outgoing = move.db, move.incoming, previous_name(move.db)
            _disable_events(cur, db)
            _disable_events(cur, incoming)
            _drop_objects(cur, db, {"TRIGGER": objects["current"]["TRIGGER"]})
            _drop_objects(cur, incoming, {"TRIGGER": objects["incoming"]["TRIGGER"]})
            _drop_objects(cur, outgoing, {"TRIGGER": objects["discarded"].get("TRIGGER", [])})  # a table with triggers cannot change database
            parts += _exchange_parts(db, incoming, outgoing, base_tables(conn, db), base_tables(conn, incoming), discarded)
        checkpoint("before_rename")
        parts.append(f"`{CONTROL_DB}`.{quote_name('pending_' + token)} TO `{CONTROL_DB}`.{quote_name('done_' + token)}")
        cur.execute("RENAME TABLE " + ", ".join(parts))
        checkpoint("after_rename")
        cur.execute(f"UPDATE `{CONTROL_DB}`.swap_journal SET state = 'renamed' WHERE token = %s", (token,))
    return {move.db: _finish(conn, move.db, checkpoint) for move, _, _ in plans}


def exchange(
    conn,
    db: str,
    incoming: str,
    checkpoint: Checkpoint = _no_checkpoint,
    events_enabled: dict[str, bool] | None = None,
    waiting_views: list[ViewStatement] = (),
) -> dict[str, int]:
    """One database's ``exchange_many``."""
    return exchange_many(conn, [Move(db, incoming, events_enabled, list(waiting_views))], checkpoint)[db]


def _finish(conn, db: str, checkpoint: Checkpoint = _no_checkpoint) -> dict[str, int]:
    """Everything after the atomic rename; safe to run again after a crash at any point in it.

    The journal says ``renamed`` before anything else and the rename's marker goes only after it says
    ``done``, so a crash anywhere in here is seen by the next run as "after the rename" and finished.
    """
    outgoing = previous_name(db)
    with conn.cursor() as cur:
        j = _journal(cur, db)
        incoming, objects = j["incoming"], j["objects"]
        if j["state"] != "renamed":
            _set_journal(cur, db, "renamed", incoming, j["token"], objects)
        checkpoint("finishing")
        # views, routines and events do not move with RENAME TABLE: drop them where they were left
        _drop_objects(cur, db, objects["current"])
        _drop_objects(cur, incoming, objects["incoming"])
        _drop_objects(cur, outgoing, objects.get("discarded", {}))  # the older previous state's
        _create_objects(cur, outgoing, db, objects["current"], events_enabled=False)
        cur.execute(f"DELETE FROM `{CONTROL_DB}`.previous_events WHERE db = %s", (db,))
        for item in objects["current"]["EVENT"]:
            cur.execute(f"INSERT INTO `{CONTROL_DB}`.previous_events VALUES (%s, %s, %s)", (db, item["name"], int(item["enabled"])))
        forget_pending(conn, db)  # views the old state was waiting for
        _create_objects(cur, db, incoming, objects["incoming"], events_enabled=True)
        if incoming != outgoing:
            cur.execute(f"DROP DATABASE IF EXISTS {quote_name(incoming)}")
        cur.execute(f"DROP DATABASE IF EXISTS {quote_name(swap_name(db))}")
        _set_journal(cur, db, "done", incoming)
        cur.execute(f"SELECT COUNT(*) FROM `{CONTROL_DB}`.swap_journal WHERE token = %s", (j["token"],))
        if not cur.fetchone()[0]:  # the last database of its swap: the marker has told everything it had to
            cur.execute(f"DROP TABLE IF EXISTS `{CONTROL_DB}`.{quote_name('done_' + j['token'])}")
    retry_pending_views(conn)  # views elsewhere in UAT that were waiting for this database
    counts = {kind.lower() + "s": len(items) for kind, items in objects["incoming"].items()}
    counts["views_waiting"] = sum(v.db == db for v in pending_views(conn))
    return counts


def _abort(conn, db: str) -> None:
    """The rename did not happen: put the triggers and events back as they were, drop the shadow."""
    with conn.cursor() as cur:
        j = _journal(cur, db)
        incoming, objects = j["incoming"], j["objects"]
        for where, key, enabled in ((db, "current", True), (incoming, "incoming", False), (previous_name(db), "discarded", False)):
            part = objects.get(key, {})
            if _schema_exists(cur, where):
                _create_objects(cur, where, where, {"TRIGGER": part.get("TRIGGER", []), "EVENT": part.get("EVENT", [])}, enabled)
        cur.execute(f"DROP TABLE IF EXISTS `{CONTROL_DB}`.{quote_name('pending_' + j['token'])}")
        if incoming == shadow_name(db):
            cur.execute(f"DROP DATABASE IF EXISTS {quote_name(incoming)}")
        _set_journal(cur, db, "aborted", incoming)


def recover(conn, db: str) -> str:
    """Bring a swap that a crash interrupted to a clean end; returns what was done ('' if nothing)."""
    with conn.cursor() as cur:
        _ensure_control(cur)
        j = _journal(cur, db)
        if j is None or j["state"] in ("done", "aborted"):
            if _schema_exists(cur, shadow_name(db)):
                cur.execute(f"DROP DATABASE {quote_name(shadow_name(db))}")
                return "dropped an unfinished shadow database"
            return ""
        if j["state"] in ("restoring", "verified"):
            cur.execute(f"DROP DATABASE IF EXISTS {quote_name(shadow_name(db))}")
            _set_journal(cur, db, "aborted", j["incoming"])
            if j["state"] == "verified":
                return "dropped a verified shadow that was never swapped in; UAT kept its data"
            return "dropped a shadow database whose restore was interrupted; UAT kept its data"
        renamed = j["state"] == "renamed" or _table_exists(cur, CONTROL_DB, "done_" + j["token"])
        cur.execute(f"SELECT db FROM `{CONTROL_DB}`.swap_journal WHERE token = %s ORDER BY db", (j["token"],))
        group = [row[0] for row in cur.fetchall()]  # every database of the interrupted swap
        if renamed:
            cur.execute(f"UPDATE `{CONTROL_DB}`.swap_journal SET state = 'renamed' WHERE token = %s", (j["token"],))
    for each in group:
        (_finish if renamed else _abort)(conn, each)
    which = ", ".join(group)
    if renamed:
        return f"finished a swap of {which} interrupted after its atomic rename; UAT holds the new data, the state it replaced is kept for rollback"
    return f"undid a swap of {which} interrupted before its atomic rename; UAT kept its data and its rollback copy"


def prepare_shadow(
    addr: ServerAddress,
    db: str,
    dump: Path,
    expected_rows: dict[str, int],
    restore: Callable[..., RestoreResult],
    checkpoint: Checkpoint = _no_checkpoint,
) -> SwapReport:
    """Restore ``dump`` into ``db``'s shadow and verify it against ``expected_rows``; UAT is not touched.

    The journal then says ``verified`` with a fresh token (``SwapReport.shadow``) that ``swap_prepared``
    must be given: only the shadow this call verified is swapped in.
    """
    conn = connect(addr)
    try:
        recovered = recover(conn, db)
        shadow = shadow_name(db)
        with conn.cursor() as cur:
            _set_journal(cur, db, "restoring", shadow)
        checkpoint("restoring")
        restored = restore(addr, shadow, dump, disable_events=True)  # events are created disabled
        counts = row_counts(conn, shadow)
        with conn.cursor() as cur:
            if counts != expected_rows:
                differ = sorted(t for t in set(counts) | set(expected_rows) if counts.get(t) != expected_rows.get(t))
                cur.execute(f"DROP DATABASE IF EXISTS {quote_name(shadow)}")
                _set_journal(cur, db, "aborted", shadow)
                raise SwapError(
                    f"the restored shadow of {db} differs from the anonymized database in {len(differ)} tables "
                    f"({', '.join(differ[:10])}): UAT was not touched; materialize anonymized_dump[{db}] again"
                )
            token = secrets.token_hex(8)
            _set_journal(cur, db, "verified", shadow, token, {"events_enabled": restored.events_enabled})
        checkpoint("verified")
        return SwapReport(db, len(counts), sum(counts.values()), restored.seconds, recovered, shadow=token)
    finally:
        conn.close()


def waiting_shadows(addr: ServerAddress, shadows: dict[str, str]) -> dict[str, str]:
    """The databases (-> token) whose journal says their shadow with that token is verified and not swapped in yet."""
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            _ensure_control(cur)
            return {db: token for db, token in shadows.items() if (j := _journal(cur, db)) and j["state"] == "verified" and j["token"] == token}
    finally:
        conn.close()


def swap_prepared(addr: ServerAddress, shadows: dict[str, str], checkpoint: Checkpoint = _no_checkpoint) -> dict[str, SwapReport]:
    """Swap the verified shadows (database -> token from ``prepare_shadow``) into UAT together, in one RENAME.

    Refuses, touching nothing, when any database has no verified shadow with that token.
    """
    conn = connect(addr)
    try:
        moves = []
        with conn.cursor() as cur:
            _ensure_control(cur)
            for db, token in sorted(shadows.items()):
                j = _journal(cur, db)
                if not j or j["state"] != "verified" or j["token"] != token or not _schema_exists(cur, shadow_name(db)):
                    raise SwapError(
                        f"{db} has no verified shadow from the latest uat[{db}] (journal: {j['state'] if j else 'empty'}): "
                        f"materialize uat[{db}] again; no database of UAT was touched"
                    )
                moves.append(Move(db, shadow_name(db), j["objects"].get("events_enabled") or {}))
        for move in moves:
            move.waiting_views = take_pending_views(conn, move.incoming)
        objects = exchange_many(conn, moves, checkpoint)
        reports = {}
        for db in objects:
            counts = row_counts(conn, db)
            reports[db] = SwapReport(db, len(counts), sum(counts.values()), objects=objects[db])
        return reports
    finally:
        conn.close()


def rollback_all(addr: ServerAddress, dbs: list[str]) -> dict[str, SwapReport]:
    """Put the previous UAT state of every database back in ONE ``RENAME TABLE`` (the current ones are kept)."""
    conn = connect(addr)
    try:
        for db in dbs:
            recover(conn, db)
        with conn.cursor() as cur:
            for db in dbs:
                if not _schema_exists(cur, previous_name(db)) or not base_tables(conn, previous_name(db)):
                    raise SwapError(
                        f"there is no previous UAT state of {db} to roll back to ({previous_name(db)} is missing or empty); "
                        "no database was rolled back"
                    )
        objects = exchange_many(conn, [Move(db, previous_name(db)) for db in dbs])
        reports = {}
        for db in dbs:
            counts = row_counts(conn, db)
            reports[db] = SwapReport(db, len(counts), sum(counts.values()), objects=objects[db])
        return reports
    finally:
        conn.close()


def rollback(addr: ServerAddress, db: str) -> SwapReport:
    """Put the previous UAT state of ``db`` back (and keep the current one as the new previous)."""
    return rollback_all(addr, [db])[db]


def status(addr: ServerAddress, db: str) -> dict[str, object]:
    """What UAT holds for ``db``: tables now, tables kept for rollback, the last swap's state."""
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            _ensure_control(cur)
            j = _journal(cur, db)
            prev = previous_name(db)
            return {
                "database": db,
                "tables": len(base_tables(conn, db)),
                "previous_tables": len(base_tables(conn, prev)) if _schema_exists(cur, prev) else 0,
                "last_swap": j["state"] if j else "never",
            }
    finally:
        conn.close()
