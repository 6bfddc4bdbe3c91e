"""Free text and JSON payloads: every known person's name and every identifier, in any writing, removed.

The set-based UPDATE (``strategies.scrub_expr``) only knows the row's own names. This module knows
*every* person production knows: a dictionary of name tokens built once per refresh from all name
columns of all four staged databases (``build_name_dictionary``, on the workspace server). Text is
tokenized and each token looked up in a Python set (constant time per token, whatever the dictionary
size), so no multi-token matcher is needed: a full name is a run of name tokens.

Rules, deliberately simple and documented:
- A token of 3+ letters found in the dictionary becomes ``[name]``; a run of such tokens one ``[name]``;
  so does a word that is two name tokens glued ("rameshkumar"), neither a kept word.
  Tokens of 1-2 letters are never names here (initials like "K." or "Om" are too ambiguous; "Om Prakash"
  still loses "Prakash").
- ``KEEP_WORDS`` (the domain's words, common English/Hindi words of remarks) and the kept place names
  are dictionary words too, but they are kept *unless they touch a replaced name token*: "informed
  ASHA" keeps ASHA, "Asha Devi" is one name and becomes ``[name]``. An all-capitals acronym of the
  domain (ASHA, ANM, PHC ...) is always kept: staff write the acronym in capitals, not a person's name.
- Identifiers: e-mails (also "name at gmail dot com", "name [at] gmail [dot] com"), then digit runs
  with spaces, dots, dashes, slashes or parentheses between groups and +91/91/0 prefixes, classified by
  their digit count: 14 ABHA, 12 Aadhaar (before 10-digit mobiles, so no two-digit fragment is left),
  10 (or 11 with a trunk 0, or 12 written with a +91 / "91 " prefix) phone, 9+ other number; shorter runs that are an original BenRegID or
  BeneficiaryID (known from the id map) become ``[id]``. Placeholders hold no digit, so no new run
  appears.
- Hidden writings: where a text holds one (an invisible character, a full-width, lookalike or accented
  form, an HTML/URL escape of a letter or digit, a CamelCase pair of words, a label glued to a number,
  "at the rate" for "@", spoken digits "nine eight ..."), what a reader sees (``as_shown``) is scrubbed
  too; the text is rewritten as shown only when that removed more, so a Hindi remark's joiners and an
  entity of markup stay as written otherwise. A webmail address without its ending ("x@gmail",
  "x at gmail") is an e-mail.
- JSON is parsed (a mobile split across consecutive phone-named fields, "mobile1": "98765",
  "mobile2": "43210", is a phone in each): per key a strategy (``JSON_KEYS``, extended per column by
  the catalog), the same
  keyed replacement the column strategies give (so a payload's ``beneficiaryRegID`` is the person's
  new id, its ``firstName`` the pseudonym of their FirstName column); any other string is free text.
  The result is valid JSON with the same keys. Text that does not parse is scrubbed as free text
  (and counted).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from amrit_assets.common.keys import derive
from amrit_assets.anonymize.strategies import WORK_DB
from amrit_assets.control import ddl

NAME, EMAIL, PHONE, AADHAAR, ABHA, NUMBER, ID = "[name]", "[email]", "[phone]", "[aadhaar]", "[abha]", "[number]", "[id]"

# Domain acronyms: kept whenever written in capitals.
ACRONYMS = frozenset(
    "asha anm aww mpw chc phc uphc sc hwc dh opd ipd bp ors ifa ncd anc pnc tb hiv ors icu ent mo rmnch mcts rch abha".split()
)
# Words of remarks that are also somebody's name somewhere (Indian names include many words):
# kept unless they touch a replaced name token. Given names and name parts (Devi, Kumar, Bhai) are
# deliberately not here: "Sita Devi" must go even though both are also ordinary words.
KEEP_WORDS = ACRONYMS | frozenset(
    """
    the and for with from after before since days day week weeks month months year years not has had have was were
    are his her him she he they them this that call called calls back home visit visited visiting advised advice
    patient beneficiary mother father son daughter wife husband child baby family head brother sister
    informed referred requested reachable switched off busy number mobile phone contact belongs
    follow up review rest fluids nutrition hygiene medicine medicines tablet tablets syrup injection dose
    fever cough cold pain ache headache vomiting weakness dizziness rash swelling anaemia anemia diabetes
    hypertension pressure sugar blood urine test tests report normal high low severe mild known case regular
    medication satisfied service complaint complaints no yes none other others nil na unknown
    hospital district village block state clinic centre center health sub nearest
    asha didi ji sahab shri smt
    """.split()
)


@dataclass(frozen=True)
class Dictionary:
    """Name tokens of every known person (lower case), and words kept unless they touch a name."""

    names: frozenset[str]
    keep: frozenset[str] = KEEP_WORDS
    glued: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)  # words seen: two names glued?


@dataclass
class Lookups:
    """What one batch of values needs from the maps: original ids -> new ids, values -> replacements."""

    ids: dict[int, tuple[str, int]] = field(default_factory=dict)  # old id -> (kind, new id), for free text
    by_kind: dict[tuple[str, int], int] = field(default_factory=dict)  # (kind, old id) -> new id, for JSON keys

    def __post_init__(self) -> None:
        if self.ids and not self.by_kind:
            self.by_kind = {(k, old): new for old, (k, new) in self.ids.items()}
    values: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, original) -> replacement


# --- identifiers -----------------------------------------------------------------------------------

_TLD = r"(?:com|in|org|net|co|gov|edu|nic|info|io)"
# Each e-mail pattern starts at the start of its local part (the lookbehind): the same matches as
# without it (leftmost wins either way), without retrying from every character of every word.
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.I)
_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+|\s*\(@\)\s*)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_EMAIL_SPELLED = re.compile(rf"(?<![\w.%+-])[\w.%+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}\b", re.I)
# A webmail address written without its ending ("x@gmail", "x at gmail", "x@gmaildotcom"): ".com" is meant.
_WEBMAILS = ("gmail", "yahoo", "ymail", "rediffmail", "hotmail", "outlook")
_EMAIL_WEBMAIL = re.compile(rf"(?<![\w.%+-])[\w.%+-]+(?:@|{_AT})(?:{'|'.join(_WEBMAILS)})(?:dot(?:com|in))?\b", re.I)
# A digit run: digits with up to two separators between groups, an optional +, ( before.
_DIGITS = re.compile(r"(?<![\w])\+?\(?\d(?:[ .\-/()]{0,2}\d)*\)?")


def digit_runs(text: str) -> list[str]:
    """The digits of every digit run, as ``scrub_identifiers`` sees them (to look ids up per batch),
    in the text as written and as shown."""
    runs = [re.sub(r"\D", "", m.group(0)) for m in _DIGITS.finditer(text)]
    if text.isascii() and "&" not in text and "%" not in text and _SPOKEN_WORDS.isdisjoint(text.lower().split()):
        return runs  # nothing that can hide a digit run (the cheap test; CamelCase hides none)
    shown = as_shown(text)
    return runs if shown == text else runs + [re.sub(r"\D", "", m.group(0)) for m in _DIGITS.finditer(shown)]


# --- hidden writings: what a reader sees -------------------------------------------------------------

_INVISIBLE = {cp: None for cp in (0xAD, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070))}
# What a reader takes for Latin letters and a hyphen: Cyrillic/Greek lookalikes, every dash; diacritics
# (combining, after NFKD) dropped. The micro sign's mu is no lookalike.
_AS_LATIN = {**_INVISIBLE, **dict.fromkeys(range(0x300, 0x370)),
             **{ord(a): b for a, b in zip("АВЕКМНОРСТХаеорсухіјѕԁһӏЅІЈΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαικνρτυ",
                                          "ABEKMHOPCTXaeopcyxijsdhlSIJABEZHIKMNOPTYXoaikvptu")},
             **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")}
_SHOWN_CHARS = frozenset("@.+-_ ")
_ESCAPE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|nbsp|commat|period|plus|hyphen|lowbar);?|%[0-9A-Fa-f]{2}")
_SPOKEN_DIGITS = {"zero": "0", "shunya": "0", "one": "1", "ek": "1", "two": "2", "do": "2", "three": "3", "teen": "3",
                  "four": "4", "char": "4", "chaar": "4", "five": "5", "paanch": "5", "panch": "5", "six": "6", "chhe": "6",
                  "chhah": "6", "seven": "7", "saat": "7", "eight": "8", "aath": "8", "nine": "9", "nau": "9", "nao": "9"}
_SPOKEN_ONE = r"(?:(?:double|triple)[\s-]+)?(?:" + "|".join(sorted(_SPOKEN_DIGITS, key=len, reverse=True)) + ")"
_SPOKEN_RUN = re.compile(rf"\b{_SPOKEN_ONE}(?:[\s,-]+{_SPOKEN_ONE})+\b", re.I)
_HIDDEN = re.compile(r"[^\x00-\x7f\u0900-\u0dff]|&(?:#|nbsp|commat|period|plus|hyphen|lowbar)|%[0-9A-Fa-f]{2}|[a-z][A-Z][a-z]|[A-Za-z]\d{5}|\d +- +\d")
_AT_RATE = re.compile(r"\bat\s*the\s*rate(?:\s+of)?\b|\batthe?rate\b|\bat\s+rate(?:\s+of)?\b", re.I)  # the Indian "@"
_SPOKEN_WORDS = frozenset(_SPOKEN_DIGITS) | {"double", "triple"}


def _hides(text: str) -> bool:
    """Whether the text may hide a writing (two digit words in a row: a set lookup per word, cheaper than a regex)."""
    if _HIDDEN.search(text):
        return True
    low = text.lower()
    if "rate" in low or " @" in low or "@ " in low:  # "at the rate", a spaced "@"
        return True
    words = low.replace(",", " ").replace("-", " ").split()
    if _SPOKEN_WORDS.isdisjoint(words):
        return False
    prev = False
    for w in words:
        cur = w in _SPOKEN_WORDS
        if cur and prev:
            return True
        prev = cur
    return False


def _unescape(m: re.Match) -> str:
    s = m.group(0)
    ch = bytes.fromhex(s[1:]).decode("latin-1") if s[0] == "%" else html.unescape(s if s.endswith(";") else s + ";")
    keep = len(ch) == 1 and (ch.isalnum() or ch in _SHOWN_CHARS or ch == "\xa0" or ord(ch) in _INVISIBLE)
    return ch if keep and (s[0] != "%" or ch.isascii()) else s  # never markup (&lt;, %3C)


def _spoken(m: re.Match) -> str:
    out, times = [], 1
    for w in re.split(r"[\s,-]+", m.group(0).lower()):
        if w in ("double", "triple"):
            times = 2 if w == "double" else 3
        else:
            out.append(_SPOKEN_DIGITS[w] * times)
            times = 1
    return "".join(out)


def as_shown(text: str) -> str:
    """The text as a reader sees it: escapes of letters and digits decoded; NFKD (full width, no-break
    spaces, circled and superscript digits); invisible characters and Latin diacritics dropped;
    Cyrillic/Greek lookalikes as Latin letters, every dash as "-"; CamelCase and a label glued to a
    number apart; a spaced dash between digits and a spaced "@" closed; "at the rate" as "at"; spoken
    digits as digits. The same text when it holds none of these."""
    if not _hides(text):
        return text
    if "&" in text or "%" in text:
        text = _ESCAPE.sub(_unescape, text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", text).translate(_AS_LATIN))
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"(?<![^\W\d_])([A-Za-z]{2,8})(?=\d{5})", r"\1 ", text)
    text = re.sub(r"(?<=\d) +- +(?=\d)", "-", text)
    text = _AT_RATE.sub("at", text)
    text = re.sub(r"(?<=[\w.])\s*@\s*(?=\w)", "@", text)
    return _SPOKEN_RUN.sub(_spoken, text)


_PLACEHOLDER = re.compile(r"\[(?:name|email|phone|aadhaar|abha|number|id)\]")


def _residue(text: str) -> int:
    """Letters and digits left outside the placeholders: what a scrub left a reader."""
    return sum(c.isalnum() for c in _PLACEHOLDER.sub("", text))


def _scrubbed_as_shown(scrub, text: str) -> str:
    """``scrub(text)``, unless the text hides a writing: then also ``scrub`` of what a reader sees of
    the text and of that result (an invisible character can join a number or split two names), and the
    one leaving the least is taken when it leaves less than ``scrub(text)`` shown (else the text keeps
    its own characters)."""
    base = scrub(text)
    if not _hides(text):
        return base
    shown_base = as_shown(base)
    best = min((scrub(as_shown(text)), scrub(shown_base)), key=_residue)
    return best if _residue(best) < _residue(shown_base) else base


def _digit_placeholder(run: str, ids: dict[int, tuple[str, int]]) -> str | None:
    digits = re.sub(r"\D", "", run)
    n = len(digits)
    if n >= 5 and int(digits) in ids:
        return ID
    if n == 14:
        return ABHA
    if n == 12 and digits.startswith("91") and re.match(r"\+|\(?91\)?[ .\-/]", run):
        return PHONE  # +91 / "91 " written as a country code: a mobile, not an Aadhaar
    if n == 12:
        return AADHAAR
    if n == 10 or (n == 11 and digits[0] == "0"):
        return PHONE
    if n >= 9:
        return NUMBER
    return None


def scrub_identifiers(text: str, ids: dict[int, tuple[str, int]] | None = None) -> str:
    """E-mails (plain and spelled out), then digit runs by digit count, then known original ids."""
    ids = ids or {}
    text = _EMAIL.sub(EMAIL, text)
    text = _EMAIL_SPELLED.sub(EMAIL, text)
    low = text.lower()
    if any(w in low for w in _WEBMAILS):  # the pattern is costly; the names are cheap to look for
        text = _EMAIL_WEBMAIL.sub(EMAIL, text)

    def digits(m: re.Match) -> str:
        run = m.group(0)
        lead = "(" if run.startswith("(") and run.count("(") > run.count(")") else ""  # "(9876543210, ..."
        core = run[len(lead):]
        core = core.rstrip(")") if core.count("(") < core.count(")") else core  # "... 9876543210)"
        placeholder = _digit_placeholder(core, ids)
        return run if placeholder is None else lead + placeholder + run[len(lead) + len(core):]

    return _DIGITS.sub(digits, text)


# --- names -----------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_NAME_GAP = re.compile(r"^[\s.]*$")  # what may stand between two tokens of one name ("R. K. Sharma")


def tokens_of(value: str) -> set[str]:
    """The name tokens a name column's value adds to the dictionary (3+ letters, lower case)."""
    return {t.lower() for t in _WORD.findall(value) if len(t) >= 3}


