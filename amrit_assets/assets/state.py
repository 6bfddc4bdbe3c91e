"""What the workspace holds: staged (original data) or already anonymized.

Anonymizing twice would map already-mapped ids again, so ``anonymized`` refuses a database that
has not been re-staged since its last anonymization.
"""

from amrit_assets.common.kinds import WORK_DB
from amrit_assets.control import ddl

_DDL = ddl("stage_state")


class StageStateError(RuntimeError):
    pass


def _ensure(cur) -> None:
    for stmt in _DDL:
        cur.execute(stmt)


def mark_staged(conn, db: str, run_id: str) -> None:
    with conn.cursor() as cur:
        _ensure(cur)
        cur.execute(f"REPLACE INTO {WORK_DB}.stage_state (db, staged_run, anonymized_run) VALUES (%s, %s, NULL)", (db, run_id))


def require_original(conn, db: str) -> None:
    with conn.cursor() as cur:
        _ensure(cur)
        cur.execute(f"SELECT anonymized_run FROM {WORK_DB}.stage_state WHERE db = %s", (db,))
        row = cur.fetchone()
    if row is None:
        raise StageStateError(f"{db} is not staged in the workspace: materialize staging[{db}] first")
    if row[0] is not None:
        raise StageStateError(
            f"{db} in the workspace was already anonymized (run {row[0]}): materialize staging[{db}] again before anonymizing"
        )


def mark_anonymized(conn, db: str, run_id: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f"UPDATE {WORK_DB}.stage_state SET anonymized_run = %s WHERE db = %s", (run_id, db))


def require_anonymized(conn, db: str) -> str:
    with conn.cursor() as cur:
        _ensure(cur)
        cur.execute(f"SELECT anonymized_run FROM {WORK_DB}.stage_state WHERE db = %s", (db,))
        row = cur.fetchone()
    if row is None or row[0] is None:
        raise StageStateError(f"{db} in the workspace is not anonymized: materialize anonymized[{db}] first; nothing was dumped")
    return row[0]


def original_databases(conn, databases) -> list[str]:
    """The databases staged and not anonymized since: the only ones whose values are originals."""
    with conn.cursor() as cur:
        _ensure(cur)
        cur.execute(f"SELECT db FROM {WORK_DB}.stage_state WHERE anonymized_run IS NULL")
        staged = {r[0] for r in cur.fetchall()}
    return [db for db in databases if db in staged]
