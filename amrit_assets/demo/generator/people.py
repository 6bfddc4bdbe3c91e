"""Places, value pools (Faker, once) and persons as attribute lists; addresses and identifier formats."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from amrit_assets.common.verhoeff import verhoeff_check_digit
from amrit_assets.demo.generator.base import NULL, PLACES_FILE, REF_DATE, START_DATE, GenerationError, _clean, _fmt_ts


@dataclass
class Place:
    state: str
    state_code: str
    district: str
    lat: float
    lon: float
    pin_prefix: str
    std_code: str
    language: str
    state_id: int = 0
    district_id: int = 0
    blocks: list[str] = field(default_factory=list)
    villages: list[list[str]] = field(default_factory=list)  # per block


def load_places(path: Path = PLACES_FILE) -> list[Place]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    places = [
        Place(r["state"], r["state_code"], r["district"], float(r["lat"]), float(r["lon"]), r["pin_prefix"], r["std_code"], r["language"])
        for r in rows
    ]
    states = list(dict.fromkeys(p.state for p in places))
    for i, p in enumerate(places):
        p.state_id = states.index(p.state) + 1
        p.district_id = i + 1
    return places


_VILLAGE_HEADS = ("Ram", "Chandan", "Shiv", "Bara", "Chhota", "Nava", "Kali", "Sona", "Hari", "Ganga", "Mohan", "Lakshmi",
                  "Devi", "Bhim", "Anand", "Kesar", "Moti", "Hira", "Gopal", "Sita", "Madhav", "Raghu", "Bel", "Amb")  # fmt: skip
_VILLAGE_TAILS = ("pur", "gaon", "nagar", "palli", "halli", "wadi", "ganj", "khera", "patti", "garh", "bari", "tola", "para", "kuppam")


@dataclass
class Pools:
    male: list[str]
    female: list[str]
    last: list[str]
    streets: list[str]
    buildings: list[str]
    b64: list[str]
    b64_fp: list[str]
    embeddings: list[str]
    bcrypt: list[str]
    ipv4: list[str]
    ipv6: list[str]
    dates: list[str]  # 'YYYY-MM-DD HH:MM:SS' between START_DATE and REF_DATE


def make_pools(seed: int, rng: random.Random, places: list[Place]) -> Pools:
    """Draw every name/address pool from Faker en_IN once; rows then sample these lists."""
    from faker import Faker

    fk = Faker("en_IN")
    fk.seed_instance(seed)

    def draw(fn: Callable[[], str], k: int, maxlen: int = 40) -> list[str]:
        out = [_clean(fn())[:maxlen] for _ in range(k)]
        return [s for s in out if s] or ["Unknown"]

    male = draw(fk.first_name_male, 1500, 20)
    female = draw(fk.first_name_female, 1500, 20)
    last = draw(fk.last_name, 2000, 20)
    streets = draw(fk.street_name, 1500, 30)
    buildings = [("H.No. " + b.replace("H.No. ", "")) for b in draw(fk.building_number, 1500, 10)]
    for p in places:  # blocks and villages: synthetic, stable per seed
        p.blocks = sorted({rng.choice(_VILLAGE_HEADS) + rng.choice(("pur", "ganj", "nagar", "halli", "garh")) for _ in range(4)})
        p.villages = [sorted({rng.choice(_VILLAGE_HEADS) + rng.choice(_VILLAGE_TAILS) for _ in range(12)}) for _ in p.blocks]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    b64 = ["/9j/4AAQSkZJRgABAQAAAQABAAD/" + "".join(rng.choices(alphabet, k=rng.randint(60, 180))) + "==" for _ in range(400)]
    b64_fp = ["Rk1SACAyMAAAAAFcAAABPAFoAMUAxQEAAAAoN" + "".join(rng.choices(alphabet, k=rng.randint(60, 140))) for _ in range(300)]
    embeddings = ["[" + ",".join(f"{rng.uniform(-0.3, 0.3):.4f}" for _ in range(32)) + "]" for _ in range(300)]
    bc = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    bcrypt = ["$2a$10$" + "".join(rng.choices(bc, k=53)) for _ in range(400)]
    ipv4 = [f"{rng.choice((10, 49, 103, 106, 117, 157, 172, 182, 192))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(500)]
    ipv6 = [f"2401:4900:{rng.randint(0, 0xffff):x}:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}" for _ in range(300)]
    span = int((REF_DATE - START_DATE).total_seconds())
    dates = sorted(_fmt_ts(START_DATE + timedelta(seconds=rng.randrange(span))) for _ in range(1500))
    return Pools(male, female, last, streets, buildings, b64, b64_fp, embeddings, bcrypt, ipv4, ipv6, dates)

def _fields(values: Sequence[object]) -> list[str]:
    """TSV fields (None as NULL) plus the NULL sentinel; equal values share one string object, so a
    million rows of "1" or of one village cost one string each, not a million."""
    same: dict[str, str] = {}
    return [same.setdefault(s, s) for s in (NULL if v is None else str(v) for v in values)] + [NULL]


class People:
    """Persons (beneficiaries or staff) as parallel attribute lists of TSV fields.

    Every list carries a NULL sentinel at index -1, so a missing link (-1) renders as NULL.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.attrs: dict[str, list[str]] = {}
        self.age: list[int] = []
        self.female: list[bool] = []
        self.hh: list[int] = []  # household index (beneficiaries)
        self.flags: dict[str, list[bool]] = {}
        self._maxlen: dict[str, int] = {}

    def put(self, name: str, values: Sequence[object]) -> None:
        self.attrs[name] = _fields(values)

    def get(self, name: str) -> list[str]:
        try:
            return self.attrs[name]
        except KeyError:
            raise GenerationError(f"no person attribute {name!r}") from None

    def maxlen(self, name: str) -> int:
        if name not in self._maxlen:
            self._maxlen[name] = max((len(v) for v in self.get(name) if v != NULL), default=0)
        return self._maxlen[name]


