"""The free-text scrubber and the JSON rewriter: every writing of an identifier, other people's names,
domain words kept, valid JSON out; and the Python pseudonyms equal the SQL strategies' on a real server."""

from __future__ import annotations

import json

import pytest

from amrit_assets.anonymize.freetext import (
    KEEP_WORDS,
    Dictionary,
    JsonScrubber,
    Lookups,
    digit_runs,
    email_pseudonym,
    parse_keys,
    pseudonym,
    scrub_free_text,
    scrub_identifiers,
    tokens_of,
    username_pseudonym,
)
from amrit_assets.common.keys import derive, set_session_keys
from amrit_assets.anonymize.maps import build_maps
from amrit_assets.anonymize.pools import build_pools
from amrit_assets.anonymize.strategies import STRATEGIES, Target, pool_pick
from amrit_assets_tests.conftest import TEST_KEY

KEY = TEST_KEY.encode()
# Names of *other* people than any row in the texts below: the dictionary knows everybody.
D = Dictionary(frozenset(tokens_of("Ramesh Kumar|Sunita Devi|Asha Yadav|Sita Sharma|Priya Rampur Singh|Om Prakash")),
               KEEP_WORDS | {"rampur"})
LK = Lookups(ids={100234: ("benregid", 555666), 123456789012: ("beneficiary_id", 987654321098)},
             values={("phone", "9876543210"): "6123456789", ("aadhaar", "234567890124"): "398765432106"})


@pytest.mark.parametrize("text", [
    "call 9876543210", "call 98765 43210", "call 98765-43210", "call 98765.43210", "call 987.654.3210",
    "call (987) 654 3210", "call 987/654/3210", "call +91 9876543210", "call +91-98765-43210", "call 91 98765 43210",
    "call 09876543210", "call 0 98765 43210", "call +91(98765)43210",
])
def test_every_writing_of_a_mobile_becomes_phone(text):
    assert scrub_identifiers(text) == "call [phone]"


@pytest.mark.parametrize("text", ["234567890124", "2345 6789 0124", "2345-6789-0124", "2345.6789.0124", "2345/6789/0124"])
def test_aadhaar_is_matched_whole_before_mobiles_leaving_no_fragment(text):
    assert scrub_identifiers(f"Aadhaar {text} seen") == "Aadhaar [aadhaar] seen"
    # 12 digits in a row are an Aadhaar first, even when they could be 91 + a mobile: removed whole
    assert scrub_identifiers("call 919876543210") == "call [aadhaar]"


@pytest.mark.parametrize("text", [
    "ramesh.k@gmail.com", "RAMESH@GMAIL.COM", "ramesh at gmail dot com", "ramesh [at] gmail [dot] com",
    "ramesh (at) gmail (dot) co (dot) in", "ramesh AT gmail DOT com", "ramesh at gmail.com", "ramesh{at}nic{dot}in",
])
def test_every_writing_of_an_email_becomes_email(text):
    assert scrub_identifiers(f"mail {text} today") == "mail [email] today"


def test_original_ids_known_from_the_map_and_long_numbers_are_removed_short_numbers_kept():
    out = scrub_identifiers("reg 100234, id 1234 5678 9012, ABHA 91-1234-5678-9012, ref 123456789, BP 120/80, 2024-01-05", LK.ids)
    assert out == "reg [id], id [id], ABHA [abha], ref [number], BP 120/80, 2024-01-05"


def test_names_of_any_known_person_in_any_case_go_a_remark_still_reads():
    text = "Patient RAMESH kumar c/o fever since 3 days, informed ASHA; sunita devi (neighbour) from Rampur called"
    assert scrub_free_text(text, D) == "Patient [name] c/o fever since 3 days, informed ASHA; [name] (neighbour) from Rampur called"


def test_a_kept_word_that_is_also_a_name_goes_only_inside_a_name():
    assert scrub_free_text("Asha Yadav visited", D) == "[name] visited"
    assert scrub_free_text("asha worker visited, ASHA Sita Sharma informed", D) == "asha worker visited, ASHA [name] informed"
    assert scrub_free_text("Priya Rampur Singh", D) == "[name]"  # a place word inside a name is part of it
    assert scrub_free_text("R. K. Sharma", D) == "R. K. [name]"


def test_short_tokens_are_never_names_but_the_rest_of_the_name_goes():
    assert scrub_free_text("Om Prakash came", D) == "Om [name] came"


def test_everything_at_once_leaves_no_digit_run_and_no_name():
    text = "Sita Sharma (98765 43210, 2345.6789.0124, sita at gmail dot com) regid 100234"
    assert scrub_free_text(text, D, LK) == "[name] ([phone], [aadhaar], [email]) regid [id]"


INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u00ad")


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize("text", [
    *(c.join("9876543210") for c in INVISIBLE), *(f"98765{c}43210" for c in INVISIBLE), _full_width("9876543210"),
    "9876543210".translate({ord(str(i)): 0x0966 + i for i in range(10)}),
    "".join(f"&#{ord(c)};" for c in "9876543210"), "".join(f"&#x{ord(c):x};" for c in "9876543210"), "98765&nbsp;43210",
    "".join(f"%{ord(c):02X}" for c in "9876543210"), "nine eight seven six five four three two one zero",
    "nau aath saat chhe paanch chaar teen do ek shunya", "double nine eight seven six five four three two one", "98765 - 43210",
    "98765\u201343210", "98765\u221243210", "".join(chr(0x245F + int(c)) if c != "0" else "\u24ea" for c in "9876543210"),
])
def test_a_mobile_hidden_from_the_tokenizer_becomes_phone(text):
    assert scrub_free_text(f"call {text} today", D) == "call [phone] today"


def test_a_mobile_glued_to_its_label_becomes_phone_and_an_aadhaar_with_invisible_characters_goes():
    assert scrub_free_text("Mob9876543210", D) == "Mob [phone]"
    assert scrub_free_text("uid " + "\u200b".join("234567890124"), D) == "uid [aadhaar]"
    assert "100234" in digit_runs("reg 100\u200b234")  # the batch looks the hidden id up in the map
    assert scrub_free_text("reg 100\u200b234", D, LK) == "reg [id]"


@pytest.mark.parametrize("text", [
    "rk1985\uff20gmail.com", _full_width("rk1985@gmail.com"), "rk1985&#64;gmail.com", "rk1985%40gmail.com",
    "rk1985 at the rate gmail.com", "rk1985 at the rate gmail dot com", "rk1985 attherate gmail.com", "rk1985 @ gmail.com",
    "rk\u200b1985@gmail.com", "rk1985@gmail", "rk1985 at gmail", "rk1985@gmaildotcom",
])
def test_an_email_hidden_from_the_tokenizer_becomes_email(text):
    assert scrub_free_text(f"mail {text} today", D) == "mail [email] today"


@pytest.mark.parametrize("text", [
    "RameshKumar", "Ram\u200besh Kum\u200bar", "Ram\u00adesh Kumar", "R&#97;mesh Kumar", _full_width("Ramesh") + " " + _full_width("Kumar"),
    "R\u0430mesh Kum\u0430r", "R\u03b1mesh Kumar", "Rame\u0301sh Kumar", "Ram\u00e9sh K\u00fbmar",
])
def test_a_name_hidden_from_the_tokenizer_goes(text):
    assert scrub_free_text(f"met {text} today", D) in ("met [name] today", "met [name] [name] today")  # found in one pass or two


def test_two_names_glued_in_one_word_go_a_kept_word_glued_to_a_name_stays():
    assert scrub_free_text("met rameshkumar and SitaSharma, sunitadevi called", D) == "met [name] and [name], [name] called"
    assert scrub_free_text("informed ashayadav", D) == "informed ashayadav"  # asha is a kept word: not read as a name here
    places = Dictionary(D.names | {"lakshmi", "nagar"}, D.keep)
    assert scrub_free_text("from Lakshminagar, mail sitasharma (at) rediffmail (dot) c", places) == "from Lakshminagar, mail [email] (dot) c"


def test_the_reading_that_leaves_least_is_taken_an_email_whose_local_part_is_a_name_goes_whole():
    assert scrub_free_text("mail sita at gmail dot com", D) == "mail [email]"
    assert scrub_free_text("mail rk1985\u200b.k@gmail.com", D) == "mail [email]"  # not "rk1985[email]"
    assert scrub_free_text("informed sita\u200bpatient", D) == "informed [name]\u200bpatient"  # the break kept: the name goes


def test_an_invisible_character_between_two_names_still_breaks_them_and_clean_text_keeps_its_characters():
    assert scrub_free_text("met ramesh\u200bkumar", D) == "met [name]\u200b[name]"
    hindi = "\u0930\u093e\u092e\u200d \u0915\u094b \u092c\u0941\u0916\u093e\u0930 &amp; WhatsApp"  # a joiner, an entity, CamelCase
    assert scrub_free_text(hindi, D) == hindi  # nothing found: not rewritten as shown
    assert scrub_free_text("a &lt;b&gt; %3Cscript%3E, call &#57;876543210", D) == "a &lt;b&gt; %3Cscript%3E, call [phone]"


def test_a_mobile_split_across_phone_named_fields_goes_numbers_elsewhere_stay():
    s = JsonScrubber(KEY, D)
    assert json.loads(s.scrub(json.dumps({"mob1": "98765", "mob2": "43210", "n": 3}), LK)) == {"mob1": "[phone]", "mob2": "[phone]", "n": 3}
    assert json.loads(s.scrub(json.dumps([{"mobile1": 98765, "mobile2": 43210}]), LK)) == [{"mobile1": None, "mobile2": None}]
    for doc in ({"pin": "845401", "year": "2023"}, {"mob1": "98765", "note": "x", "mob2": "43210"}, {"mobile": "98", "mobile2": "76"}):
        assert json.loads(s.scrub(json.dumps(doc), LK)) == doc


