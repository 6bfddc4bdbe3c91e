"""The Verhoeff check digit, as used by Aadhaar (UIDAI) numbers.

Aadhaar's last digit is a Verhoeff check digit over the first eleven, so a realistic fake Aadhaar
(demo data) or a replacement Aadhaar (anonymizer) must carry a valid one, or AMRIT's own validation
and any downstream check would reject it. Verhoeff catches every single-digit error and every
adjacent transposition, which plain mod-10 schemes do not.
"""

from __future__ import annotations

# Multiplication table of the dihedral group D5.
_D: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
# Position-dependent permutations: row i applies to the digit i places from the right.
_P: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV: tuple[int, ...] = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _checksum(digits: str, offset: int) -> int:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + offset) % 8][ord(ch) - 48]]
    return c


def verhoeff_check_digit(s: str) -> int:
    """The digit to append to ``s`` (a non-empty string of digits) to make it Verhoeff-valid."""
    if not s or not s.isascii() or not s.isdigit():
        raise ValueError(f"Verhoeff needs a non-empty string of digits, got {s!r}")
    return _INV[_checksum(s, 1)]


def is_verhoeff_valid(s: str) -> bool:
    """Whether ``s`` (digits, check digit last) passes the Verhoeff check; False for non-digits."""
    if not s or not s.isascii() or not s.isdigit():
        return False
    return _checksum(s, 0) == 0


def with_verhoeff(s: str) -> str:
    """``s`` with its Verhoeff check digit appended (eleven digits in, an Aadhaar-shaped twelve out)."""
    return s + str(verhoeff_check_digit(s))
