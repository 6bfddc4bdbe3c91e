"""The leak check's candidate forms: what a cell can hold, by kind, length and token boundary."""

from decimal import Decimal

from amrit_assets.checks.leaks import (
    benregid_candidates,
    digit_candidates,
    email_candidates,
    integral_digits,
    is_id_column,
    json_strings,
    name_pair_candidates,
    number_forms,
    payload_pair_candidates,
    street_candidates,
    words,
)
from amrit_assets.common.verhoeff import with_verhoeff

AADHAAR = with_verhoeff("23456789012")


def test_a_mobile_in_every_writing_is_one_phone_form():
    for text in ("9876543210", "98765 43210", "98765-43210", "9876.543.210", "+91 98765 43210", "91-9876543210",
                 "09876543210", "(98765) 43210", "98/765/43210", "call+919876543210."):
        assert "phone:9876543210" in digit_candidates(text), text


def test_aadhaar_with_spaces_dots_or_in_json_is_an_aadhaar_not_an_account():
    spaced = " ".join((AADHAAR[:4], AADHAAR[4:8], AADHAAR[8:]))
    for text in (spaced, AADHAAR[:4] + "." + AADHAAR[4:8] + "." + AADHAAR[8:], f'{{"aadhaarNo": "{spaced}"}}'):
        forms = digit_candidates(text)
        assert f"aadhaar:{AADHAAR}" in forms and f"account:{AADHAAR}" not in forms, text


def test_dates_times_and_digits_glued_to_letters_are_no_candidates():
    assert digit_candidates("visit 2024-01-05 10:30:00, next 12/05/2025 at 09:15") == set()
    assert digit_candidates("session a9876543210f") == set()
    assert digit_candidates("BP 120/80 pulse 72") == set()


def test_number_forms_route_by_shape():
    assert number_forms("9876543210") == ["phone:9876543210"]
    assert number_forms("5876543210") == ["account:5876543210"]  # no mobile starts with 5
    assert number_forms("919876543210")[0] == "phone:9876543210"
    assert number_forms(AADHAAR) == [f"aadhaar:{AADHAAR}"]  # a fake Aadhaar is never compared as an account
    bad = AADHAAR[:-1] + str((int(AADHAAR[-1]) + 1) % 10)
    assert set(number_forms(bad)) == {f"beneficiary_id:{bad}", f"account:{bad}"}
    assert number_forms("12345678901234") == ["abha:12345678901234"]
    assert number_forms("12345678") == []


def test_numbers_of_every_type():
    assert integral_digits(9876543210.0) == "9876543210"
    assert integral_digits(Decimal("919876543210.00")) == "919876543210"
    assert integral_digits(98765.4321) is None and integral_digits(1234567) is None and integral_digits(Decimal("9876543210.5")) is None


def test_spelled_out_emails():
    assert email_candidates("mail ravi.k at gmail dot com today") == {"email:ravi.k@gmail.com"}
    assert email_candidates("ravi(at)yahoo(dot)co(dot)in") == {"email:ravi@yahoo.co.in"}
    assert email_candidates("x@y.in.") == {"email:x@y.in"}


def test_benregid_only_labelled_in_the_text_or_by_the_column_name():
    assert benregid_candidates('{"beneficiaryRegID":100123}'.lower()) == {"100123"}
    assert benregid_candidates("ben reg id: 1001234") == {"1001234"}
    assert benregid_candidates(" 110023 ") == set(), "a bare 6-digit number is as often a PIN code"
    assert benregid_candidates("paid 100123 rupees") == set()
    assert benregid_candidates("100123,100456", id_column=True) == {"100123", "100456"}
    assert benregid_candidates("2024-01-05", id_column=True) == set()
    assert is_id_column("RelatedBeneficiaryIds") and is_id_column("ParentBenRegID") and is_id_column("beneficiary_id")
    assert not any(is_id_column(c) for c in ("PermPinCode", "CallID", "RegistrationValidity", "VanID", "HealthID"))


def test_name_pairs_any_order_with_a_middle_name():
    pairs = name_pair_candidates(words("patient ravi kumar sharma c/o"))
    assert {"full:ravi sharma", "full:ravi kumar", "full:kumar sharma"} <= pairs
    assert "full:sharma ravi" in name_pair_candidates(words("sharma, ravi"))
    assert name_pair_candidates(words('{"firstname":"ravi","lastname":"sharma"}')) >= {"full:ravi sharma"}


def test_street_lines_start_at_a_house_number():
    assert "street:12 mg road" in street_candidates("lives at 12, MG Road near the temple".lower())
    assert street_candidates("took 2 tablets") == set()