def test_a_hidden_mobile_under_a_phone_key_of_a_payload_goes():
    out = json.loads(JsonScrubber(KEY, D).scrub(json.dumps({"phoneNo": "98765\u200b43210", "note": "RameshKumar"}), LK))
    assert out == {"phoneNo": "[phone]", "note": "[name]"}


PAYLOAD = {"beneficiaryRegID": 100234, "firstName": "Ramesh", "lastName": "Kumar", "phoneNo": "9876543210",
           "aadhaarNo": "234567890124", "dob": "1980-01-01", "createdBy": "asha01",
           "remarks": "Sunita Devi called from 98765.43210", "nested": {"BeneficiaryID": "123456789012", "items": [{"mobile": 9876543210}]},
           "count": 3, "ok": True, "none": None}


def test_json_keeps_its_keys_and_remaps_ids_through_the_map():
    out = json.loads(JsonScrubber(KEY, D).scrub(json.dumps(PAYLOAD), LK))
    assert list(out) == list(PAYLOAD) and list(out["nested"]) == list(PAYLOAD["nested"])
    assert out["beneficiaryRegID"] == 555666 and out["nested"]["BeneficiaryID"] == "987654321098"
    assert out["phoneNo"] == "6123456789" and out["aadhaarNo"] == "398765432106"
    assert out["nested"]["items"][0]["mobile"] == 6123456789
    assert out["firstName"] == pseudonym(KEY, "first", "Ramesh") and out["lastName"] == pseudonym(KEY, "last", "Kumar")
    assert out["firstName"] != "Ramesh" and out["createdBy"] == username_pseudonym(KEY, "asha01")
    assert out["remarks"] == "[name] called from [phone]" and out["dob"] is None
    assert (out["count"], out["ok"], out["none"]) == (3, True, None)


def test_json_unknown_ids_phones_not_in_the_map_and_the_writing_style():
    s = JsonScrubber(KEY, D)
    out = s.scrub('{"benRegID": "999999", "phone": "98765 00000", "x": 9876500000}', LK)
    assert out == '{"benRegID": null, "phone": "[phone]", "x": null}'  # spaced style kept
    assert s.scrub('{"a":"b"}', LK) == '{"a":"b"}' and s.invalid == 0


def test_invalid_json_is_scrubbed_as_free_text_and_counted():
    s = JsonScrubber(KEY, D)
    assert s.scrub('{"firstName":"Ramesh", "phone": 9876543210', LK) == '{"firstName":"[name]", "phone": [phone]'
    assert s.invalid == 1


def test_catalog_keys_parameter():
    assert parse_keys("caseNote:text|guardian_name:name:full") == {"casenote": "text", "guardianname": "name:full"}
    with pytest.raises(ValueError, match="not one of"):
        parse_keys("x:shred")


def test_python_pseudonyms_equal_the_sql_strategies(conn):
    """A payload's firstName/e-mail/login become exactly what the row's own columns become."""
    build_pools(conn)
    build_maps(conn, KEY, {}, {})
    with conn.cursor() as cur:
        set_session_keys(cur, KEY)
        for value in ("Ramesh", " sunita ", "ASHA01"):
            cur.execute("SELECT %s INTO @v", (value,))
            t = Target("v", "varchar(100)")
            name = pool_pick("first_name", "name", t).replace("`v`", "@v")
            email = STRATEGIES["email"].compile(t, {}).replace("`v`", "@v")
            user = STRATEGIES["username"].compile(t, {}).replace("`v`", "@v")
            cur.execute(f"SELECT {name}, {email}, {user}")
            assert cur.fetchone() == (pseudonym(KEY, "first", value), email_pseudonym(KEY, value), username_pseudonym(KEY, value))
    assert derive(KEY, "name") != derive(KEY, "user")


def test_a_pseudonym_never_equals_the_rows_own_original_names():
    plain = pseudonym(KEY, "first", "Ramesh")
    other = pseudonym(KEY, "first", "Ramesh", frozenset(tokens_of(plain)))
    assert other != plain and tokens_of(other).isdisjoint(tokens_of(plain))


def test_the_catalog_refuses_a_json_key_mapped_to_an_unknown_strategy():
    from amrit_assets.anonymize.strategies import StrategyError, validate_params

    validate_params("scrub_json", {"keys": "caseNote:text|guardian:name:full"})
    with pytest.raises(StrategyError, match="not one of"):
        validate_params("scrub_json", {"keys": "caseNote:shred"})