def scrub_names(text: str, d: Dictionary) -> str:
    """Every dictionary name token (any case) replaced, a run of them by one ``[name]``; see module doc."""
    matches = list(_WORD.finditer(text))
    if not matches:
        return text
    kinds = []  # "name", "maybe" (a kept word that is also a name), None
    for m in matches:
        w = m.group(0)
        low = w.lower()
        if len(low) >= 6 and low not in d.names and _glued_name(low, d):
            kinds.append("name")
        elif len(low) < 3 or low not in d.names or (w.isupper() and low in ACRONYMS):
            kinds.append(None)
        else:
            kinds.append("maybe" if low in d.keep else "name")
    # A kept word joins a name run when it touches a true name token (only spaces/dots between).
    changed = True
    while changed:
        changed = False
        for i, k in enumerate(kinds):
            if k != "maybe":
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(kinds) and kinds[j] == "name" and _NAME_GAP.match(_between(text, matches, min(i, j))):
                    kinds[i], changed = "name", True
                    break
    out, pos, i = [], 0, 0
    while i < len(matches):
        if kinds[i] != "name":
            i += 1
            continue
        j = i
        while j + 1 < len(matches) and kinds[j + 1] == "name" and _NAME_GAP.match(_between(text, matches, j)):
            j += 1
        out += [text[pos : matches[i].start()], NAME]
        pos = matches[j].end()
        i = j + 1
    out.append(text[pos:])
    return "".join(out)


