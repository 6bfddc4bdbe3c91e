"""Helpers that make column values: what resolution sees (``Ctx``, ``Filled``), draws, fits and hard cases."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path

from amrit_assets.demo.generator.base import NULL
from amrit_assets.demo.generator.frames import Frame
from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.demo.generator.world import World

Gen = Callable[[Frame], list[str]]


@dataclass
class Ctx:
    """What column resolution needs: the world, the RNG, what has been filled so far."""

    world: World
    rng: random.Random
    filled: dict[str, "Filled"]
    db_keys: dict[str, list[str]]


@dataclass
class Filled:
    spec: TableSpec
    info: TableInfo
    frame: Frame
    values: dict[str, list[str]] | None  # in memory (``explain``); ``generate`` reads copy sources back from ``tsv``
    tsv: Path | None = None  # the table's loaded TSV file, kept while copies may read it
    _entity_key: dict[int, str] | None = None

    def select(self, names: list[str], rows: Sequence[int]) -> dict[str, list[str]]:
        """Some columns' values at the given rows, for a copy: from memory, else from the TSV file
        (so copy sources need not stay in memory until db_reporting's copies are made)."""
        if self.values is not None:
            return {c: [self.values[c][i] for i in rows] for c in names}
        if self.tsv is None or not names:  # no rows (no file was written)
            return {c: [] for c in names}
        pos = {c.name: j for j, c in enumerate(self.info.columns)}
        cols: list[list[str]] = [[] for _ in names]
        picks = [(pos[c], out, {}) for c, out in zip(names, cols)]  # equal values share one string
        ascending = all(a < b for a, b in zip(rows, rows[1:]))
        wanted = set(rows) if ascending else None  # copies take rows in order: keep only those while reading
        with self.tsv.open(encoding="utf-8", newline="\n") as f:
            for i, line in enumerate(f):
                if wanted is not None and i not in wanted:
                    continue
                fields = line[:-1].split("\t")
                for j, out, same in picks:
                    v = fields[j]
                    out.append(same.setdefault(v, v))
        if ascending:
            return dict(zip(names, cols))
        return {c: [vals[i] for i in rows] for c, vals in zip(names, cols)}

    def entity_key(self) -> dict[int, str]:
        """Entity index -> first key, to point FKs at this table's row for the same visit/call/person."""
        if self._entity_key is None:
            f = self.frame
            ents = f.visit if f.entity == "visit" else f.call if f.entity == "call" else f.who
            m: dict[int, str] = {}
            for e, k in zip(ents or (), f.key):
                m.setdefault(e, k)
            self._entity_key = m
        return self._entity_key


_EPOCH = datetime(1970, 1, 1)


def _epoch_ms(ts: str) -> str:
    """'YYYY-MM-DD HH:MM:SS' as epoch milliseconds (AMRIT's FLW tables keep dates as BIGINT)."""
    if ts == NULL:
        return NULL
    return str(int((datetime.strptime(ts, "%Y-%m-%d %H:%M:%S") - _EPOCH).total_seconds()) * 1000)


def _gather(arr: list[str], idx: Sequence[int]) -> list[str]:
    if len(idx) > 1:
        return list(itemgetter(*idx)(arr))
    return [arr[i] for i in idx]


_PERIODS = (3001, 3011, 3019, 3023, 3037, 3041, 3049, 3061, 3067, 3079, 3083, 3089, 3109, 3119, 3121, 3137)


def _draw(rng: random.Random, pool: Sequence[str], n: int, weights: Sequence[float] | None = None) -> list[str]:
    """n random picks from pool; long columns repeat a random prime-length block (values need only
    look random per column, and drawing every row separately dominated generation time)."""
    period = rng.choice(_PERIODS)
    if n <= period:
        return rng.choices(pool, weights=weights, k=n)
    block = rng.choices(pool, weights=weights, k=period)
    start = rng.randrange(period)
    reps = (n + start) // period + 1
    return (block * reps)[start : start + n]


def _fit(col: Column, vals: list[str], known_max: int | None = None) -> list[str]:
    """Truncate to the column's character length (never touching NULL markers)."""
    n = col.max_len
    if n is None or not col.is_text:
        return vals
    if known_max is not None and known_max <= n:
        return vals
    return [v if len(v) <= n or v == NULL else v[:n] for v in vals]


def _sprinkle_nulls(rng: random.Random, vals: list[str], frac: float) -> list[str]:
    if frac <= 0:
        return vals
    out = list(vals)
    for i in rng.sample(range(len(out)), round(len(out) * frac)):
        out[i] = NULL
    return out


def _as_int_col(col: Column, vals: list[str]) -> list[str]:
    """Numbers too wide for an integer column become NULL (nullable) rather than clipped garbage."""
    if not col.is_int:
        return vals
    top = col.int_max
    out = []
    for v in vals:
        if v != NULL and v.isdigit() and int(v) > top:
            out.append(NULL if col.nullable else str(top))
        else:
            out.append(v)
    return out


# ---- hard cases for the scrubber (issue 9): what real remarks and payloads hold ------------------

HARD_FLAVORS = ("remark", "reason", "advice", "complaint", "source", "insurer")  # typed text, not picked from a list


def phone_writing(rng: random.Random, d: str) -> str:
    """A 10-digit mobile as staff write it: grouped, dotted, slashed, in parentheses, with +91/91/0."""
    return rng.choice((
        d, f"{d[:5]} {d[5:]}", f"{d[:5]}-{d[5:]}", f"{d[:3]}.{d[3:6]}.{d[6:]}", f"({d[:3]}) {d[3:6]} {d[6:]}",
        f"+91 {d}", f"+91-{d[:5]}-{d[5:]}", f"91 {d[:5]} {d[5:]}", f"0{d}", f"{d[:3]}/{d[3:6]}/{d[6:]}", f"+91({d[:5]}){d[5:]}",
    ))


def aadhaar_writing(rng: random.Random, a: str) -> str:
    return rng.choice((a, f"{a[:4]} {a[4:8]} {a[8:]}", f"{a[:4]}.{a[4:8]}.{a[8:]}", f"{a[:4]}-{a[4:8]}-{a[8:]}", f"{a[:4]}/{a[4:8]}/{a[8:]}"))


def email_spelled(rng: random.Random, first: str, last: str) -> str:
    f, la = re.sub("[^a-z]", "", first.lower()), re.sub("[^a-z]", "", last.lower())
    return rng.choice((f"{f} at gmail dot com", f"{f}.{la} [at] yahoo [dot] co [dot] in", f"{f}{la} (at) rediffmail (dot) com",
                       f"{f} AT gmail DOT com"))


def _is_mobile(v: str) -> bool:
    return re.fullmatch(r"[6-9][0-9]{9}", v) is not None


def hard_case(rng: random.Random, w: "World", who: int) -> str:
    """A clause appended to about one remark in three: another beneficiary's or a staff member's name
    (any case), the person's identifiers in another writing, a spelled-out e-mail; '' otherwise."""
    b, roll = w.bens, rng.random()
    other = b.get("full")[rng.randrange(b.n)]
    if roll < 0.10:
        return f"; neighbour {other} informed"
    if roll < 0.14:
        return f"; ASHA {w.staff.get('full')[rng.randrange(w.staff.n)]} visited"
    if roll < 0.17:
        return f"; relative {rng.choice((other.upper(), other.lower()))} accompanied"
    phone = b.get("phone")[who] if 0 <= who < b.n else NULL
    if roll < 0.24 and _is_mobile(phone):
        return f"; alt no {phone_writing(rng, phone)}"
    aadhaar = b.get("aadhaar_any")[who] if 0 <= who < b.n else NULL
    if roll < 0.28 and re.fullmatch(r"[0-9]{12}", aadhaar):
        return f"; Aadhaar {aadhaar_writing(rng, aadhaar)}"
    if roll < 0.31 and 0 <= who < b.n:
        return f"; mail {email_spelled(rng, b.get('first')[who], b.get('last')[who])}"
    if roll < 0.33 and 0 <= who < b.n:
        return f"; regid {b.get('regid')[who]}"
    return ""


def payload_extra(rng: random.Random, w: "World", regid: str, phone: str, aadhaar: str) -> str:
    """More keys in about half the payloads: a family member's and a neighbour's names, the phone and
    Aadhaar written otherwise, a free-text remark naming people, a nested list of related ids."""
    if rng.random() < 0.5:
        return ""
    b = w.bens
    other, kin = b.get("full")[rng.randrange(b.n)], b.get("full")[rng.randrange(b.n)]
    related = b.get("regid")[rng.randrange(b.n)]
    alt = phone_writing(rng, phone) if _is_mobile(phone) else ""
    aad = aadhaar_writing(rng, aadhaar) if re.fullmatch(r"[0-9]{12}", aadhaar) else ""
    return (f',"familyHeadName":"{kin}","alternateMobile":"{alt}","aadharNo":"{aad}",'
            f'"remarks":"visited with {other}, call {alt}","related":[{{"benRegID":{related},"relation":"neighbour"}}]')

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?")
