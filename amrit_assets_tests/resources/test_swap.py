"""UAT is never half-refreshed: shadow restore, verification, atomic swap, crash recovery, rollback.

Everything runs against a real throwaway server with real mysqldump/mysql restores.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from amrit_assets.resources.dumps import dump_database, restore_dump
from amrit_assets.resources.inspect import row_counts
from amrit_assets.resources.mysql import connect
from amrit_assets.resources.swap import (
    SwapError,
    previous_name,
    prepare_shadow,
    recover,
    rollback,
    rollback_all,
    shadow_name,
    status,
    swap_prepared,
)
from amrit_assets_tests.conftest import checksum, prepare_and_swap

UAT = "fx_uat"


def _build(conn, db: str, people: int, tag: str) -> None:
    """A small database with the object kinds production dumps carry: FK, view, trigger, routine, events."""
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute(f"CREATE DATABASE `{db}`")
        cur.execute(f"USE `{db}`")
        cur.execute("CREATE TABLE person (id INT PRIMARY KEY, name VARCHAR(50), tag VARCHAR(20))")
        cur.execute("CREATE TABLE visit (id INT AUTO_INCREMENT PRIMARY KEY, person_id INT, FOREIGN KEY (person_id) REFERENCES person(id))")
        cur.execute("CREATE TABLE visit_count (n INT)")
        cur.execute("INSERT INTO visit_count VALUES (0)")
        cur.execute("CREATE VIEW v_person AS SELECT id, name FROM person WHERE tag IS NOT NULL")
        cur.execute("CREATE VIEW v_person_count AS SELECT COUNT(*) AS n FROM v_person")
        cur.execute("CREATE TRIGGER trg_visit AFTER INSERT ON visit FOR EACH ROW UPDATE visit_count SET n = n + 1")
        cur.execute("CREATE PROCEDURE p_people() SELECT COUNT(*) FROM person")
        cur.execute("CREATE EVENT e_nightly ON SCHEDULE EVERY 1 DAY DO UPDATE visit_count SET n = n")
        cur.execute("CREATE EVENT e_off ON SCHEDULE EVERY 1 DAY DISABLE DO UPDATE visit_count SET n = n")
        cur.executemany("INSERT INTO person VALUES (%s, %s, %s)", [(i, f"p{i}", tag) for i in range(people)])
        cur.executemany("INSERT INTO visit (person_id) VALUES (%s)", [(i,) for i in range(people)])


def _dump(server, tmp_path: Path, people: int, tag: str) -> tuple[Path, dict[str, int]]:
    conn = connect(server)
    src = f"fx_src_{tag}"
    _build(conn, src, people, tag)
    counts = row_counts(conn, src)
    conn.close()
    path = dump_database(server, src, tmp_path / f"{tag}.sql").path
    return path, counts


def _state(conn, db: str) -> dict:
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*), MIN(tag) FROM `{db}`.person")
        people, tag = cur.fetchone()
        cur.execute("SELECT event_name, status FROM information_schema.events WHERE event_schema = %s", (db,))
        events = dict(cur.fetchall())
        cur.execute("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = %s", (db,))
        triggers = cur.fetchone()[0]
        cur.execute(f"SELECT n FROM `{db}`.v_person_count")
        viewed = cur.fetchone()[0]
    return {"people": people, "tag": tag, "events": events, "triggers": triggers, "viewed": viewed}


@pytest.fixture
def fresh(server):
    conn = connect(server)
    with conn.cursor() as cur:
        for db in (UAT, shadow_name(UAT), previous_name(UAT), UAT + "_b", shadow_name(UAT + "_b"), previous_name(UAT + "_b"), "amrit_uat_control"):
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
    yield conn
    conn.close()


def test_first_publish_brings_tables_and_every_object_kind(server, tmp_path, fresh):
    path, counts = _dump(server, tmp_path, 30, "old")
    _, report = prepare_and_swap(server, UAT, path, counts, restore_dump)
    assert (report.tables, report.rows) == (3, 61)
    s = _state(fresh, UAT)
    assert s == {"people": 30, "tag": "old", "events": {"e_nightly": "ENABLED", "e_off": "DISABLED"}, "triggers": 1, "viewed": 30}
    with fresh.cursor() as cur:  # the trigger works on the swapped-in table
        cur.execute(f"INSERT INTO `{UAT}`.visit (person_id) VALUES (1)")
        cur.execute(f"SELECT n FROM `{UAT}`.visit_count")
        assert cur.fetchone()[0] == 31  # 30 from the fixture inserts, +1 now
        cur.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (shadow_name(UAT),))
        assert cur.fetchone()[0] == 0


def test_second_publish_keeps_the_previous_state_with_events_off_and_rollback_restores_it(server, tmp_path, fresh):
    old, old_counts = _dump(server, tmp_path, 30, "old")
    new, new_counts = _dump(server, tmp_path, 50, "new")
    prepare_and_swap(server, UAT, old, old_counts, restore_dump)
    prepare_and_swap(server, UAT, new, new_counts, restore_dump)
    assert _state(fresh, UAT)["tag"] == "new" and _state(fresh, UAT)["people"] == 50
    prev = _state(fresh, previous_name(UAT))
    assert prev["tag"] == "old" and set(prev["events"].values()) == {"DISABLED"}  # the previous state never runs events
    assert status(server, UAT) == {"database": UAT, "tables": 3, "previous_tables": 3, "last_swap": "done"}

    rollback(server, UAT)
    back = _state(fresh, UAT)
    assert back == {"people": 30, "tag": "old", "events": {"e_nightly": "ENABLED", "e_off": "DISABLED"}, "triggers": 1, "viewed": 30}
    assert _state(fresh, previous_name(UAT))["tag"] == "new"


def test_rollback_without_a_previous_state_is_refused(server, fresh):
    with pytest.raises(SwapError, match="no previous UAT state"):
        rollback(server, UAT)


def test_a_shadow_that_differs_from_the_dumped_counts_is_never_swapped_in(server, tmp_path, fresh):
    old, old_counts = _dump(server, tmp_path, 30, "old")
    new, new_counts = _dump(server, tmp_path, 50, "new")
    prepare_and_swap(server, UAT, old, old_counts, restore_dump)
    with pytest.raises(SwapError, match="UAT was not touched"):
        prepare_and_swap(server, UAT, new, {**new_counts, "person": 49}, restore_dump)
    assert _state(fresh, UAT)["tag"] == "old"
    with fresh.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (shadow_name(UAT),))
        assert cur.fetchone()[0] == 0


class Crash(Exception):
    pass


@pytest.mark.parametrize("at", ["restoring", "verified", "journaled", "before_rename"])
def test_a_crash_before_the_rename_leaves_uat_as_it_was_and_the_next_run_recovers(server, tmp_path, fresh, at):
    old, old_counts = _dump(server, tmp_path, 30, "old")
    new, new_counts = _dump(server, tmp_path, 50, "new")
    prepare_and_swap(server, UAT, old, old_counts, restore_dump)
    before = _state(fresh, UAT)

    def crash(point: str) -> None:
        if point == at:
            raise Crash(point)

    with pytest.raises(Crash):
        prepare_and_swap(server, UAT, new, new_counts, restore_dump, checkpoint=crash)
    if at in ("journaled", "before_rename"):  # triggers/events were already taken off: recovery puts them back
        assert "undid a swap" in recover(fresh, UAT)
    assert _state(fresh, UAT) == before
    _, report = prepare_and_swap(server, UAT, new, new_counts, restore_dump)
    assert _state(fresh, UAT)["tag"] == "new" and report.rows == 101


def test_a_crash_after_the_rename_is_rolled_forward_by_the_next_run(server, tmp_path, fresh):
    old, old_counts = _dump(server, tmp_path, 30, "old")
    new, new_counts = _dump(server, tmp_path, 50, "new")
    prepare_and_swap(server, UAT, old, old_counts, restore_dump)

    def crash(point: str) -> None:
        if point == "after_rename":
            raise Crash(point)

    with pytest.raises(Crash):
        prepare_and_swap(server, UAT, new, new_counts, restore_dump, checkpoint=crash)
    with fresh.cursor() as cur:  # the data swapped completely, in one step
        cur.execute(f"SELECT COUNT(*), MIN(tag), MAX(tag) FROM `{UAT}`.person")
        assert cur.fetchone() == (50, "new", "new")
    assert "finished a swap" in recover(fresh, UAT)
    assert _state(fresh, UAT) == {"people": 50, "tag": "new", "events": {"e_nightly": "ENABLED", "e_off": "DISABLED"}, "triggers": 1, "viewed": 50}
    assert _state(fresh, previous_name(UAT))["tag"] == "old"


def _publish_in_child(server, path, counts) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    prepare_and_swap(server, UAT, path, counts, restore_dump)


def test_killing_the_refresh_during_the_shadow_restore_leaves_uat_intact(server, tmp_path, fresh):
    old, old_counts = _dump(server, tmp_path, 30, "old")
    big, big_counts = _dump(server, tmp_path, 60000, "big")
    prepare_and_swap(server, UAT, old, old_counts, restore_dump)
    before = _state(fresh, UAT)
    child = multiprocessing.get_context("fork").Process(target=_publish_in_child, args=(server, big, big_counts))
    child.start()
    deadline = time.monotonic() + 60
    with fresh.cursor() as cur:
        while time.monotonic() < deadline:  # wait until the shadow is being filled, then kill -9
            cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s", (shadow_name(UAT),))
            if cur.fetchone()[0]:
                break
            time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert child.exitcode == -signal.SIGKILL
    assert _state(fresh, UAT) == before
    report, _ = prepare_and_swap(server, UAT, big, big_counts, restore_dump)
    assert "interrupted" in report.recovered or "unfinished" in report.recovered
    assert _state(fresh, UAT)["people"] == 60000


def test_triggers_are_suspended_during_bulk_updates_and_put_back(server, fresh):
    from amrit_assets.resources.swap import triggers_suspended

    with fresh.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS fx_trg")
        cur.execute("CREATE DATABASE fx_trg")
        cur.execute("CREATE TABLE fx_trg.person (id INT PRIMARY KEY, phone VARCHAR(10))")
        cur.execute("CREATE TABLE fx_trg.audit (phone VARCHAR(10))")
        cur.execute("CREATE TRIGGER fx_trg.keep_old AFTER UPDATE ON fx_trg.person FOR EACH ROW INSERT INTO fx_trg.audit VALUES (OLD.phone)")
        cur.execute("INSERT INTO fx_trg.person VALUES (1, '9876543210')")
    with triggers_suspended(fresh, "fx_trg") as n, fresh.cursor() as cur:
        cur.execute("UPDATE fx_trg.person SET phone = '7000000001'")
    with fresh.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM fx_trg.audit")
        assert (n, cur.fetchone()[0]) == (1, 0)  # the original phone was not copied by the trigger
        cur.execute("UPDATE fx_trg.person SET phone = '7000000002'")
        cur.execute("SELECT COUNT(*) FROM fx_trg.audit")
        assert cur.fetchone()[0] == 1  # and the trigger is back


def test_a_view_reading_a_database_not_yet_in_uat_waits_and_appears_when_it_arrives(server, tmp_path, fresh):
    with fresh.cursor() as cur:
        for db in ("fx_other", "fx_reporting", "fx_reporting_src", shadow_name("fx_reporting"), previous_name("fx_reporting")):
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute("CREATE DATABASE fx_other")
        cur.execute("CREATE TABLE fx_other.src (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO fx_other.src VALUES (1), (2)")
        cur.execute("CREATE DATABASE fx_reporting_src")
        cur.execute("CREATE TABLE fx_reporting_src.t (id INT)")
        cur.execute("CREATE VIEW fx_reporting_src.v_cross AS SELECT COUNT(*) AS n FROM fx_other.src")
        cur.execute("CREATE VIEW fx_reporting_src.v_local AS SELECT id FROM fx_reporting_src.t")
    other = dump_database(server, "fx_other", tmp_path / "other.sql").path
    rep = dump_database(server, "fx_reporting_src", tmp_path / "rep.sql").path
    with fresh.cursor() as cur:  # UAT has neither yet
        cur.execute("DROP DATABASE fx_other")
        cur.execute("DROP DATABASE fx_reporting_src")
    _, report = prepare_and_swap(server, "fx_reporting", rep, {"t": 0}, restore_dump)
    assert report.objects["views_waiting"] == 1
    with fresh.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.views WHERE table_schema = 'fx_reporting'")
        assert cur.fetchone()[0] == 1  # v_local is there, v_cross waits
    prepare_and_swap(server, "fx_other", other, {"src": 2}, restore_dump)  # the database it reads arrives
    with fresh.cursor() as cur:
        cur.execute("SELECT n FROM fx_reporting.v_cross")
        assert cur.fetchone()[0] == 2


def test_no_event_is_enabled_in_the_shadow_before_the_swap(server, tmp_path, fresh):
    path, counts = _dump(server, tmp_path, 10, "old")
    seen = {}

    def look(point: str) -> None:
        if point == "verified":
            with fresh.cursor() as cur:
                cur.execute("SELECT event_name, status FROM information_schema.events WHERE event_schema = %s", (shadow_name(UAT),))
                seen.update(cur.fetchall())

    prepare_and_swap(server, UAT, path, counts, restore_dump, checkpoint=look)
    assert seen == {"e_nightly": "DISABLED", "e_off": "DISABLED"}  # created disabled by the restore itself
    assert _state(fresh, UAT)["events"] == {"e_nightly": "ENABLED", "e_off": "DISABLED"}  # as the dump had them


def _publish_and_die_at(server, path, counts, at: str) -> None:
    """A real refresh process that is killed (SIGKILL, no cleanup) at one point of the swap."""

    def die(point: str) -> None:
        if point == at:
            os.kill(os.getpid(), signal.SIGKILL)

    prepare_and_swap(server, UAT, path, counts, restore_dump, checkpoint=die)


@pytest.mark.parametrize(
    "at, message, holds",
    [
        ("journaled", "interrupted before its atomic rename; UAT kept its data and its rollback copy", ("v2", "v1")),
        ("before_rename", "interrupted before its atomic rename; UAT kept its data and its rollback copy", ("v2", "v1")),
        ("after_rename", "interrupted after its atomic rename; UAT holds the new data", ("v3", "v2")),
        ("finishing", "interrupted after its atomic rename; UAT holds the new data", ("v3", "v2")),
    ],
)
def test_a_refresh_killed_at_each_swap_point_is_recovered_truthfully_and_keeps_a_rollback_copy(server, tmp_path, fresh, at, message, holds):
    dumps = {v: _dump(server, tmp_path, n, v) for v, n in (("v1", 10), ("v2", 20), ("v3", 30))}
    sums = {}
    for v in ("v1", "v2", "v3"):  # what each version looks like once published (UAT's own checksums)
        prepare_and_swap(server, UAT, *dumps[v], restore_dump)
        sums[v] = checksum(server, UAT)
    prepare_and_swap(server, UAT, *dumps["v1"], restore_dump)
    prepare_and_swap(server, UAT, *dumps["v2"], restore_dump)  # UAT holds v2, its rollback copy v1
    assert (checksum(server, UAT), checksum(server, previous_name(UAT))) == (sums["v2"], sums["v1"])
    child = multiprocessing.get_context("fork").Process(target=_publish_and_die_at, args=(server, *dumps["v3"], at))
    child.start()
    child.join()
    assert child.exitcode == -signal.SIGKILL
    now, kept = holds
    assert checksum(server, UAT) == sums[now]  # what UAT holds right after the kill, before any recovery
    assert message in recover(fresh, UAT)
    assert (checksum(server, UAT), checksum(server, previous_name(UAT))) == (sums[now], sums[kept])
    assert _state(fresh, UAT)["tag"] == now


def _swap_two_and_die_at(server, shadows, at: str) -> None:
    def die(point: str) -> None:
        if point == at:
            os.kill(os.getpid(), signal.SIGKILL)

    swap_prepared(server, shadows, checkpoint=die)


@pytest.mark.parametrize("at, now", [(None, "new"), ("before_rename", "old"), ("after_rename", "new")])
def test_several_databases_move_together_or_not_at_all(server, tmp_path, fresh, at, now):
    pair = (UAT, UAT + "_b")
    old, new = _dump(server, tmp_path, 10, "old"), _dump(server, tmp_path, 20, "new")
    for db in pair:
        prepare_and_swap(server, db, *old, restore_dump)
    sums = {"old": [checksum(server, db) for db in pair]}
    shadows = {db: prepare_shadow(server, db, *new, restore_dump).shadow for db in pair}
    assert [checksum(server, db) for db in pair] == sums["old"]  # verified shadows, UAT untouched
    if at is None:
        reports = swap_prepared(server, shadows)
        assert sorted(reports) == sorted(pair) and all(r.rows == 41 for r in reports.values())
    else:
        child = multiprocessing.get_context("fork").Process(target=_swap_two_and_die_at, args=(server, shadows, at))
        child.start()
        child.join()
        assert child.exitcode == -signal.SIGKILL
        assert len({_state(fresh, db)["tag"] for db in pair}) == 1  # never a mix, even before recovery
        assert f"swap of {', '.join(sorted(pair))}" in recover(fresh, UAT)
    assert [_state(fresh, db)["tag"] for db in pair] == [now, now]
    if now == "new":
        assert [_state(fresh, previous_name(db))["tag"] for db in pair] == ["old", "old"]
    else:
        assert [checksum(server, previous_name(db)) for db in pair] == [(), ()]  # UAT's first state: nothing to roll back to


def test_a_swap_missing_one_verified_shadow_touches_no_database(server, tmp_path, fresh):
    pair = (UAT, UAT + "_b")
    old, new = _dump(server, tmp_path, 10, "old"), _dump(server, tmp_path, 20, "new")
    for db in pair:
        prepare_and_swap(server, db, *old, restore_dump)
    before = [checksum(server, db) for db in pair]
    token = prepare_shadow(server, UAT, *new, restore_dump).shadow
    with pytest.raises(SwapError, match=rf"{UAT}_b has no verified shadow .* materialize uat\[{UAT}_b\] again; no database of UAT was touched"):
        swap_prepared(server, {UAT: token, UAT + "_b": "stale"})
    assert [checksum(server, db) for db in pair] == before


def test_rollback_of_several_databases_is_one_move(server, tmp_path, fresh):
    pair = [UAT, UAT + "_b"]
    old, new = _dump(server, tmp_path, 10, "old"), _dump(server, tmp_path, 20, "new")
    for db in pair:
        prepare_and_swap(server, db, *old, restore_dump)
    old_sums = [checksum(server, db) for db in pair]
    prepare_and_swap(server, UAT, *new, restore_dump)  # only the first has a newer state
    with pytest.raises(SwapError, match=rf"no previous UAT state of {UAT}_b .*no database was rolled back"):
        with fresh.cursor() as cur:
            cur.execute(f"DROP DATABASE `{previous_name(UAT + '_b')}`")
        rollback_all(server, pair)
    assert _state(fresh, UAT)["tag"] == "new"
    prepare_and_swap(server, UAT + "_b", *new, restore_dump)
    reports = rollback_all(server, pair)
    assert sorted(reports) == sorted(pair) and [checksum(server, db) for db in pair] == old_sums