# A glued word ending so is a place as often as a person ("Lakshminagar", "Rampur"): left to the keep-list.
_PLACE_ENDINGS = ("nagar", "pur", "puram", "pura", "abad", "ganj", "garh", "gaon", "palli", "halli", "wadi", "kuppam", "pet", "peta", "kot", "kota")


def _glued_name(low: str, d: Dictionary) -> bool:
    """Two name tokens written as one word ("rameshkumar"), neither a kept word; a kept word itself, or
    a word ending like a place name, never is."""
    hit = d.glued.get(low)
    if hit is None:
        names, keep = d.names, d.keep
        hit = low not in keep and not low.endswith(_PLACE_ENDINGS) and any(
            low[:i] in names and low[i:] in names and low[:i] not in keep and low[i:] not in keep for i in range(3, len(low) - 2))
        if len(d.glued) < 200_000:  # remarks repeat their words; the cache stays bounded
            d.glued[low] = hit
    return hit


def _between(text: str, matches: list[re.Match], i: int) -> str:
    return text[matches[i].end() : matches[i + 1].start()]


def scrub_free_text(text: str, d: Dictionary, lookups: Lookups | None = None) -> str:
    ids = (lookups or Lookups()).ids
    return _scrubbed_as_shown(lambda t: scrub_names(scrub_identifiers(t, ids), d), text)


