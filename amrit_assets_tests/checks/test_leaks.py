"""The scan on a real server: fingerprints taken in "staging", then the anonymized rows searched."""


def _fresh_workspace(cur, db: str) -> None:
    """An empty ``db`` and the workspace's control tables the scan reads (id map, fake-name pools), as the project creates them."""
    from amrit_assets.control import ddl, pool_table_ddl

    for stmt in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}", "DROP DATABASE IF EXISTS amrit_anon", *ddl("id_map"),
                 *(x for p in ("first_name", "last_name", "full_name", "street") for x in pool_table_ddl(p))):
        cur.execute(stmt)


def _dense_ids(server, db: str, key: bytes, extra: list[tuple[str, str, str, str]], extra_sql: str, extra_values: str):
    """Table ``db.t`` (id, BenRegID and ``extra`` columns) of ten beneficiaries whose ids are dense (every
    original is also some beneficiary's remapped id), fingerprinted as staged; returns the connection,
    the resolutions and the original ids."""
    from amrit_assets.catalog.model import Column, Resolution, Rule
    from amrit_assets.checks.fingerprints import fingerprint_originals
    from amrit_assets.common.keys import set_session_keys
    from amrit_assets.resources.mysql import connect

    cols = [("id", "bigint(20)", "keep", "PRI"), ("BenRegID", "bigint(20)", "benregid", "MUL"), *extra]
    rule = Rule(0, "*", "*", "*", None, "keep", (), "test")
    rs = [Resolution(Column(db, "t", c, t, key=k), s, {}, rule) for c, t, s, k in cols]
    old = list(range(1_000_001, 1_000_011))
    new = old[1:] + old[:1]
    conn = connect(server)
    with conn.cursor() as cur:
        _fresh_workspace(cur, db)
        cur.execute(f"CREATE TABLE {db}.t (id BIGINT PRIMARY KEY, BenRegID BIGINT, {extra_sql})")
        cur.executemany("INSERT INTO amrit_anon.id_map (kind, old_id, new_id) VALUES ('benregid', %s, %s)", list(zip(old, new)))
        cur.executemany(f"INSERT INTO {db}.t VALUES (%s, %s, {extra_values})", [(i, o) for i, o in enumerate(old)])
        set_session_keys(cur, key)
    fingerprint_originals(conn, [db], rs)
    return conn, rs, old


def test_own_original_benregid_is_found_even_when_every_original_is_also_a_remapped_id(server):
    """At production scale BenRegIDs are dense: the bijection's outputs are originals too, so an id in a
    payload cannot be judged by value alone. The row's own beneficiary's original id can: labelled, in a
    JSON payload or a kept VARCHAR of its own row, it is found; the remapped id is not."""
    from amrit_assets.checks.leaks import scan_database

    key, db = b"k" * 32, "own_ids"
    extra = [("Payload", "text", "scrub_text", ""), ("Ref", "varchar(40)", "keep", ""), ("RefNo", "int(11)", "keep", "")]
    conn, rs, old = _dense_ids(server, db, key, extra, "Payload TEXT, Ref VARCHAR(40), RefNo INT", "'remark', NULL, 0")
    with conn.cursor() as cur:  # anonymized: ids remapped; then three rows keep their own original id somewhere
        cur.execute(f"UPDATE {db}.t t JOIN amrit_anon.id_map m ON m.old_id = t.BenRegID SET t.BenRegID = m.new_id,"
                    " t.Payload = CONCAT('{\"beneficiaryRegID\": ', m.new_id, '}')")
        cur.execute(f"UPDATE {db}.t SET Payload = CONCAT('{{\"beneficiaryRegID\": ', %s, ', \"note\": \"ok\"}}') WHERE id = 0", (old[0],))
        cur.execute(f"UPDATE {db}.t SET Ref = %s WHERE id = 1", (f"ben reg id: {old[1]}",))
        cur.execute(f"UPDATE {db}.t SET RefNo = %s WHERE id = 2", (old[2],))  # an unlabelled number: a PIN code looks the same
        cur.execute(f"UPDATE {db}.t SET Ref = %s WHERE id = 3", (f"regID {old[5]}",))  # another beneficiary's original: judged by value only
    conn.close()
    report = scan_database(server, db, rs, key)
    assert report.findings == {("t.Payload", "benregid"): 1, ("t.Ref", "benregid"): 1}