class Entities:
    """Visits, calls or households: attribute lists (with the NULL sentinel) plus their beneficiary."""

    def __init__(self, ben: list[int]) -> None:
        self.ben = ben
        self.n = len(ben)
        self.attrs: dict[str, list[str]] = {}
        self._maxlen: dict[str, int] = {}

    def maxlen(self, name: str) -> int:
        if name not in self._maxlen:
            self._maxlen[name] = max(map(len, self.get(name)))
        return self._maxlen[name]

    def put(self, name: str, values: Sequence[object]) -> None:
        self.attrs[name] = _fields(values)

    def get(self, name: str) -> list[str]:
        try:
            return self.attrs[name]
        except KeyError:
            raise GenerationError(f"no attribute {name!r}") from None


def _unique_numbers(rng: random.Random, lo: int, hi: int, k: int) -> list[int]:
    return rng.sample(range(lo, hi), k)


def _aadhaars(rng: random.Random, k: int) -> list[str]:
    """Unique, Verhoeff-valid, first digit 2-9 (UIDAI never issues 0/1)."""
    return [f"{b}{verhoeff_check_digit(str(b))}" for b in _unique_numbers(rng, 2 * 10**10, 10**11, k)]


def _pans(rng: random.Random, k: int, surname_initials: Sequence[str]) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    seen: set[str] = set()
    out = []
    for i in range(k):
        while True:
            p = "".join(rng.choices(letters, k=3)) + "P" + (surname_initials[i] or "K") + f"{rng.randint(0, 9999):04d}" + rng.choice(letters)
            if p not in seen:
                seen.add(p)
                out.append(p)
                break
    return out


def _digipin(rng: random.Random) -> str:
    a = "23456789CFJKLMPT"
    s = "".join(rng.choices(a, k=10))
    return f"{s[:3]}-{s[3:6]}-{s[6:]}"


def _ifsc(rng: random.Random, prefix: str) -> str:
    return f"{prefix}0{rng.randint(0, 999999):06d}"

def _put_address(p: People, rng: random.Random, pools: Pools, place: list[Place], block: list[int] | None = None,
                 village: list[str] | None = None, home: list[int] | None = None) -> None:  # fmt: skip
    """Address, PIN and GPS attributes for persons at the given places; one home's members share them."""
    n = len(place)
    home = home if home is not None else list(range(n))
    homes = max(home) + 1 if home else 0
    first_of: dict[int, int] = {}
    for i, h in enumerate(home):
        first_of.setdefault(h, i)
    hp = [place[first_of[h]] for h in range(homes)]  # the place of each home
    if block is None:
        block = [rng.randrange(len(pl.blocks)) for pl in place]
    if village is None:
        village = [rng.choice(pl.villages[b]) for pl, b in zip(place, block)]
    per_home = {
        "house": [rng.choice(pools.buildings) for _ in range(homes)],
        "street": [rng.choice(pools.streets) for _ in range(homes)],
        "pin": [f"{pl.pin_prefix}{rng.randint(1, 60):03d}" for pl in hp],
        "lat": [round(pl.lat + rng.uniform(-0.15, 0.15), 6) for pl in hp],
        "lon": [round(pl.lon + rng.uniform(-0.15, 0.15), 6) for pl in hp],
        "digipin": [_digipin(rng) for _ in range(homes)],
        "landline": [f"{pl.std_code}-{rng.randint(2000000, 2999999)}" for pl in hp],
        "ward": [f"Ward {rng.randint(1, 30)}" for _ in range(homes)],
        "van_id": [pl.district_id * 3 - rng.randint(0, 2) for pl in hp],
        "vehicle": [f"{pl.state_code}{pl.district_id:02d}G{rng.randint(1000, 9999)}" for pl in hp],
    }
    at = {k: [v[h] for h in home] for k, v in per_home.items()}
    blocks = [pl.blocks[b] for pl, b in zip(place, block)]
    for k in ("house", "street", "pin", "lat", "lon", "digipin", "landline", "ward", "van_id", "vehicle"):
        p.put(k, at[k])
    p.put("line1", [f"{b}, {s}"[:50] for b, s in zip(at["house"], at["street"])])
    p.put("village", village)
    p.put("village_id", [pl.district_id * 1000 + b * 50 + pl.villages[b].index(v) + 1 for pl, b, v in zip(place, block, village)])
    p.put("block", blocks)
    p.put("block_id", [pl.district_id * 10 + b + 1 for pl, b in zip(place, block)])
    p.put("district", [pl.district for pl in place])
    p.put("district_id", [pl.district_id for pl in place])
    p.put("state", [pl.state for pl in place])
    p.put("state_id", [pl.state_id for pl in place])
    p.put("state_code", [pl.state_code for pl in place])
    p.put("language", [pl.language for pl in place])
    p.put("coord", [f"{a},{b}" for a, b in zip(at["lat"], at["lon"])])
    p.put("address", [f"{b}, {s}, {v}, {bl}, {pl.district}, {pl.state} - {pn}"
                      for b, s, v, bl, pl, pn in zip(at["house"], at["street"], village, blocks, place, at["pin"])])  # fmt: skip
    p.put("city", [pl.district.split()[0] for pl in place])
    p.put("parking", [pl.district_id for pl in place])
    p.put("psm", [pl.state_id for pl in place])
