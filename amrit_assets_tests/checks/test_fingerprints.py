"""Fingerprints of the originals on a real server: the same set whether one session or several take them."""

import pytest

pytestmark = pytest.mark.integration


def test_tables_fingerprinted_on_several_sessions_give_the_same_fingerprints(server):
    """Sessions that insert the same hash at once (one mobile in many tables) can deadlock; the
    statement is run again, and nothing is lost or counted twice (the name-token counts included)."""
    from amrit_assets.catalog.model import Column, Resolution, Rule
    from amrit_assets.checks.fingerprints import fingerprint_originals
    from amrit_assets.common.keys import set_session_keys
    from amrit_assets.control import ddl, pool_table_ddl
    from amrit_assets.resources.mysql import connect

    key, db = b"f" * 32, "fp_many"
    rule = Rule(0, "*", "*", "*", None, "keep", (), "test")
    cols = [("id", "bigint(20)", "keep", {}, "PRI"), ("Mobile", "varchar(20)", "phone", {}, ""),
            ("FirstName", "varchar(50)", "name", {"part": "first"}, ""), ("LastName", "varchar(50)", "name", {"part": "last"}, ""),
            ("Remarks", "text", "scrub_text", {}, "")]
    tables = [f"t{i}" for i in range(8)]
    rs = [Resolution(Column(db, t, c, ty, key=k), s, p, rule) for t in tables for c, ty, s, p, k in cols]
    conn = connect(server)
    with conn.cursor() as cur:
        for stmt in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}", "DROP DATABASE IF EXISTS amrit_anon", *ddl("id_map"),
                     *(x for p in ("first_name", "last_name", "full_name", "street") for x in pool_table_ddl(p))):
            cur.execute(stmt)
        for t in tables:  # every table holds the same people: every hash is inserted by every session
            cur.execute(f"CREATE TABLE {db}.{t} (id BIGINT PRIMARY KEY, Mobile VARCHAR(20), FirstName VARCHAR(50), LastName VARCHAR(50), Remarks TEXT)")
            cur.executemany(f"INSERT INTO {db}.{t} VALUES (%s, %s, %s, %s, %s)",
                            [(i, f"98{i:08d}", f"first{i % 40}", f"last{i % 70}", f"seen {i}") for i in range(1500)])
        set_session_keys(cur, key)

    def taken(**parallel) -> tuple:
        stats = fingerprint_originals(conn, [db], rs, **parallel)
        with conn.cursor() as cur:
            cur.execute("SELECT HEX(h) FROM amrit_anon.fp_value ORDER BY h")
            values = cur.fetchall()
            cur.execute("SELECT HEX(t), n FROM amrit_anon.fp_token ORDER BY t")
            return stats, values, cur.fetchall()

    one_stats, one_values, one_tokens = taken()
    many_stats, many_values, many_tokens = taken(open_connection=lambda: connect(server), key=key, workers=4)
    conn.close()
    assert (one_stats["leak_fingerprint_workers"], many_stats["leak_fingerprint_workers"]) == (1, 4)
    assert many_values == one_values and many_tokens == one_tokens
    assert one_stats["leak_fingerprints"] > 1500 * 8 and max(n for _, n in one_tokens) == 8 * 38  # first0..first19: 38 rows a table


def test_a_statement_that_deadlocked_is_run_again_and_any_other_error_is_raised():
    import pymysql

    from amrit_assets.checks.fingerprints import _execute_retrying

    class Cursor:  # the server's answers, in order
        def __init__(self, *answers):
            self.answers, self.ran = list(answers), 0

        def execute(self, stmt):
            self.ran += 1
            answer = self.answers.pop(0)
            if answer:
                raise pymysql.err.OperationalError(answer, "from the server")

    twice = Cursor(1213, None)
    _execute_retrying(twice, "INSERT ...")
    assert twice.ran == 2
    with pytest.raises(pymysql.err.OperationalError):
        _execute_retrying(Cursor(1146), "INSERT ...")  # no such table: not retried
    with pytest.raises(pymysql.err.OperationalError):
        _execute_retrying(Cursor(*[1213] * 5), "INSERT ...", attempts=5)