# --- keyed replacements, the same as the column strategies' SQL -----------------------------------

def _hex(key: bytes, purpose: str, value: str) -> str:
    """SHA2(CONCAT(@amrit_k_<purpose>, LOWER(TRIM(value))), 256), as ``strategies.keyed_hash`` computes it."""
    return hashlib.sha256((derive(key, purpose).hex() + value.strip().lower()).encode()).hexdigest()


def _letters(hex_str: str) -> str:
    return "".join(chr(ord("g") + int(c)) if c.isdigit() else c for c in hex_str)


@lru_cache(maxsize=1)
def _pools() -> dict[str, list[str]]:
    from amrit_assets.anonymize.pools import pool_values

    return pool_values()


def pseudonym(key: bytes, part: str, value: str, avoid: frozenset[str] = frozenset()) -> str:
    """``strategies.pool_pick`` in Python: the same pool entry the name column of this value gets.

    ``avoid``: the row's own original name tokens. Pool names are real Indian names, so a pick can
    equal, say, the mother's real first name; then the next entries are tried (the payload's pseudonym
    then differs from the column's, rarely, rather than look like the row's original)."""
    pool = _pools()[{"first": "first_name", "last": "last_name", "full": "full_name"}[part]]
    i = zlib.crc32(_hex(key, "name", value).encode()) % len(pool)
    pick = pool[i]
    if pick.strip().lower() == value.strip().lower():
        i += 1
    for step in range(len(pool)):
        pick = pool[(i + step) % len(pool)]
        if not avoid or tokens_of(pick).isdisjoint(avoid):
            return pick
    return NAME