def test_a_payloads_real_name_of_its_own_beneficiary_is_found_even_with_pool_words(server):
    """``firstName``/``lastName`` of a call's change log equal to its beneficiary's real names (held in
    another table, linked by BenRegID) are a leak even when both are fake-name pool words; a pair of
    other pool words there is a replacement."""
    from amrit_assets.catalog.model import Column, Resolution, Rule
    from amrit_assets.checks.fingerprints import fingerprint_originals
    from amrit_assets.checks.leaks import scan_database
    from amrit_assets.common.keys import set_session_keys
    from amrit_assets.resources.mysql import connect

    key, db = b"k" * 32, "own_names"
    rule = Rule(0, "*", "*", "*", None, "keep", (), "test")

    def res(table, cols):
        return [Resolution(Column(db, table, c, t, key=k), s, p, rule) for c, t, s, p, k in cols]

    rs = res("people", [("id", "bigint(20)", "keep", {}, "PRI"), ("BenRegID", "bigint(20)", "benregid", {}, ""),
                        ("FirstName", "varchar(50)", "name", {"part": "first"}, ""), ("LastName", "varchar(50)", "name", {"part": "last"}, "")])
    rs += res("calls", [("id", "bigint(20)", "keep", {}, "PRI"), ("BenRegID", "bigint(20)", "benregid", {}, ""),
                        ("ChangeLog", "text", "scrub_json", {}, "")])
    conn = connect(server)
    with conn.cursor() as cur:
        _fresh_workspace(cur, db)
        for stmt in ("INSERT INTO amrit_anon.pool_first_name VALUES (0, 'Asha', ''), (1, 'Ravi', '')",
                     "INSERT INTO amrit_anon.pool_last_name VALUES (0, 'Rao', ''), (1, 'Nair', '')",
                     "INSERT INTO amrit_anon.id_map (kind, old_id, new_id) VALUES ('benregid', 5000001, 7000001), ('benregid', 5000002, 7000002)",
                     f"CREATE TABLE {db}.people (id BIGINT PRIMARY KEY, BenRegID BIGINT, FirstName VARCHAR(50), LastName VARCHAR(50))",
                     f"INSERT INTO {db}.people VALUES (1, 5000001, 'Asha', 'Rao'), (2, 5000002, 'Ravi', 'Nair')",
                     f"CREATE TABLE {db}.calls (id BIGINT PRIMARY KEY, BenRegID BIGINT, ChangeLog TEXT)",
                     f"INSERT INTO {db}.calls VALUES (1, 5000001, '{{\"firstName\":\"Asha\",\"lastName\":\"Rao\"}}'),"
                     f" (2, 5000002, '{{\"firstName\":\"Ravi\",\"lastName\":\"Nair\"}}')"):
            cur.execute(stmt)
        set_session_keys(cur, key)
    fingerprint_originals(conn, [db], rs)
    with conn.cursor() as cur:  # anonymized: ids and names replaced; call 1's log keeps its real names (in other spacing and case)
        cur.execute(f"UPDATE {db}.people SET BenRegID = BenRegID + 2000000, FirstName = IF(id = 1, 'Ravi', 'Asha'), LastName = IF(id = 1, 'Nair', 'Rao')")
        cur.execute(f"UPDATE {db}.calls SET BenRegID = BenRegID + 2000000")
        cur.execute(f"UPDATE {db}.calls SET ChangeLog = '{{\"firstName\":\" ASHA \",\"lastName\":\"rao\",\"k\":[1]}}' WHERE id = 1")
        cur.execute(f"UPDATE {db}.calls SET ChangeLog = '{{\"firstName\":\"Asha\",\"lastName\":\"Rao\"}}' WHERE id = 2")  # call 2: another pool pair
    conn.close()
    report = scan_database(server, db, rs, key)
    assert report.findings == {("calls.ChangeLog", "full_name"): 1}
    parallel = scan_database(server, db, rs, key, workers=2, pool_min_bytes=0)  # tables on two processes: the same report
    assert (parallel.findings, parallel.scanned_values, parallel.scanned_columns) == (report.findings, report.scanned_values, report.scanned_columns)


def test_a_value_repeated_across_rows_is_judged_per_row(server, monkeypatch):
    """The scan remembers the candidates of a value it has read (most cells repeat one), but what depends
    on the row is judged per row: ten rows hold the same payload naming one beneficiary's original id,
    and only that beneficiary's own row is a finding, however small the memory is."""
    from amrit_assets.checks import leaks

    key, db = b"k" * 32, "repeats"
    conn, rs, old = _dense_ids(server, db, key, [("Payload", "text", "scrub_text", "")], "Payload TEXT", "'x'")
    with conn.cursor() as cur:
        cur.execute(f"UPDATE {db}.t t JOIN amrit_anon.id_map m ON m.old_id = t.BenRegID SET t.BenRegID = m.new_id,"
                    " t.Payload = %s", (f'{{"beneficiaryRegID": {old[4]}}}',))
    conn.close()
    expected = {("t.Payload", "benregid"): 1}
    assert leaks.scan_database(server, db, rs, key).findings == expected
    monkeypatch.setattr(leaks._Forms, "MAX_ENTRIES", 1)
    assert leaks.scan_database(server, db, rs, key, batch=3).findings == expected
