"""Verhoeff check digits (Aadhaar numbers): known vectors, bad input, the errors it must catch."""

from __future__ import annotations

import random

import pytest

from amrit_assets.common.verhoeff import is_verhoeff_valid, verhoeff_check_digit, with_verhoeff


def test_verhoeff_known_vectors():
    assert verhoeff_check_digit("236") == 3
    assert is_verhoeff_valid("2363")
    assert not is_verhoeff_valid("2364")
    assert verhoeff_check_digit("12345") == 1
    assert is_verhoeff_valid("123451")
    assert verhoeff_check_digit("142857") == 0
    assert with_verhoeff("236") == "2363"


def test_verhoeff_rejects_non_digits():
    with pytest.raises(ValueError):
        verhoeff_check_digit("")
    with pytest.raises(ValueError):
        verhoeff_check_digit("12a4")
    assert not is_verhoeff_valid("")
    assert not is_verhoeff_valid("2363 ")
    assert not is_verhoeff_valid("abc")


def test_verhoeff_catches_single_digit_errors_and_adjacent_transpositions():
    rng = random.Random(1)
    for _ in range(300):
        number = with_verhoeff(str(rng.randint(2 * 10**10, 10**11 - 1)))
        assert is_verhoeff_valid(number)
        i = rng.randrange(len(number))
        wrong = number[:i] + str((int(number[i]) + rng.randint(1, 9)) % 10) + number[i + 1 :]
        assert not is_verhoeff_valid(wrong)
        j = rng.randrange(len(number) - 1)
        if number[j] != number[j + 1]:
            swapped = number[:j] + number[j + 1] + number[j] + number[j + 2 :]
            assert not is_verhoeff_valid(swapped)