def email_pseudonym(key: bytes, value: str) -> str:
    return f"user{_letters(_hex(key, 'email', value)[:10])}@uat.amrit.invalid"


def username_pseudonym(key: bytes, value: str) -> str:
    return f"u{_letters(_hex(key, 'user', value)[:10])}"


# --- JSON ------------------------------------------------------------------------------------------

def _norm_key(k: str) -> str:
    return re.sub(r"[^a-z0-9]", "", k.lower())


# Keys (compared lower case, without '_' or '-') -> strategy. The catalog's scrub_json(keys=...) adds more.
JSON_KEYS: dict[str, str] = {
    **dict.fromkeys(["firstname", "fname", "middlename"], "name:first"),
    **dict.fromkeys(["lastname", "lname", "surname"], "name:last"),
    **dict.fromkeys(["name", "fullname", "benname", "beneficiaryname", "patientname", "fathername", "mothername",
                     "spousename", "husbandname", "guardianname", "caregivername", "familyheadname", "username0"], "name:full"),
    **dict.fromkeys(["beneficiaryregid", "benregid", "beneficiaryregistrationid"], "benregid"),
    **dict.fromkeys(["beneficiaryid", "benid"], "beneficiary_id"),
    **dict.fromkeys(["aadhaarno", "aadharno", "aadhaar", "aadhar", "aadhaarnumber", "uid", "uidno"], "aadhaar"),
    **dict.fromkeys(["phoneno", "phone", "phonenumber", "mobile", "mobileno", "mobilenumber", "contactno",
                     "contactnumber", "alternatephone", "whatsappno"], "phone"),
    **dict.fromkeys(["email", "emailid", "emailaddress", "mail"], "email"),
    **dict.fromkeys(["createdby", "modifiedby", "updatedby", "username", "agentid", "receivedagentid"], "username"),
    **dict.fromkeys(["dob", "dateofbirth", "address", "addressline1", "addressline2", "houseno", "street",
                     "password", "otp", "token"], "null"),
}
JSON_VALUE_STRATEGIES = ("name:first", "name:last", "name:full", "benregid", "beneficiary_id", "aadhaar", "phone",
                         "email", "username", "null", "keep", "text")


