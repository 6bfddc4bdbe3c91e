"""Dump and restore against a real server with the real clients: encryption at rest, refusal before
anything is dropped, a full disk, retention, and portable restores (DEFINERs, MySQL 8 collations,
cross-database views)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from amrit_assets.assets.raw_dump import raw_dump
from amrit_assets.assets.source_schema import source_schema
from amrit_assets.assets.staging import staging
from amrit_assets.checks.schema_gate import catalog_covers_schema
from amrit_assets.demo.schema import build_from_ddl
from amrit_assets.resources.crypto import HEADER_SIZE, encrypt_stream
from amrit_assets.checks.preflight import preflight
from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.dumps import DumpError, apply_retention, dump_database, partial_path, file_sha256, restore_database, restore_dump
from amrit_assets.resources.mysql import MySQLResource, ServerAddress, ServerConnectionError, connect
from amrit_assets.resources.portable import CONTROL_DB, DumpFilter, ViewStatement, pending_views, requalify, take_pending_views
from amrit_assets.resources.settings import RefreshSettings, retention_hours
from amrit_assets_tests.conftest import TEST_KEY

pytestmark = pytest.mark.integration

KEY = TEST_KEY.encode()
MARKER = "Ramesh Kumar 9876543210"  # stands in for a PII value that must never be on disk in plaintext


def _make(conn, db: str, rows: int) -> None:
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {db}")
        cur.execute(f"CREATE DATABASE {db}")
        cur.execute(f"CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(40))")
        cur.executemany(f"INSERT INTO {db}.t VALUES (%s, %s)", [(i, f"v{i}") for i in range(rows)])
        cur.execute(f"INSERT INTO {db}.t VALUES (%s, %s)", (rows, MARKER))
        cur.execute(f"CREATE VIEW {db}.vt AS SELECT id FROM {db}.t")


def _count(conn, db: str, table: str = "t") -> int:
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM `{db}`.`{table}`")
        return cur.fetchone()[0]


def test_dump_and_restore_round_trip(server, conn, tmp_path):
    _make(conn, "src1", 50)
    result = dump_database(server, "src1", tmp_path / "src1.sql")
    assert result.bytes > 0 and len(result.sha256) == 64 and not result.encrypted
    restore_database(server, "dst1", result.path)
    assert _count(conn, "dst1") == 51 and _count(conn, "dst1", "vt") == 51


def test_truncated_dump_is_refused_and_target_untouched(server, conn, tmp_path):
    _make(conn, "src2", 20)
    path = dump_database(server, "src2", tmp_path / "src2.sql").path
    _make(conn, "keepme", 7)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DumpError, match="truncated or corrupt"):
        restore_database(server, "keepme", path)
    assert _count(conn, "keepme") == 8


def test_missing_dump_and_wrong_password_give_clear_errors(server, tmp_path):
    with pytest.raises(DumpError, match="does not exist"):
        restore_database(server, "x", tmp_path / "nope.sql")
    with connect(server).cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS 'tester'@'127.0.0.1' IDENTIFIED BY 'right-password'")
    with pytest.raises(ServerConnectionError, match="access denied for user 'tester'"):
        connect(ServerAddress(server.host, server.port, "tester", "wrong-password"))
    with pytest.raises(ServerConnectionError, match="cannot reach"):
        connect(ServerAddress("127.0.0.1", 1, "root", ""))


# --- encryption at rest --------------------------------------------------------------------------------


def test_encrypted_dump_round_trip_keeps_no_plaintext_on_disk(server, conn, tmp_path):
    _make(conn, "enc_src", 300)
    result = dump_database(server, "enc_src", tmp_path / "enc_src.sql.enc", key=KEY)
    data = result.path.read_bytes()
    assert result.encrypted and result.plaintext_bytes > len(MARKER) and result.bytes == len(data)
    assert result.sha256 == file_sha256(result.path)
    assert MARKER.encode() not in data and b"INSERT INTO" not in data and KEY not in data
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("*.partial"))
    restore_database(server, "enc_dst", result.path, key=KEY)
    with conn.cursor() as cur:
        cur.execute("SELECT v FROM enc_dst.t WHERE id = 300")
        assert cur.fetchone()[0] == MARKER
    assert _count(conn, "enc_dst", "vt") == 301


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[HEADER_SIZE + 100] ^= 0x04
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])


@pytest.mark.parametrize(
    "damage, key, expected",
    [
        (None, b"a-different-key-0123456789", "does not decrypt with the current AMRIT_ANON_KEY.*Fix: set AMRIT_ANON_KEY"),
        (_flip, KEY, "altered or cut short.*chunk 0.*materialize its raw_dump again"),
        (_truncate, KEY, "altered or cut short.*materialize its raw_dump again"),
        (None, None, "is encrypted: restore it with the anonymization key"),
    ],
    ids=["wrong-key", "flipped-byte", "truncated", "no-key"],
)
def test_undecryptable_dump_is_refused_and_target_untouched(server, conn, tmp_path, damage, key, expected):
    _make(conn, "enc_src2", 40)
    path = dump_database(server, "enc_src2", tmp_path / "enc_src2.sql.enc", key=KEY).path
    if damage:
        damage(path)
    _make(conn, "enc_keep", 7)
    with pytest.raises(DumpError, match=expected) as info:
        restore_database(server, "enc_keep", path, key=key)
    assert str(path) in str(info.value)
    assert _count(conn, "enc_keep") == 8, "the target's previous data must still be there"


def test_encrypted_dump_cut_at_a_chunk_boundary_is_called_truncated(server, conn, tmp_path):
    path = tmp_path / "big.sql.enc"
    with path.open("wb") as out:
        encrypt_stream(_Repeat(b"-- filler line\n", 3 * (1 << 20)), out, KEY)
    path.write_bytes(path.read_bytes()[: HEADER_SIZE + 2 * ((1 << 20) + 16)])
    _make(conn, "enc_keep2", 3)
    with pytest.raises(DumpError, match="truncated: its final chunk is missing"):
        restore_database(server, "enc_keep2", path, key=KEY)
    assert _count(conn, "enc_keep2") == 4


def test_encrypted_dump_without_the_closing_line_is_refused(server, conn, tmp_path):
    path = tmp_path / "cut.sql.enc"
    with path.open("wb") as out:
        encrypt_stream(_Repeat(b"CREATE TABLE x (id INT);\n", 1000), out, KEY)
    _make(conn, "enc_keep3", 2)
    with pytest.raises(DumpError, match="no '-- Dump completed' trailer"):
        restore_database(server, "enc_keep3", path, key=KEY)
    assert _count(conn, "enc_keep3") == 3


class _Repeat:
    """A readable stream of ``size`` bytes of a repeated line, generated as it is read."""

    def __init__(self, line: bytes, size: int) -> None:
        self.line, self.left = line, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return (self.line * (n // len(self.line) + 1))[:n]


# --- a full disk -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, None], ids=["encrypted", "plaintext"])
def test_full_disk_keeps_previous_dump_and_says_how_to_fix(server, conn, tmp_path, key):
    _make(conn, "full_src", 30)
    path = tmp_path / "full_src.sql.enc"
    previous = dump_database(server, "full_src", path, key=key)
    before = path.read_bytes()
    partial = partial_path(path)
    partial.symlink_to("/dev/full")
    with pytest.raises(DumpError, match="the disk is full.*Free space.*AMRIT_DATA_DIR.*left untouched"):
        dump_database(server, "full_src", path, key=key)
    assert path.read_bytes() == before and file_sha256(path) == previous.sha256
    assert not partial.exists() and not partial.is_symlink()


# --- retention ---------------------------------------------------------------------------------------------


def _aged(folder: Path, name: str, hours: float) -> Path:
    p = folder / name
    p.write_bytes(b"x")
    t = time.time() - hours * 3600
    os.utime(p, (t, t))
    return p


def test_retention_deletes_expired_dumps_legacy_plaintext_and_stale_partials(tmp_path):
    old = _aged(tmp_path, "db_iemr.sql.enc", 30)
    fresh = _aged(tmp_path, "db_identity.sql.enc", 1)
    legacy = _aged(tmp_path, "db_reporting.sql", 0)
    stale = _aged(tmp_path, "db_iemr.sql.enc.partial", 30)
    live = _aged(tmp_path, "db_identity.sql.enc.partial", 0)
    kept = apply_retention(tmp_path, 24)
    assert sorted(kept.deleted) == sorted([old.name, legacy.name, stale.name]) and kept.kept == (fresh.name,)
    assert fresh.exists() and live.exists()
    assert kept.metadata() == {"raw_retention_hours": 24, "raw_dumps_deleted": 3, "raw_dumps_kept": 1}
    assert apply_retention(tmp_path, 0.5).deleted == (fresh.name,)


def test_retention_zero_deletes_the_restored_dump_only(tmp_path):
    restored = _aged(tmp_path, "db_iemr.sql.enc", 0)
    waiting = _aged(tmp_path, "db_identity.sql.enc", 2)  # its staging has not run yet
    result = apply_retention(tmp_path, 0, restored=restored)
    assert result.deleted == (restored.name,) and result.kept == (waiting.name,)
    assert apply_retention(tmp_path, 0).deleted == ()
    with pytest.raises(DumpError, match="0 or more hours"):
        apply_retention(tmp_path, -1)


def test_retention_setting_is_read_from_the_environment():
    assert retention_hours(None) == 24 and retention_hours("0") == 0 and retention_hours("1.5") == 1.5
    with pytest.raises(ValueError, match="AMRIT_RAW_DUMP_RETENTION_HOURS='soon' is not a number"):
        retention_hours("soon")
    with pytest.raises(ValueError, match="0 or more"):
        retention_hours("-2")


def test_assets_encrypt_restore_and_apply_retention(server, tmp_path):
    """raw_dump and staging through Dagster: encrypted file, counts of deleted/kept dumps in metadata."""
    db = "db_1097_identity"
    build_from_ddl(server, (db,))
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    expired = _aged(raw, "db_iemr.sql.enc", 48)
    waiting = _aged(raw, "db_identity.sql.enc", 1)
    legacy = _aged(raw, f"{db}.sql", 1)

    def at(addr) -> dict:
        return dict(host=addr.host, port=addr.port, user=addr.user, unix_socket=addr.unix_socket)

    def resources(hours: float) -> dict:
        settings = RefreshSettings(data_dir=str(tmp_path / "data"), anon_key=TEST_KEY, raw_dump_retention_hours=hours)
        return {
            "source": MySQLResource(**at(server), read_only=True),
            "workspace": MySQLResource(**at(workspace.address)),  # a target must never be the source
            "uat_server": MySQLResource(**at(uat.address)),
            "settings": settings,
        }

    def meta(instance, asset: str) -> dict:
        [record] = instance.fetch_materializations(AssetKey(asset), limit=1).records
        return {k: v.value for k, v in record.asset_materialization.metadata.items()}

    assets = [source_schema, catalog_covers_schema, preflight, raw_dump, staging]
    with EmbeddedServer("dumps-ws") as workspace, EmbeddedServer("dumps-uat") as uat, DagsterInstance.ephemeral() as instance:
        assert materialize(assets, partition_key=db, resources=resources(24), instance=instance).success
        dumped, staged = meta(instance, "raw_dump"), meta(instance, "staging")
        path = raw / f"{db}.sql.enc"
        assert dumped["path"] == str(path) and dumped["sha256"] == file_sha256(path)
        assert b"CREATE TABLE" not in path.read_bytes()
        assert (dumped["raw_dumps_deleted"], dumped["raw_dumps_kept"]) == (2, 2)  # the expired one and the plaintext
        assert not expired.exists() and not legacy.exists() and waiting.exists()
        assert (staged["raw_dumps_deleted"], staged["raw_dumps_kept"], staged["raw_retention_hours"]) == (0, 2, 24)
        assert staged["tables"] > 10 and staged["views_pending"] == []

        assert materialize(assets, partition_key=db, resources=resources(0), instance=instance).success
        staged = meta(instance, "staging")
        assert (staged["raw_dumps_deleted"], staged["raw_dumps_kept"]) == (1, 1)
        assert not path.exists() and waiting.exists(), "retention 0: the restored dump goes, the waiting one stays"


# --- portable restore ----------------------------------------------------------------------------------------

MISSING = "`someone_missing`@`%`"
TRICKY = "x DEFINER=`root`@`%` y COLLATE utf8mb4_0900_ai_ci z /*!50017 DEFINER=`a`@`b`*/ ;\\n"


def _build_with_definers(conn, db: str) -> None:
    """A view, a trigger, a procedure, a function and an event, all owned by a user UAT lacks."""
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute(f"CREATE DATABASE `{db}`")
        cur.execute(f"USE `{db}`")
        cur.execute("CREATE TABLE person (id INT PRIMARY KEY, note VARCHAR(200))")
        cur.execute("CREATE TABLE audit (n INT)")
        cur.execute("INSERT INTO audit VALUES (0)")
        cur.execute("INSERT INTO person VALUES (1, %s), (2, 'plain')", (TRICKY,))  # before the trigger: it could not run here
        cur.execute(f"CREATE DEFINER={MISSING} SQL SECURITY DEFINER VIEW v_person AS SELECT id, note FROM person")
        cur.execute(f"CREATE DEFINER={MISSING} TRIGGER trg_person AFTER INSERT ON person FOR EACH ROW UPDATE audit SET n = n + 1")
        cur.execute(f"CREATE DEFINER={MISSING} PROCEDURE p_count() SELECT COUNT(*) FROM person")
        cur.execute(f"CREATE DEFINER={MISSING} FUNCTION f_twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2")
        cur.execute(f"CREATE DEFINER={MISSING} EVENT e_nightly ON SCHEDULE EVERY 1 DAY DO UPDATE audit SET n = n")


def test_definers_are_stripped_and_data_survives_byte_identical(server, conn, tmp_path):
    _build_with_definers(conn, "def_src")
    path = dump_database(server, "def_src", tmp_path / "def_src.sql").path
    text = path.read_bytes()
    for form in (b"/*!50013 DEFINER=`someone_missing`", b"/*!50017 DEFINER=`someone_missing`", b"CREATE DEFINER=`someone_missing`", b"/*!50117 DEFINER=`someone_missing`"):
        assert form in text, form  # the fixture really carries every mysqldump form
    with conn.cursor() as cur:
        cur.execute("DROP USER IF EXISTS 'someone_missing'@'%'")
    restore_database(server, "def_dst", path)
    with conn.cursor() as cur:
        cur.execute("SELECT HEX(note) FROM def_src.person WHERE id = 1")
        original = cur.fetchone()[0]
        cur.execute("SELECT HEX(note) FROM def_dst.person WHERE id = 1")
        assert cur.fetchone()[0] == original, "a value reading DEFINER=... and a 0900 collation must survive byte-identical"
        cur.execute("SELECT COUNT(*) FROM def_dst.v_person")  # a missing definer would fail here (1449)
        assert cur.fetchone()[0] == 2
        cur.execute("INSERT INTO def_dst.person VALUES (3, 'new')")  # the trigger runs as an existing user
        cur.execute("SELECT n FROM def_dst.audit")
        assert cur.fetchone()[0] == 1
        cur.execute("CALL def_dst.p_count()")
        assert cur.fetchone()[0] == 3
        cur.execute("SELECT def_dst.f_twice(21)")
        assert cur.fetchone()[0] == 42
        definers = []
        for sql in (
            "SELECT definer FROM information_schema.views WHERE table_schema = 'def_dst'",
            "SELECT definer FROM information_schema.triggers WHERE trigger_schema = 'def_dst'",
            "SELECT definer FROM information_schema.routines WHERE routine_schema = 'def_dst'",
            "SELECT definer FROM information_schema.events WHERE event_schema = 'def_dst'",
        ):
            cur.execute(sql)
            definers += [row[0] for row in cur.fetchall()]
    assert len(definers) == 5 and not any("someone_missing" in d for d in definers)


def test_filter_passes_data_lines_byte_identical():
    value = b"'DEFINER=`root`@`%` utf8mb4_0900_ai_ci /*!50017 DEFINER=`a`@`b`*/ CREATE DEFINER=`x`@`y` PROCEDURE'"
    mysql_insert = b"INSERT INTO `t` VALUES (1," + value + b"),(2,'b');\n"  # MySQL: one line per statement
    maria_insert = b"INSERT INTO `t` VALUES\n(3," + value + b"),\n(4," + value + b");\n"  # MariaDB: one line per row
    dump = (
        b"/*M!999999\\- enable the sandbox mode */ \n-- Host: localhost    Database: db_src\n"
        b"CREATE TABLE `t` (\n  `v` text COLLATE utf8mb4_0900_ai_ci\n) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_as_cs;\n"
        + mysql_insert
        + maria_insert
        + b"/*!50003 CREATE*/ /*!50017 DEFINER=`u`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1 */;;\n"
    )
    f = DumpFilter(mariadb=True)
    joined = b"".join(f.lines([dump[i : i + 13] for i in range(0, len(dump), 13)]))  # chunk borders inside lines
    assert mysql_insert in joined and maria_insert in joined
    rest = joined.replace(mysql_insert, b"").replace(maria_insert, b"")
    assert b"COLLATE utf8mb4_unicode_520_ci\n" in rest and b"COLLATE=utf8mb4_bin;" in rest
    assert b"/*!50003 CREATE*/ /*!50003 TRIGGER" in rest and b"DEFINER" not in rest and b"0900" not in rest
    assert b"sandbox" in rest and f.source_db == "db_src"
    assert b"sandbox" not in b"".join(DumpFilter(mariadb=True, mysql_client=True).lines([dump])), "the MySQL client refuses it"
    assert b"".join(DumpFilter(mariadb=False).lines([dump])).count(b"0900_") == 2 + 3, "MySQL 8 targets keep their collations"


def test_views_follow_a_dump_restored_under_another_name():
    view = ViewStatement("v", (), "/*!50001 VIEW `v` AS select `db_src`.`t`.`id` AS `id` from `db_src`.`t` join `db_other`.`u` */")
    moved = requalify(view, "db_src", "db_src__shadow")
    assert moved.sql == "/*!50001 VIEW `v` AS select `db_src__shadow`.`t`.`id` AS `id` from `db_src__shadow`.`t` join `db_other`.`u` */"
    assert requalify(view, "db_src", "db_src") is view and requalify(view, None, "x") is view


MYSQL8_DUMP = """-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: 10.0.0.5    Database: db_iemr
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Table structure for table `m_user`
--