def test_payload_pairs_inside_a_value_always_across_values_only_off_the_pools():
    pools = {"ravi", "kumar", "sita", "devi"}
    values = json_strings('{"firstName": "Ravi", "lastName": "Kumar", "note": "met Sita Devi", "x": [{"y": "Zorawar"}]}')
    assert values == ["Ravi", "Kumar", "met Sita Devi", "Zorawar"]
    pairs = payload_pair_candidates(values, pools)
    assert "full:sita devi" in pairs, "typed text inside one value: every pair"
    assert "full:ravi kumar" not in pairs, "two pool words in two fields: what a replacement writes"
    assert "full:devi zorawar" in pairs, "a word outside the pools: no replacement wrote that"
    assert json_strings("not json {") is None and json_strings('{"broken": ') is None


def _fresh_workspace(cur, db: str) -> None:
    """An empty ``db`` and the workspace's control tables the scan reads (id map, fake-name pools), as the project creates them."""
    from amrit_assets.control import ddl, pool_table_ddl

    for stmt in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}", "DROP DATABASE IF EXISTS amrit_anon", *ddl("id_map"),
                 *(x for p in ("first_name", "last_name", "full_name", "street") for x in pool_table_ddl(p))):
        cur.execute(stmt)


def test_own_original_benregid_is_found_even_when_every_original_is_also_a_remapped_id(server):
    """At production scale BenRegIDs are dense: the bijection's outputs are originals too, so an id in a
    payload cannot be judged by value alone. The row's own beneficiary's original id can: labelled, in a
    JSON payload or a kept VARCHAR of its own row, it is found; the remapped id is not."""
    from amrit_assets.catalog.model import Column, Resolution, Rule
    from amrit_assets.checks.leaks import fingerprint_originals, scan_database
    from amrit_assets.common.keys import set_session_keys
    from amrit_assets.resources.mysql import connect

    key, db = b"k" * 32, "own_ids"
    cols = [("id", "bigint(20)", "keep", "PRI"), ("BenRegID", "bigint(20)", "benregid", "MUL"),
            ("Payload", "text", "scrub_text", ""), ("Ref", "varchar(40)", "keep", ""), ("RefNo", "int(11)", "keep", "")]
    rule = Rule(0, "*", "*", "*", None, "keep", (), "test")
    rs = [Resolution(Column(db, "t", c, t, key=k), s, {}, rule) for c, t, s, k in cols]
    old = list(range(1_000_001, 1_000_011))
    new = old[1:] + old[:1]  # every original is also some beneficiary's remapped id: dense ids
    conn, lookup = connect(server), connect(server)
    with conn.cursor() as cur:
        _fresh_workspace(cur, db)
        cur.execute(f"CREATE TABLE {db}.t (id BIGINT PRIMARY KEY, BenRegID BIGINT, Payload TEXT, Ref VARCHAR(40), RefNo INT)")
        cur.executemany("INSERT INTO amrit_anon.id_map (kind, old_id, new_id) VALUES ('benregid', %s, %s)", list(zip(old, new)))
        cur.executemany(f"INSERT INTO {db}.t VALUES (%s, %s, 'remark', NULL, 0)", [(i, o) for i, o in enumerate(old)])
        set_session_keys(cur, key)
    fingerprint_originals(conn, [db], rs)
    with conn.cursor() as cur:  # anonymized: ids remapped; then three rows keep their own original id somewhere
        cur.execute(f"UPDATE {db}.t t JOIN amrit_anon.id_map m ON m.old_id = t.BenRegID SET t.BenRegID = m.new_id,"
                    " t.Payload = CONCAT('{\"beneficiaryRegID\": ', m.new_id, '}')")
        cur.execute(f"UPDATE {db}.t SET Payload = CONCAT('{{\"beneficiaryRegID\": ', %s, ', \"note\": \"ok\"}}') WHERE id = 0", (old[0],))
        cur.execute(f"UPDATE {db}.t SET Ref = %s WHERE id = 1", (f"ben reg id: {old[1]}",))
        cur.execute(f"UPDATE {db}.t SET RefNo = %s WHERE id = 2", (old[2],))  # an unlabelled number: a PIN code looks the same
        cur.execute(f"UPDATE {db}.t SET Ref = %s WHERE id = 3", (f"regID {old[5]}",))  # another beneficiary's original: judged by value only
    report = scan_database(conn, lookup, db, rs, key)
    conn.close(), lookup.close()
    assert report.findings == {("t.Payload", "benregid"): 1, ("t.Ref", "benregid"): 1}


def test_a_payloads_real_name_of_its_own_beneficiary_is_found_even_with_pool_words(server):
    """``firstName``/``lastName`` of a call's change log equal to its beneficiary's real names (held in
    another table, linked by BenRegID) are a leak even when both are fake-name pool words; a pair of
    other pool words there is a replacement."""
    from amrit_assets.catalog.model import Column, Resolution, Rule
    from amrit_assets.checks.leaks import fingerprint_originals, scan_database
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
    conn, lookup = connect(server), connect(server)
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
    report = scan_database(conn, lookup, db, rs, key)
    conn.close(), lookup.close()
    assert report.findings == {("calls.ChangeLog", "full_name"): 1}