def parse_keys(spec: str) -> dict[str, str]:
    """``firstName:name:first|caseNote:text`` (a catalog parameter) -> {normalized key: strategy}."""
    out = {}
    for part in filter(None, spec.split("|")):
        key, _, strategy = part.partition(":")
        if strategy not in JSON_VALUE_STRATEGIES:
            raise ValueError(f"scrub_json(keys=...): {key!r} maps to {strategy!r}, not one of {', '.join(JSON_VALUE_STRATEGIES)}")
        out[_norm_key(key)] = strategy
    return out


@dataclass
class JsonScrubber:
    """Rewrites one column's values; counts what it did (counts only, never values)."""

    key: bytes
    dictionary: Dictionary
    keys: dict[str, str] = field(default_factory=lambda: dict(JSON_KEYS))
    invalid: int = 0
    _avoid: frozenset[str] = frozenset()

    def scrub(self, text: str, lookups: Lookups, avoid: frozenset[str] = frozenset()) -> str:
        """``avoid``: the row's original name tokens, which no pseudonym may equal (see ``pseudonym``)."""
        self._avoid = avoid
        try:
            doc = json.loads(text)
        except ValueError:
            self.invalid += 1
            return scrub_free_text(text, self.dictionary, lookups)
        if isinstance(doc, str):  # a JSON string: free text inside
            return json.dumps(scrub_free_text(doc, self.dictionary, lookups), ensure_ascii=False)
        return json.dumps(self._walk(doc, None, lookups), ensure_ascii=False, separators=_separators(text))

    def _walk(self, v, strategy: str | None, lk: Lookups):
        if isinstance(v, dict):
            out = {k: self._walk(x, self.keys.get(_norm_key(k), strategy if isinstance(x, (dict, list)) else None), lk)
                   for k, x in v.items()}
            for k in split_phone_keys(v):
                out[k] = PHONE if isinstance(v[k], str) else None
            return out
        if isinstance(v, list):
            return [self._walk(x, strategy, lk) for x in v]
        if v is None or isinstance(v, bool):
            return v
        return self._value(v, strategy, lk)

    def _value(self, v: str | int | float, strategy: str | None, lk: Lookups):
        s = v if isinstance(v, str) else str(v)
        if strategy == "keep":
            return v
        if strategy == "null" or (strategy and s.strip() == ""):
            return None if strategy == "null" else v
        if strategy and strategy.startswith("name:"):
            return pseudonym(self.key, strategy[5:], s, self._avoid)
        if strategy == "email":
            return email_pseudonym(self.key, s)
        if strategy == "username":
            return username_pseudonym(self.key, s)
        if strategy in ("benregid", "beneficiary_id") and s.strip().isdigit():
            hit = lk.by_kind.get((strategy, int(s)))
            if hit is not None:
                return hit if isinstance(v, int) else str(hit)
            return None  # not a known id of anybody: nothing to point at
        if strategy in ("phone", "aadhaar"):
            repl = lk.values.get((strategy, s))
            if repl is not None:
                return int(repl) if isinstance(v, int) and repl.isdigit() else repl
            return None if not isinstance(v, str) else _scrubbed_as_shown(lambda t: scrub_identifiers(t, lk.ids), s)
        if isinstance(v, str):
            return scrub_free_text(v, self.dictionary, lk)
        if isinstance(v, int) and _digit_placeholder(s, lk.ids) is not None:
            return None  # a bare number that is an identifier under a key we do not know
        return v


_PHONE_KEY = re.compile(r"phone|mobile|mob|contact|whatsapp|cell")


