"""No restore runs a dump's client commands: the filter refuses them, and the client itself runs sandboxed (real client, real server)."""

from __future__ import annotations

import subprocess

import pytest

from amrit_assets.resources.dumps import DumpError, find_client, restore_dump, sandbox_options
from amrit_assets.resources.mysql import client_defaults_file, connect
from amrit_assets.resources.portable import (
    ClientCommandError,
    CommandScanner,
    DumpFilter,
    client_command_in_data,
    map_0900_collations,
)

HEADER = b"-- MariaDB dump\n/*M!999999\\- enable the sandbox mode */\n/*!40101 SET NAMES utf8mb4 */;\n"
TRAILER = b"-- Dump completed on 2026-01-01  0:00:00\n"
BODY = b"CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `status` varchar(20)\n);\nINSERT INTO `t` VALUES (1,'a\\\\! \\'x\\' system'),(2,NULL);\n"


def _lines(dump: bytes) -> list[bytes]:
    return list(DumpFilter(mariadb=True).lines([dump]))


@pytest.mark.parametrize(
    "attack",
    [
        b"\\! touch {ran}\n",
        b"system touch {ran}\n",
        b"SYSTEM touch {ran};\n",
        b"-- a comment first\n  system touch {ran}\n",
        b"SELECT 1; \\! touch {ran}\n",
        b"source /etc/passwd\n",
        b"\\. /etc/passwd\n",
        b"DELIMITER //\n",
        b"tee {ran}\n",
        b"INSERT INTO `t` VALUES (3,'x');\\! touch {ran}\n",
        b"INSERT INTO `t` VALUES (3,'open\n\\! touch {ran}\n",
        # the client, in this mode, ends the string at the backslash's quote; a filter reading escapes would not
        b"SET sql_mode='NO_BACKSLASH_ESCAPES';\nSELECT 'a\\' ; \\! touch {ran}\n",
        b"SET sql_mode = 2097152;\n",
        # a view's lines never reach the client: a quote they leave open must not hide the next line
        b"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50001 VIEW `v` AS SELECT 'x */;\n\\! touch {ran}\n",
    ],
)
@pytest.mark.parametrize("workers", [1, 3], ids=["one client", "tables on three clients"])
def test_a_client_command_anywhere_is_refused_and_never_runs(server, tmp_path, attack, workers):
    ran = tmp_path / "ran"
    dump = tmp_path / "d.sql"
    section = b"--\n-- Table structure for table `t`\n--\n" if workers > 1 else b""  # as mysqldump lays it out
    dump.write_bytes(HEADER + section + BODY + attack.replace(b"{ran}", str(ran).encode()) + TRAILER)
    with pytest.raises(DumpError) as e:
        restore_dump(server, "cmd_target", dump, workers=workers)
    assert "a dump never runs client commands" in str(e.value) and str(dump) in str(e.value) and "materialize the dump again" in str(e.value)
    assert not ran.exists()
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'cmd_target'")
        assert cur.fetchall() == ()  # the incomplete database was dropped
    conn.close()


def test_mysqldump_output_passes_the_filter_unchanged_and_restores(server, tmp_path):
    dump = tmp_path / "ok.sql"
    routine = b"DELIMITER ;;\nCREATE PROCEDURE `p`()\nBEGIN\n  SELECT 1;\n  SELECT id,\n  status\n  FROM t;\nEND ;;\nDELIMITER ;\n"
    dump.write_bytes(HEADER + BODY + routine + TRAILER)
    restore_dump(server, "cmd_ok", dump)
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("SELECT v FROM (SELECT id, `status` AS v FROM cmd_ok.t) x ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == ["a\\! 'x' system", None]
        cur.execute("DROP DATABASE cmd_ok")
    conn.close()
    assert not client_command_in_data(b"INSERT INTO `t` VALUES (1,'a\\\\! \\'x\\'','q\"\\\\'),(2,0x5C21);\n")
    assert CommandScanner().scan(b"/*!40101 SET @x = '\\\\!' */;\n") is None


def test_the_client_itself_runs_sandboxed(server, tmp_path):
    """Without the filter, the client's own sandbox (MariaDB --sandbox; MySQL --commands=OFF) refuses a shell command."""
    binary = find_client("mysql", "mariadb")
    options = sandbox_options(binary)
    assert options, f"{binary} has neither --sandbox nor --commands: upgrade the client"
    ran = tmp_path / "ran"
    with client_defaults_file(server) as cnf:
        proc = subprocess.run([binary, f"--defaults-extra-file={cnf}", *options], input=f"\\! touch {ran}\nSELECT 1;\n".encode(), capture_output=True)
    assert proc.returncode != 0 and not ran.exists()
    with client_defaults_file(server) as cnf:  # the same input without the sandbox does run it: the test can fail
        subprocess.run([binary, f"--defaults-extra-file={cnf}"], input=f"\\! touch {ran}\n".encode(), capture_output=True)
    assert ran.exists()


def test_the_filter_error_names_the_line():
    with pytest.raises(ClientCommandError, match="line 4 holds the client command 'system'"):
        _lines(HEADER + b"system ls\n")


def test_0900_collations_map_to_names_both_servers_know():
    """One mapping, used by restores (on MariaDB) and by the schema gate's preview server alike."""
    ddl = b"a COLLATE utf8mb4_0900_ai_ci b utf8mb4_de_pb_0900_as_cs c COLLATE=utf8mb4_0900_bin d utf8mb4_0900_as_ci"
    assert map_0900_collations(ddl) == (
        b"a COLLATE utf8mb4_unicode_520_ci b utf8mb4_bin c COLLATE=utf8mb4_bin d utf8mb4_unicode_520_ci"
    )
