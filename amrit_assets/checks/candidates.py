"""What a value could hold, as candidate forms to look up in the fingerprints: pure functions of the
text, no server, no state (the false-alarm table in checks/leaks.py says why each is shaped so)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

from amrit_assets.common.verhoeff import is_verhoeff_valid

MIN_STREET_WORDS = 3  # house number + at least two words



_MONTH, _DAY = r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12][0-9]|3[01])"
_DATE = re.compile(  # ISO and Indian day-first dates (with a time), and times: never identifiers
    rf"(?<![0-9])(?:(?:19|20)[0-9]{{2}}-{_MONTH}-{_DAY}(?:[ T][0-9]{{1,2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]+)?)?)?"
    rf"|{_DAY}[/-]{_MONTH}[/-](?:19|20)[0-9]{{2}}|[0-9]{{1,2}}:[0-9]{{2}}(?::[0-9]{{2}})?)(?![0-9])")
_SPAN = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:(?:[ .\-/]{1,2}|[ ]?\)[ .\-]?|[ ]?\()[0-9]+)*(?![0-9A-Za-z])")
_GROUP = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*")
_SPELLED = re.compile(r"([a-z0-9._%+-]+)\s*(?:\(at\)|\[at\]|\bat\b)\s*([a-z0-9-]+(?:\s*(?:\(dot\)|\[dot\]|\bdot\b|\.)\s*[a-z0-9-]+)+)")
_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\]|\bdot\b|\.)\s*")
_PAN = re.compile(r"(?<![a-z0-9])[a-z]{5}[0-9]{4}[a-z](?![a-z0-9])")
_WORD = re.compile(r"[^\W\d_]+(?:['.][^\W\d_]+)*")


def number_forms(digits: str) -> list[str]:
    """The kinds a bare digit string can be, by length and shape (see the table above)."""
    n, out = len(digits), []
    phone = None
    if n == 10:
        phone = digits
    elif n == 11 and digits[0] == "0":
        phone = digits[1:]
    elif n == 12 and digits.startswith("91"):
        phone = digits[2:]
    elif n == 13 and digits.startswith("091"):
        phone = digits[3:]
    if phone and phone[0] in "6789":
        out.append("phone:" + phone)
        if n == 10:
            return out
    if n == 12 and is_verhoeff_valid(digits):
        return out + ["aadhaar:" + digits]
    if n == 14:
        return out + ["abha:" + digits]
    if n == 12:
        out.append("beneficiary_id:" + digits)
    if 9 <= n <= 18:
        out.append("account:" + digits)
    return out


def joined_runs(text: str, shortest: int, longest: int) -> Iterator[tuple[str, tuple[int, ...], bool]]:
    """Every run of consecutive digit groups (separated by spaces, dashes, dots, slashes or parentheses)
    joined into one digit string of ``shortest``..``longest`` digits, with its group lengths and whether
    it is the whole span; dates and times cut out first."""
    for span in _SPAN.finditer(_DATE.sub(" ", text)):
        groups = _GROUP.findall(span.group())
        for i in range(len(groups)):
            acc, lengths = "", ()
            for j, g in enumerate(groups[i:], start=i):
                acc += g
                lengths += (len(g),)
                if len(acc) > longest:
                    break
                if len(acc) >= shortest:
                    yield acc, lengths, i == 0 and j == len(groups) - 1


# How people write a mobile, an Aadhaar and an ABHA number (group lengths), after an optional 0/91/091
# prefix group. A run of groups inside a longer number is taken for one of them only when written so:
# "91-8387-1073-3358" is one ABHA number, and its first three groups are no mobile (at 100k beneficiaries
# four such sub-runs equalled a real mobile by chance, 5e-3 per candidate at production's density).
WRITINGS = {(10,), (5, 5), (3, 3, 4), (4, 3, 3), (3, 7), (4, 6), (6, 4), (12,), (4, 4, 4), (14,), (2, 4, 4, 4)}
_PREFIXES = {"0", "91", "091"}


def written_as_identifier(digits: str, lengths: tuple[int, ...]) -> bool:
    """Whether a run of groups is written the way a mobile, Aadhaar or ABHA number is (see WRITINGS)."""
    if lengths in WRITINGS:
        return True
    return len(lengths) > 1 and digits[: lengths[0]] in _PREFIXES and lengths[1:] in WRITINGS


def digit_candidates(text: str) -> set[str]:
    """Every digit string a reader could take for an identifier: groups separated by spaces, dashes,
    dots, slashes or parentheses, joined into 9-18 digits. A whole span is read as whatever its length
    makes it; a run of groups inside a longer span only as a mobile, Aadhaar or ABHA number written so
    ("call 98765 43210 2 times"), never as an account (a long number's middle is no account)."""
    out: set[str] = set()
    for digits, lengths, whole in joined_runs(text, 9, 18):
        if whole:
            out.update(number_forms(digits))
        elif written_as_identifier(digits, lengths):
            out.update(f for f in number_forms(digits) if f.startswith(("phone:", "aadhaar:", "abha:")))
    return out


_LABELLED_REGID = re.compile(r"reg[a-z_ ]{0,6}id[\"' ]*[:=]?[\"' ]*([0-9]{6,12})(?![0-9])")
_ID_RUN = re.compile(r"(?<![0-9])[0-9]{6,12}(?![0-9])")


def is_id_column(name: str) -> bool:
    """A column whose name labels its numbers as beneficiary ids (``RelatedBeneficiaryIds``, ``OldBenRegID``)."""
    return _ID_NAME.search(re.sub(r"[^a-z]", "", name.lower())) is not None


_ID_NAME = re.compile(r"(?:ben(?:eficiary|ificiary|neficiary)?|reg)(?:reg)?ids?$")


def benregid_candidates(low: str, id_column: bool = False) -> set[str]:
    """A BenRegID is a dense sequential number, so only a labelled number is one: labelled in the text
    (``"beneficiaryRegID":123456``, ``ben reg id: 123456``) or by the column's name (``id_column``)."""
    out = set(_ID_RUN.findall(low)) if id_column else set()
    if "reg" in low:
        out.update(m.group(1) for m in _LABELLED_REGID.finditer(low))
    return out


def email_candidates(low: str) -> set[str]:
    out = {"email:" + m.group().strip(".") for m in _EMAIL.finditer(low)} if "@" in low else set()
    if " at " in low or "(at)" in low or "[at]" in low:
        for m in _SPELLED.finditer(low):
            out.add("email:" + m.group(1) + "@" + _DOT.sub(".", m.group(2)))
    return out


def pan_candidates(low: str) -> set[str]:
    """PAN-shaped tokens (five letters, four digits, a letter); none in an e-mail's text."""
    return set() if "@" in low else {"pan:" + m.group() for m in _PAN.finditer(low)}


def words(low: str) -> list[str]:
    return _WORD.findall(low)


def name_pair_candidates(ws: list[str]) -> set[str]:
    """Adjacent words, and words one apart (a middle name between), in both orders."""
    out = set()
    for i, a in enumerate(ws):
        for b in ws[i + 1 : i + 3]:
            out.add(f"full:{a} {b}")
    return out


def json_strings(text: str) -> list[str] | None:
    """The string values of a JSON payload (keys left out), in document order; None when it is not JSON."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    out: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return out


def payload_pair_candidates(values: list[str], pool_tokens: set[str]) -> set[str]:
    """Full-name pairs of a JSON payload. Inside one value, every pair (typed text). Across values (a
    ``firstName`` next to a ``lastName``), only a pair with a word outside the fake-name pools: two pool
    words in two fields is what any name replacement writes, and equals some real person's name by
    chance (about 1 in 300 payloads at demo scale, every payload at production scale), so it proves
    nothing; a real name surviving there is still found when one of its words is not a pool word, or
    when the cell is unchanged."""
    inside: set[str] = set()
    flat: list[str] = []
    for v in values:
        ws = words(v.lower())
        inside |= name_pair_candidates(ws)
        flat.extend(ws)
    across = name_pair_candidates(flat) - inside
    return inside | {p for p in across if not all(w in pool_tokens for w in p[5:].split(" "))}


def _letters_only(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


def payload_own_names(text: str) -> set[str]:
    """"first last" of every JSON object with a ``firstName`` and a ``lastName`` key (any spelling: the
    person the payload is about), normalized as the originals are; empty when it is not JSON."""
    if text.lstrip()[:1] not in ("{", "["):
        return set()
    try:
        doc = json.loads(text)
    except ValueError:
        return set()
    out, stack = set(), [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            by_key = {_letters_only(str(k)): v for k, v in node.items()}
            first, last = by_key.get("firstname"), by_key.get("lastname")
            if isinstance(first, str) and isinstance(last, str):
                out.add(f"{' '.join(first.lower().split())} {' '.join(last.lower().split())}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def street_tokens(low: str) -> list[str]:
    return re.sub(r"[^\w]+|_", " ", low).split()


def street_form(low: str) -> str:
    """A street line as the originals are fingerprinted: from its house number on."""
    toks = street_tokens(low)
    i = next((k for k, t in enumerate(toks) if t[0].isdigit()), len(toks))
    return " ".join(toks[i:])


def street_candidates(low: str) -> set[str]:
    """From each house number, the normalized runs of 3-12 words (the originals' normalization)."""
    toks = street_tokens(low)
    out = set()
    for i, t in enumerate(toks):
        if t[0].isdigit() and re.fullmatch(r"[0-9]+[a-z]?", t) and i + 2 < len(toks) and toks[i + 1].isalpha():
            for j in range(i + MIN_STREET_WORDS, min(len(toks), i + 12) + 1):
                out.add("street:" + " ".join(toks[i:j]))
    return out


def integral_digits(value) -> str | None:
    """The digits of a whole number of at least 9 digits (INT/BIGINT/DECIMAL/DOUBLE/FLOAT), else None."""
    if isinstance(value, float):
        value = int(value) if value.is_integer() and 1e8 <= value < 1e19 else None
    elif isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else None
    if not isinstance(value, int) or value < 10**8:
        return None
    return str(value)


def number_forms_of(value) -> dict[str, str]:
    digits = integral_digits(value)
    if digits is None:
        return {}
    out = {form: form.split(":", 1)[0] for form in number_forms(digits)}
    if "beneficiary_id:" + digits in out:
        out["new:beneficiary_id:" + digits] = "new"
    return out