def split_phone_keys(obj: dict) -> list[str]:
    """The keys of a mobile split across consecutive fields of one object ("mobile1": "98765",
    "mobile2": "43210"): phone-named keys holding 2-9 digits each, 10 digits together (11 with a
    trunk 0, 12 with 91)."""
    def part(k, x) -> str | None:
        if isinstance(x, bool) or not isinstance(x, (str, int)) or not _PHONE_KEY.search(_norm_key(k)):
            return None
        d = re.sub(r"[\s-]", "", str(x))
        return d if d.isdigit() and 2 <= len(d) <= 9 else None

    out: list[str] = []
    run: list[tuple[str, str]] = []
    for k, x in [*obj.items(), ("", None)]:
        d = part(k, x)
        if d is not None:
            run.append((k, d))
            continue
        joined = "".join(d for _, d in run)
        if len(run) >= 2 and (len(joined) == 10 or (len(joined) == 11 and joined[0] == "0") or (len(joined) == 12 and joined[:2] == "91")):
            out += [key for key, _ in run]
        run = []
    return out


def _separators(text: str) -> tuple[str, str]:
    """Keep the payload's own compact or spaced style."""
    return (", ", ": ") if '": ' in text or ", " in text else (",", ":")


# --- the dictionary on the workspace server --------------------------------------------------------

DICTIONARY_DDL = ddl("name_token")
_PLACE_COLUMN = re.compile(r"(state|district|block|village|taluk|city|town|panchayat|subcent|location)_?name$", re.I)


def name_and_place_columns(resolutions: Iterable) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Every name-strategy column (the people) and every kept place-name column (words kept on purpose)."""
    names, places = [], []
    for r in resolutions:
        c = r.column
        if c.is_view:
            continue
        if r.strategy == "name":
            names.append((c.db, c.table, c.column))
        elif r.strategy == "keep" and _PLACE_COLUMN.search(c.column) and "char" in c.column_type.lower():
            places.append((c.db, c.table, c.column))
    return names, places


def build_name_dictionary(conn, resolutions: Iterable, batch: int = 5000) -> dict[str, int]:
    """(Re)build ``name_token`` from the distinct values of every name column of the staged databases.

    Each column's distinct values are streamed (an unbuffered cursor, ``batch`` rows at a time: one
    pass over the column, memory bounded by the distinct tokens, which the text pass holds anyway);
    tokens of kept place names are marked ``is_place``. Returns counts for metadata."""
    import pymysql.cursors

    names, places = name_and_place_columns(resolutions)
    tokens: dict[str, set[str]] = {"is_name": set(), "is_place": set()}
    for flag, cols in (("is_name", names), ("is_place", places)):
        for db, table, column in cols:
            with conn.cursor(pymysql.cursors.SSCursor) as cur:
                cur.execute(f"SELECT DISTINCT CAST(`{column}` AS CHAR CHARACTER SET utf8mb4) FROM `{db}`.`{table}` WHERE `{column}` IS NOT NULL")
                while rows := cur.fetchmany(batch):
                    tokens[flag].update(t[:64] for (v,) in rows for t in tokens_of(v))
    with conn.cursor() as cur:
        for stmt in DICTIONARY_DDL:
            cur.execute(stmt)
        rows = [(t, int(t in tokens["is_name"]), int(t in tokens["is_place"])) for t in sorted(tokens["is_name"] | tokens["is_place"])]
        for i in range(0, len(rows), batch):
            cur.executemany(f"INSERT INTO {WORK_DB}.name_token (token, is_name, is_place) VALUES (%s, %s, %s)", rows[i : i + batch])
    return {"name_columns": len(names), "name_tokens": len(tokens["is_name"]), "place_columns": len(places), "place_tokens": len(tokens["is_place"])}


def load_dictionary(conn) -> Dictionary:
    """The dictionary for the scrubbing pass: name tokens, and kept place names added to the keep-list
    (a place word that is also somebody's name is kept unless it touches a name token)."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT token, is_name, is_place FROM {WORK_DB}.name_token")
        rows = cur.fetchall()
    return Dictionary(frozenset(t for t, n, _ in rows if n), KEEP_WORDS | frozenset(t for t, _, p in rows if p))

