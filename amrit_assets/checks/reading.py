"""A cell as a person reads it, for the leak check: the writings that hide an identifier from a tokenizer.

Written for the check alone (it imports nothing of the scrubber, DESIGN decision 6). ``reading`` returns
the text a reader sees on screen or says aloud; the check takes its candidates from the text as written
*and* from this reading, so a form found before is still found (nothing is loosened). What is undone:

- HTML character references (``&#57;``, ``&#x39;``, ``&nbsp;``, ``&commat;``) and URL escapes (``%39``,
  ``%40``), only where they stand for a letter, a digit, a space or one of ``@ . + - _``: markup
  (``&lt;``, ``%3C``) stays as written;
- compatibility forms (NFKD: full-width ``９８７``, ``＠``, circled and superscript digits, ligatures,
  no-break and other spaces), Latin diacritics dropped (``Ramésh``), Cyrillic/Greek lookalike letters
  as Latin (``Kumаr`` with a Cyrillic a), every dash as ``-``;
- a webmail address without its ending (``x@gmail``, ``x at gmail``, ``x@gmaildotcom``) as ``.com``;
- format characters, invisible in print (zero-width space/joiners, word joiner, BOM, soft hyphen: Unicode
  category Cf) dropped, so ``98765<ZWSP>43210`` is one number and ``Ram<SHY>esh`` one word;
- decimal digits of any script (Devanagari ``९८७``) as ASCII digits;
- names glued in CamelCase (``RameshKumar``) as two words, a label glued to a number (``Mob9876543210``)
  apart from it, a spaced dash between digits (``98765 - 43210``) and spaces around an ``@`` closed;
- "at the rate (of)" / "attherate", the Indian way of saying "@", as "at" (the spelled e-mail form);
- runs of two or more digit words (English, and Hindi as transliterated: "nine eight double seven",
  "nau aath") as the digits they say.

A JSON payload is read value by value (keys and structure untouched), so reading cannot turn a payload
into non-JSON and change how its names are paired; a mobile split across consecutive phone-named fields
(``"mobile1": "98765", "mobile2": "43210"``) is read as one number in the first of them.

Not read (blind spots): two names glued in lower case ("rameshkumar": splitting every word at every
letter would pair halves of village names such as "shivnagar" with real people's names), groups joined
by commas or underscores ("98765,43210" is as often a list of two numbers), lookalike letters outside
the small Cyrillic/Greek table, digit words of other languages.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from urllib.parse import unquote

_SAFE = frozenset(" @.+-_")


def _visible(ch: str) -> bool:
    """A character a reference may stand for: letters, digits, spaces, e-mail/phone punctuation, or an
    invisible one (dropped below); never markup."""
    return ch.isalnum() or ch in _SAFE or ch.isspace() or unicodedata.category(ch) == "Cf"


_REF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});?")
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")


def _ref(m: re.Match) -> str:
    ref = m.group(0)
    ch = html.unescape(ref if ref.endswith(";") else ref + ";")
    return ch if len(ch) == 1 and _visible(ch) else ref


def _pct(m: re.Match) -> str:
    ch = unquote(m.group(0))
    return ch if len(ch) == 1 and ch.isascii() and _visible(ch) else m.group(0)


# Cyrillic and Greek letters drawn like Latin ones ("Kumοr" with an omicron); the micro sign's mu is not one.
_LOOKALIKE = dict(zip("АВЕКМНОРСТХаеорсухіјѕԁһӏЅІЈΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαικνρτυ", "ABEKMHOPCTXaeopcyxijsdhlSIJABEZHIKMNOPTYXoaikvptu"))
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"


def _tables() -> dict[int, int | None]:
    """Format characters and Latin diacritics dropped, decimal digits of every script mapped to ASCII,
    dashes to '-', lookalike letters to Latin (built once)."""
    table: dict[int, int | None] = {ord(a): ord(b) for a, b in _LOOKALIKE.items()}
    table |= {ord(c): ord("-") for c in _DASHES}
    table |= dict.fromkeys(range(0x300, 0x370))  # combining diacritics (after NFD): "Ramésh" is read "Ramesh"
    for cp in (*range(0x80, 0x30000), *range(0xE0000, 0xE0080)):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat == "Cf":
            table[cp] = None
        elif cat == "Nd" and cp not in table:
            table[cp] = ord("0") + unicodedata.decimal(ch)
    return table


_TABLE = _tables()
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_LABEL = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{2,8})(?=[0-9]{5})")
_DASH = re.compile(r"(?<=[0-9]) +- +(?=[0-9])")
_SPACED_AT = re.compile(r"(?<=[\w.])\s*@\s*(?=\w)")
_WEBMAILS = ("gmail", "yahoo", "ymail", "rediffmail", "hotmail", "outlook")
_WEBMAIL = f"(?:{'|'.join(_WEBMAILS)})"
_MAIL_GLUED = re.compile(rf"\b({_WEBMAIL})dot(com|in)\b", re.I)  # "gmaildotcom"
_MAIL_NO_TLD = re.compile(rf"((?:@|\bat\s+){_WEBMAIL})\b(?!\s*(?:\.|\(dot\)|\[dot\]|dot\b))", re.I)  # "x@gmail": .com meant
_AT_RATE = re.compile(r"\bat\s*the\s*rate(?:\s+of)?\b|\batthe?rate\b|\bat\s+rate\b", re.I)
_DIGIT_WORDS = {
    **dict.fromkeys(["zero", "shunya", "shoonya", "sunya"], "0"), **dict.fromkeys(["one", "ek"], "1"),
    **dict.fromkeys(["two", "do"], "2"), **dict.fromkeys(["three", "teen"], "3"),
    **dict.fromkeys(["four", "char", "chaar"], "4"), **dict.fromkeys(["five", "paanch", "panch"], "5"),
    **dict.fromkeys(["six", "chhe", "chhah", "chheh"], "6"), **dict.fromkeys(["seven", "saat"], "7"),
    **dict.fromkeys(["eight", "aath"], "8"), **dict.fromkeys(["nine", "nau", "nao"], "9"),
}
_WORD = "(?:" + "|".join(sorted(map(re.escape, _DIGIT_WORDS), key=len, reverse=True)) + ")"
_SPOKEN = rf"(?:(?:double|triple)[\s-]+)?{_WORD}"
_DIGIT_RUN = re.compile(rf"\b{_SPOKEN}(?:[\s,-]+{_SPOKEN})+\b", re.I)
_SHAPES = re.compile(r"[a-z][A-Z][a-z]|[A-Za-z][0-9]{5}|[0-9] +- +[0-9]")  # CamelCase, Mob98765, 98765 - 43210
_SPOKEN_WORDS = frozenset(_DIGIT_WORDS) | {"double", "triple"}


def _may_hide(text: str) -> bool:
    """Whether ``read_plain`` can change the text, by the cheapest tests first (substrings, then one
    small pattern, then two digit words in a row by set lookups)."""
    if not text.isascii() or "&" in text or ("%" in text and _PCT.search(text)) or " @" in text or "@ " in text:
        return True
    low = text.lower()
    if "rate" in low or "mail" in low or "yahoo" in low or "outlook" in low or _SHAPES.search(text):  # "at the rate", "x@gmail"
        return True
    ws = low.replace(",", " ").replace("-", " ").split()
    return not _SPOKEN_WORDS.isdisjoint(ws) and any(a in _SPOKEN_WORDS and b in _SPOKEN_WORDS for a, b in zip(ws, ws[1:]))


def _spoken(m: re.Match) -> str:
    out = []
    for part in re.split(r"[\s,-]+", m.group(0).lower()):
        if part in ("double", "triple"):
            out.append(part)
        else:
            d = _DIGIT_WORDS[part]
            times = {"double": 2, "triple": 3}.get(out.pop() if out and out[-1] in ("double", "triple") else "", 1)
            out.append(d * times)
    return "".join(out)


def read_plain(text: str) -> str:
    """One string as read (see the module doc); unchanged when nothing in it is a hidden writing."""
    if not _may_hide(text):
        return text
    if "&" in text:
        text = _REF.sub(_ref, text)
    if "%" in text:
        text = _PCT.sub(_pct, text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", text).translate(_TABLE))
    text = _CAMEL.sub(" ", text)
    text = _LABEL.sub(r"\1 ", text)
    text = _DASH.sub("-", text)
    if "@" in text:
        text = _SPACED_AT.sub("@", text)
    text = _AT_RATE.sub("at", text)
    text = _MAIL_NO_TLD.sub(r"\1.com", _MAIL_GLUED.sub(r"\1.\2", text))
    return _DIGIT_RUN.sub(_spoken, text)


_JSON_KEY = re.compile(r'"(?:[^"\\]|\\.)*"\s*:')
_PHONE_NAMED = r'"[^"]*(?:phone|mobile|mob|contact|whatsapp|cell)[^"]*"\s*:\s*"?[0-9 -]{2,9}"?'
_SPLIT_PHONE = re.compile(rf"{_PHONE_NAMED}\s*,\s*{_PHONE_NAMED}", re.I)


def _joined_phones(obj: dict) -> dict:
    """A mobile split across consecutive phone-named fields ("mob1": "98765", "mob2": "43210") read as
    one number in the first field (10-12 digits together; each part 2-9 digits)."""
    out, run = dict(obj), []
    for k, x in [*obj.items(), (None, None)]:
        digits = re.sub(r"[ -]", "", str(x)) if isinstance(x, (str, int)) and not isinstance(x, bool) else ""
        named = k is not None and re.search(r"phone|mobile|mob|contact|whatsapp|cell", re.sub(r"[^a-z]", "", str(k).lower()))
        if named and digits.isdigit() and 2 <= len(digits) <= 9:
            run.append((k, digits))
            continue
        if len(run) >= 2 and 10 <= sum(len(d) for _, d in run) <= 12:
            out[run[0][0]] = "".join(d for _, d in run)
        run = []
    return out


def reading(text: str) -> str:
    """The text as read; a JSON payload value by value (returned re-serialized only when a value changed)."""
    payload = text.lstrip()[:1] in ("{", "[")
    split = payload and sum(text.lower().count(w) for w in ("phone", "mob", "contact", "whatsapp", "cell")) >= 2 \
        and _SPLIT_PHONE.search(text) is not None
    if not split and not _may_hide(_JSON_KEY.sub(":", text) if payload else text):  # a payload's keys hide nothing
        return text
    if payload:
        try:
            doc = json.loads(text)
        except ValueError:
            return read_plain(text)
        changed = False

        def walk(v):
            nonlocal changed
            if isinstance(v, str):
                r = read_plain(v)
                changed |= r != v
                return r
            if isinstance(v, dict):
                if split:
                    joined = _joined_phones(v)
                    changed |= joined != v
                    v = joined
                return {k: walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            return v

        out = walk(doc)
        return json.dumps(out, ensure_ascii=False) if changed else text
    return read_plain(text)