DROP TABLE IF EXISTS `m_user`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `m_user` (
  `UserID` int NOT NULL AUTO_INCREMENT,
  `UserName` varchar(50) COLLATE utf8mb4_0900_as_cs DEFAULT NULL,
  `Remarks` varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci DEFAULT NULL,
  `Secret` int /*!80023 INVISIBLE */ DEFAULT NULL,
  PRIMARY KEY (`UserID`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `m_user` WRITE;
/*!40000 ALTER TABLE `m_user` DISABLE KEYS */;
INSERT INTO `m_user` VALUES (1,'asha','kept as utf8mb4_0900_ai_ci and DEFINER=`x`@`%`',NULL),(2,'ravi',NULL,NULL);
/*!40000 ALTER TABLE `m_user` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Temporary view structure for view `v_user`
--

DROP TABLE IF EXISTS `v_user`;
/*!50001 DROP VIEW IF EXISTS `v_user`*/;
SET @saved_cs_client     = @@character_set_client;
/*!50503 SET character_set_client = utf8mb4 */;
/*!50001 CREATE VIEW `v_user` AS SELECT 
 1 AS `UserID`,
 1 AS `UserName`*/;
SET character_set_client = @saved_cs_client;

--
-- Dumping routines for database 'db_iemr'
--
/*!50003 DROP PROCEDURE IF EXISTS `p_users` */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8mb4 */ ;
/*!50003 SET character_set_results = utf8mb4 */ ;
/*!50003 SET collation_connection  = utf8mb4_0900_ai_ci */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
CREATE DEFINER=`piramal_admin`@`%` PROCEDURE `p_users`()
BEGIN
INSERT INTO m_user (UserName) SELECT 'x' COLLATE utf8mb4_0900_as_cs FROM DUAL WHERE 1 = 0;
SELECT COUNT(*) FROM m_user;
END ;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;

--
-- Final view structure for view `v_user`
--

/*!50001 DROP VIEW IF EXISTS `v_user`*/;
/*!50001 SET @saved_cs_client          = @@character_set_client */;
/*!50001 SET @saved_cs_results         = @@character_set_results */;
/*!50001 SET @saved_col_connection     = @@collation_connection */;
/*!50001 SET character_set_client      = utf8mb4 */;
/*!50001 SET character_set_results     = utf8mb4 */;
/*!50001 SET collation_connection      = utf8mb4_0900_ai_ci */;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`piramal_admin`@`%` SQL SECURITY DEFINER */
/*!50001 VIEW `v_user` AS select `m_user`.`UserID` AS `UserID`,`m_user`.`UserName` AS `UserName` from `m_user` where (`m_user`.`UserName` <> _utf8mb4'zz' collate utf8mb4_0900_ai_ci) */;
/*!50001 SET character_set_client      = @saved_cs_client */;
/*!50001 SET character_set_results     = @saved_cs_results */;
/*!50001 SET collation_connection      = @saved_col_connection */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;

-- Dump completed on 2025-01-10 10:00:00
"""


def test_mysql8_dump_with_0900_collations_restores_on_mariadb(server, conn, tmp_path):
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        if "MariaDB" not in cur.fetchone()[0]:
            pytest.skip("the collation mapping applies to MariaDB targets")
    path = tmp_path / "mysql8.sql"
    path.write_text(MYSQL8_DUMP)
    restore_database(server, "m8_dst", path)
    with conn.cursor() as cur:
        cur.execute("SELECT table_collation FROM information_schema.tables WHERE table_schema = 'm8_dst' AND table_name = 'm_user'")
        assert cur.fetchone()[0] == "utf8mb4_unicode_520_ci"
        cur.execute("SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = 'm8_dst' AND table_name = 'm_user' AND collation_name IS NOT NULL ORDER BY ordinal_position")
        assert cur.fetchall() == (("UserName", "utf8mb4_bin"), ("Remarks", "utf8mb4_unicode_520_ci"))
        cur.execute("SELECT Remarks FROM m8_dst.m_user WHERE UserID = 1")
        assert cur.fetchone()[0] == "kept as utf8mb4_0900_ai_ci and DEFINER=`x`@`%`"
        cur.execute("SELECT COUNT(*) FROM m8_dst.v_user")
        assert cur.fetchone()[0] == 2
        cur.execute("CALL m8_dst.p_users()")
        assert cur.fetchone()[0] == 2


# --- cross-database views ----------------------------------------------------------------------------------


def test_cross_database_view_waits_for_its_database_and_is_created_after_it(server, conn, tmp_path):
    with conn.cursor() as cur:
        for db in ("xr_reporting", "xr_iemr", CONTROL_DB):
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute("CREATE DATABASE xr_iemr")
        cur.execute("CREATE TABLE xr_iemr.t_visit (id INT PRIMARY KEY, district VARCHAR(20))")
        cur.execute("INSERT INTO xr_iemr.t_visit VALUES (1, 'Jorhat'), (2, 'Jorhat'), (3, 'Kamrup')")
        cur.execute("CREATE DATABASE xr_reporting")
        cur.execute("USE xr_reporting")
        cur.execute("CREATE TABLE r_own (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO r_own VALUES (1)")
        cur.execute("CREATE VIEW v_visits AS SELECT district, COUNT(*) AS n FROM xr_iemr.t_visit GROUP BY district")
        cur.execute("CREATE VIEW v_top AS SELECT district FROM v_visits WHERE n > 1")  # waits for a waiting view
        cur.execute("CREATE VIEW v_own AS SELECT id FROM r_own")
    reporting = dump_database(server, "xr_reporting", tmp_path / "xr_reporting.sql.enc", key=KEY).path
    iemr = dump_database(server, "xr_iemr", tmp_path / "xr_iemr.sql.enc", key=KEY).path
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE xr_reporting")
        cur.execute("DROP DATABASE xr_iemr")

    first = restore_dump(server, "xr_reporting", reporting, key=KEY)  # before its dependency
    assert first.views_created == ["v_own"]
    assert sorted(first.views_pending) == ["xr_reporting.v_top", "xr_reporting.v_visits"]
    assert [p.qualified for p in pending_views(conn)] == ["xr_reporting.v_top", "xr_reporting.v_visits"]
    assert _count(conn, "xr_reporting", "r_own") == 1 and _count(conn, "xr_reporting", "v_own") == 1

    again = restore_dump(server, "xr_reporting", reporting, key=KEY)  # restoring it again replaces its pending rows
    assert sorted(again.views_pending) == ["xr_reporting.v_top", "xr_reporting.v_visits"] and len(pending_views(conn)) == 2

    second = restore_dump(server, "xr_iemr", iemr, key=KEY)
    assert sorted(second.views_completed) == ["xr_reporting.v_top", "xr_reporting.v_visits"] and second.views_pending == []
    assert pending_views(conn) == []
    with conn.cursor() as cur:
        cur.execute("SELECT district FROM xr_reporting.v_top")
        assert cur.fetchall() == (("Jorhat",),)

    after = restore_dump(server, "xr_reporting", reporting, key=KEY)  # after its dependency: nothing waits
    assert sorted(after.views_created) == ["v_own", "v_top", "v_visits"] and after.views_pending == []

    # A caller that moves the restored database elsewhere (UAT's shadow swap) can take its pending views over.
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE xr_iemr")
    restore_dump(server, "xr_reporting", reporting, key=KEY)
    taken = take_pending_views(conn, "xr_reporting")
    assert [v.name for v in taken] == ["v_top", "v_visits"] and "`xr_iemr`.`t_visit`" in taken[1].sql
    assert pending_views(conn) == []
