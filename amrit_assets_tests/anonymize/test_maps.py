import re

from amrit_assets.anonymize.maps import permute_id, replacements
from amrit_assets.common.verhoeff import is_verhoeff_valid

KEY = b"k" * 32


def test_permutation_is_a_bijection_on_each_digit_length():
    for low, high in ((0, 10), (10, 100), (100, 1000), (1000, 10000)):
        image = [permute_id(x, KEY, "benregid") for x in range(low, high)]
        assert sorted(image) == list(range(low, high))


def test_permutation_is_keyed_and_stable():
    xs = list(range(10**11, 10**11 + 500))
    a = [permute_id(x, KEY, "beneficiary_id") for x in xs]
    assert a == [permute_id(x, KEY, "beneficiary_id") for x in xs]
    b = [permute_id(x, b"other-key" * 4, "beneficiary_id") for x in xs]
    assert sum(x != y for x, y in zip(a, b)) > 490
    assert all(10**11 <= y < 10**12 for y in a)
    assert len(set(a)) == len(a)


def test_phone_replacements_are_unique_and_never_any_original():
    originals = [f"9{n:09d}" for n in range(3000)] + ["+91 9876543210", "09876543211"]
    out = replacements("phone", originals, KEY)
    assert set(out) == set(originals)
    assert len(set(out.values())) == len(out)
    assert not set(out.values()) & set(originals)
    for orig, repl in out.items():
        assert re.fullmatch(r"[6-9][0-9]{9}", re.sub(r"\D", "", repl)[-10:])
    assert out["+91 9876543210"].startswith("+91 ")


def test_aadhaar_replacements_are_verhoeff_valid_and_keep_layout():
    out = replacements("aadhaar", ["234567890124", "2345 6789 0124"], KEY)
    plain, spaced = out["234567890124"], out["2345 6789 0124"]
    assert re.fullmatch(r"[2-9][0-9]{11}", plain) and is_verhoeff_valid(plain)
    assert re.fullmatch(r"[0-9]{4} [0-9]{4} [0-9]{4}", spaced) and is_verhoeff_valid(spaced.replace(" ", ""))


def test_replacements_are_deterministic_and_keyed():
    vals = ["91-1234-5678-9012", "12345678901234"]
    assert replacements("abha_number", vals, KEY) == replacements("abha_number", vals, KEY)
    assert replacements("abha_number", vals, KEY) != replacements("abha_number", vals, b"x" * 32)
    out = replacements("abha_number", vals, KEY)
    assert re.fullmatch(r"[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4}", out["91-1234-5678-9012"])


def test_pan_and_ifsc_shapes():
    assert re.fullmatch(r"[A-Z]{3}P[A-Z][0-9]{4}[A-Z]", replacements("pan", ["ABCPD1234E"], KEY)["ABCPD1234E"])
    assert re.fullmatch(r"SBIN0[0-9]{6}", replacements("ifsc", ["SBIN0001234"], KEY)["SBIN0001234"])


def test_a_fake_aadhaar_never_ends_in_an_original_mobile_number():
    """The leak check reads a 12-digit value's last ten digits as a phone: so must the map."""
    from amrit_assets.anonymize.maps import comparable_forms, replacements

    key = b"k" * 32
    aadhaars = [f"2{i:010d}" + "0" for i in range(50)]
    first = replacements("aadhaar", aadhaars, key)
    phones = [r[-10:] for r in first.values()]  # real mobiles that happen to be those fakes' tails
    again = replacements("aadhaar", aadhaars, key, {f for p in phones for f in comparable_forms(p)})
    assert all(r[-10:] not in phones for r in again.values())
    assert len(set(again.values())) == len(aadhaars) and not set(again.values()) & set(aadhaars)
    country_code = replacements("phone", ["9876543210", "+91 98765 43211"], key)
    assert not {r[-10:] for r in country_code.values()} & {"9876543210", "9876543211"}
