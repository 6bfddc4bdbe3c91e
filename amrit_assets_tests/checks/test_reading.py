"""The leak check reads a cell as a person does: hidden writings of a phone, Aadhaar, e-mail or name undone."""

import json

import pytest

from amrit_assets.checks.candidates import digit_candidates, email_candidates, name_pair_candidates, words
from amrit_assets.checks.reading import reading
from amrit_assets.common.verhoeff import with_verhoeff

PHONE = "9876543210"
AADHAAR = with_verhoeff("23456789012")
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u00ad")


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize("text", [
    *(f"call {c.join(PHONE)}" for c in INVISIBLE),
    *(f"call 98765{c}43210" for c in INVISIBLE),
    f"call {_full_width(PHONE)}",
    "call " + PHONE.translate({ord(str(i)): 0x0966 + i for i in range(10)}),  # Devanagari digits
    "call &#57;876543210", "call " + "".join(f"&#{ord(c)};" for c in PHONE), "call " + "".join(f"&#x{ord(c):x};" for c in PHONE),
    "call 98765&nbsp;43210", "call %39876543210", "call " + "".join(f"%{ord(c):02X}" for c in PHONE),
    "call nine eight seven six five four three two one zero", "call nine eight seven six five, four three two one zero",
    "call nau aath saat chhe paanch chaar teen do ek shunya", "call nine eight seven six 5 4 3 two one zero",
    "Mob9876543210", "call 98765 - 43210", "call 98765\u201343210", "call 98765\u221243210",
    "call " + "".join(chr(0x245F + int(c)) if c != "0" else "\u24ea" for c in PHONE), "call 98765\u2074\u00b3\u00b2\u00b9\u2070",
])
def test_a_mobile_hidden_from_the_tokenizer_is_read_as_one(text):
    assert f"phone:{PHONE}" not in digit_candidates(text.lower())  # the written text alone is blind to it
    assert f"phone:{PHONE}" in digit_candidates(reading(text).lower())


def test_double_and_triple_in_a_spoken_number():
    assert "phone:9988876543" in digit_candidates(reading("double nine triple eight seven six five four three").lower())


@pytest.mark.parametrize("c", INVISIBLE)
def test_an_aadhaar_with_invisible_characters_is_read_as_one(c):
    assert f"aadhaar:{AADHAAR}" in digit_candidates(reading(f"uid {c.join(AADHAAR)}").lower())


@pytest.mark.parametrize("text", [
    "mail rk1985" + "\uff20" + "gmail.com", "mail rk1985&#64;gmail.com", "mail rk1985%40gmail.com",
    "mail rk1985 at the rate gmail.com", "mail rk1985 at the rate gmail dot com", "mail rk1985 attherate gmail.com",
    "mail rk1985 @ gmail.com", _full_width("rk1985@gmail.com"), "mail rk\u200b1985@gmail.com",
    "mail rk1985@gmail", "mail rk1985 at gmail today", "mail rk1985@gmaildotcom",
])
def test_an_email_hidden_from_the_tokenizer_is_read_as_one(text):
    assert "email:rk1985@gmail.com" not in email_candidates(text.lower())
    assert "email:rk1985@gmail.com" in email_candidates(reading(text).lower())


@pytest.mark.parametrize("text", [
    "met RameshKumar today", "met Ram\u200besh Kum\u200bar", "met Ram\u00adesh Kumar", "met R&#97;mesh Kumar",
    "met " + _full_width("Ramesh") + " " + _full_width("Kumar"), "met Ramesh\u200bKumar",
    "met R\u0430mesh Kum\u0430r", "met R\u03b1mesh Kum\u03b1r", "met Rame\u0301sh Kumar", "met Ram\u00e9sh K\u00fbmar",
])
def test_a_name_hidden_from_the_tokenizer_is_read_as_words(text):
    assert "full:ramesh kumar" in name_pair_candidates(words(reading(text).lower()))


def test_markup_stays_as_written_and_plain_text_is_returned_unchanged():
    assert reading("a &lt;b&gt; %3Cscript%3E &amp; 50% off") == "a &lt;b&gt; %3Cscript%3E &amp; 50% off"
    plain = "BP 120/80, one tablet twice a day, next visit 12/05/2025"
    assert reading(plain) is plain
    assert digit_candidates(reading("session a9876543210f").lower()) == set()  # a hex id is still no number


def test_a_payload_is_read_value_by_value_and_stays_json():
    doc = {"firstName": "Ram\u200besh", "note": "call 98765\u200b43210", "n": 3}
    read = json.loads(reading(json.dumps(doc, ensure_ascii=False)))
    assert read == {"firstName": "Ramesh", "note": "call 9876543210", "n": 3}
    same = json.dumps({"firstName": "Ramesh"})
    assert reading(same) is same  # nothing to undo: the payload is not rewritten


@pytest.mark.parametrize("doc", [
    {"mob1": "98765", "mob2": "43210"}, [{"mobile1": 98765, "mobile2": 43210, "n": 1}],
    {"p": {"contactNo": "987", "contactNo2": "6543", "contactNo3": "210"}},
])
def test_a_mobile_split_across_phone_named_fields_is_read_as_one(doc):
    text = json.dumps(doc)
    assert f"phone:{PHONE}" not in digit_candidates(text.lower())
    assert f"phone:{PHONE}" in digit_candidates(reading(text).lower())


def test_numbers_in_other_fields_or_apart_are_not_joined():
    for doc in ({"pin": "845401", "year": "2023"}, {"mob1": "98765", "note": "x", "mob2": "43210"}, {"mobile": "98", "mobile2": "76"}):
        assert reading(json.dumps(doc)) == json.dumps(doc)
