"""uat restores the bytes whose hash it compared: a dump swapped or rewritten after the check never reaches UAT
(real servers, real clients; the file is changed at the exact moment the restore starts)."""

from __future__ import annotations

import functools
import os

import pytest

from amrit_assets.resources import dumps
from amrit_assets.resources.dumps import DumpError, dump_database, restore_dump
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import connect
from amrit_assets_tests.conftest import checksum, prepare_and_swap

DB = "db_identity"
PHONE = "9876543210"  # a real-looking phone number that must never reach UAT


@pytest.fixture(scope="module")
def servers():
    with EmbeddedServer("uat-src") as src, EmbeddedServer("uat-uat") as uat:
        conn = connect(src.address)
        with conn.cursor() as cur:
            for name, phone in (("anon_old", "1000000001"), ("anon_new", "1000000002"), ("evil", PHONE)):
                cur.execute(f"CREATE DATABASE {name}")
                cur.execute(f"CREATE TABLE {name}.t (id INT PRIMARY KEY, phone VARCHAR(12))")
                cur.execute(f"INSERT INTO {name}.t VALUES (1, %s)", (phone,))
        conn.close()
        yield src.address, uat.address


def _dump(src, name, tmp_path):
    return dump_database(src, name, tmp_path / f"{name}.sql")


def _phones(uat) -> list[str]:
    conn = connect(uat)
    with conn.cursor() as cur:
        cur.execute(f"SELECT phone FROM {DB}.t")
        out = [r[0] for r in cur.fetchall()]
    conn.close()
    return out


def test_a_dump_replaced_when_the_restore_starts_is_refused_and_uat_keeps_its_data(servers, tmp_path):
    src, uat = servers
    old = _dump(src, "anon_old", tmp_path)
    prepare_and_swap(uat, DB, old.path, {"t": 1}, restore_dump)
    before, source = checksum(uat, DB), checksum(src, "anon_new")
    checked, evil = _dump(src, "anon_new", tmp_path), _dump(src, "evil", tmp_path)

    def swap_in(stage: str) -> None:  # the journal says 'restoring': the moment
        if stage == "restoring":
            os.replace(evil.path, checked.path)

    with pytest.raises(DumpError) as e:
        prepare_and_swap(uat, DB, checked.path, {"t": 1}, functools.partial(restore_dump, expected_sha256=checked.sha256), swap_in)
    assert "is not the dump that was recorded" in str(e.value) and str(checked.path) in str(e.value) and "was not touched" in str(e.value)
    assert checksum(uat, DB) == before and _phones(uat) == ["1000000001"]
    assert checksum(src, "anon_new") == source


def test_a_dump_rewritten_after_its_check_cannot_change_what_is_restored(servers, tmp_path, monkeypatch):
    src, uat = servers
    checked, evil = _dump(src, "anon_new", tmp_path), _dump(src, "evil", tmp_path)
    source = checksum(src, "anon_new")
    recreate = dumps._recreate

    def tamper_then_recreate(conn, db):  # after the hash was compared, before the first byte is restored
        with open(checked.path, "r+b") as f:  # in place (same inode) ...
            f.write(evil.path.read_bytes())
            f.truncate()
        recreate(conn, db)

    monkeypatch.setattr(dumps, "_recreate", tamper_then_recreate)
    prepare_and_swap(uat, DB, checked.path, {"t": 1}, functools.partial(restore_dump, expected_sha256=checked.sha256))
    assert _phones(uat) == ["1000000002"] and PHONE.encode() in checked.path.read_bytes()  # the file changed, UAT got the checked bytes
    assert checksum(src, "anon_new") == source
