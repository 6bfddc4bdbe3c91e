"""The leak check's candidate forms: what a cell can hold, by kind, length and token boundary."""

from decimal import Decimal

from amrit_assets.checks.candidates import (
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


def test_a_run_inside_a_longer_number_is_an_identifier_only_when_written_as_one():
    # an ABHA number's first groups are no mobile; a call id's integer part is no account (100k false alarms)
    assert digit_candidates("91-8387-1073-3358") == {"abha:91838710733358"}
    assert "account:1734936773" not in digit_candidates("1734936773.42933")
    # a mobile written as one, with something after it or another mobile beside it, is still read
    assert "phone:9876543210" in digit_candidates("call 98765 43210 2 times")
    assert {"phone:9876543210", "phone:9123456789"} <= digit_candidates("98765-43210 91234-56789")
    assert "phone:9876543210" in digit_candidates("0 98765 43210 x")
