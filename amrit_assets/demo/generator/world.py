"""The world: staff, beneficiaries in households, their visits and calls, built once from one seeded RNG."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from amrit_assets.demo.generator.base import REF_DATE, START_DATE, GenerationError, _fmt_ts
from amrit_assets.demo.generator.households import _build_bens
from amrit_assets.demo.generator.people import (
    Entities,
    People,
    Place,
    Pools,
    _aadhaars,
    _pans,
    _put_address,
    _unique_numbers,
    load_places,
    make_pools,
)
from amrit_assets.demo.generator.vocabulary import COMPLAINTS, DIAGNOSES, STAFF_ROLES, VISIT_CATEGORIES


@dataclass
class World:
    rng: random.Random
    pools: Pools
    places: list[Place]
    bens: People
    staff: People
    visits: Entities
    calls: Entities
    households: Entities
    ben1097: list[int]
    ben_visits: list[list[int]]
    ben_calls: list[list[int]]
    roles: dict[str, list[int]]  # role -> staff indices

    def predicate(self, name: str) -> Callable[[int], bool]:
        """Which beneficiaries a ``where`` selects (visit predicates look at the visit)."""
        b = self.bens
        if not name:
            return lambda i: True
        if name in b.flags:
            flags = b.flags[name]
            return lambda i: flags[i]
        raise GenerationError(f"unknown predicate {name!r}")


def _build_staff(rng: random.Random, pools: Pools, places: list[Place]) -> tuple[People, dict[str, list[int]]]:
    roles: list[str] = [r for r, k in STAFF_ROLES for _ in range(k)]
    n = len(roles)
    s = People(n)
    female = [r in ("Staff Nurse", "ANM", "ASHA") or rng.random() < 0.4 for r in roles]
    first = [rng.choice(pools.female if f else pools.male) for f in female]
    last = [rng.choice(pools.last) for _ in range(n)]
    usernames: list[str] = []
    for i in range(n):
        if i == 0:
            u = "amritadmin"
        else:
            base = re.sub(r"[^a-z]", "", first[i].lower())[:10] + "." + re.sub(r"[^a-z]", "", last[i].lower())[:5]
            u = base
            k = 1
            while u in usernames:
                k += 1
                u = f"{base}{k}"
        usernames.append(u[:20])
    age = [rng.randint(23, 58) for _ in range(n)]
    s.age, s.female = age, female
    place = [rng.choice(places) for _ in range(n)]
    dob = [(REF_DATE - timedelta(days=a * 365 + rng.randint(0, 364))).strftime("%Y-%m-%d") for a in age]
    phones = [str(p) for p in _unique_numbers(rng, 6 * 10**9, 10**10, 2 * n)]
    s.put("index", range(n))
    s.put("key", [i + 1 for i in range(n)])
    s.put("user_id", [i + 1 for i in range(n)])
    s.put("username", usernames)
    s.put("cz_user", [f"cz{u}"[:20] for u in usernames])
    s.put("agent_id", [str(3001 + i) for i in range(n)])
    s.put("employee_id", [f"EMP{10001 + i}" for i in range(n)])
    s.put("hpr_id", [f"71-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}" for _ in range(n)])
    s.put("password", [rng.choice(pools.bcrypt) for _ in range(n)])
    s.put("first", first)
    s.put("middle", [rng.choice(("Kumar", "Devi", "")) or None for _ in range(n)])
    s.put("last", last)
    s.put("full", [f"{a} {b}" for a, b in zip(first, last)])
    s.put("gender", ["Female" if f else "Male" for f in female])
    s.put("gender_id", [2 if f else 1 for f in female])
    s.put("title", ["Ms" if f else "Mr" for f in female])
    s.put("title_id", [3 if f else 1 for f in female])
    s.put("marital", ["Married"] * n)
    s.put("marital_id", [2] * n)
    s.put("dob", dob)
    s.put("age", age)
    s.put("age_str", [f"{a} Years" for a in age])
    s.put("phone", phones[:n])
    s.put("phone2", phones[n:])
    s.put("email", [f"{u.replace('.', '_')}@amrit.gov.in" for u in usernames])
    s.put("aadhaar", _aadhaars(rng, n))
    s.put("pan", _pans(rng, n, [x[:1].upper() for x in last]))
    s.put("designation", roles)
    s.put("designation_id", [[r for r, _ in STAFF_ROLES].index(r) + 1 for r in roles])
    s.put("father", [f"{rng.choice(pools.male)} {b}" for b in last])
    s.put("mother", [f"{rng.choice(pools.female)} {b}" for b in last])
    s.put("spouse", [f"{rng.choice(pools.male if f else pools.female)} {b}" for f, b in zip(female, last)])
    _put_address(s, rng, pools, place)
    s.put("religion", ["Hindu"] * n)
    s.put("community", ["General"] * n)
    s.put("created", [_fmt_ts(START_DATE - timedelta(days=rng.randint(30, 900))) for _ in range(n)])
    s.put("creator", [0] * n)
    by_role: dict[str, list[int]] = {}
    for i, r in enumerate(roles):
        by_role.setdefault(r, []).append(i)
    return s, by_role

def _build_visits(rng: random.Random, w_bens: People, roles: dict[str, list[int]]) -> tuple[Entities, list[list[int]]]:
    n = w_bens.n
    created = w_bens.get("created")
    pregnant = w_bens.flags["pregnant"]
    counts = rng.choices((0, 1, 2, 3, 4, 5), weights=(27, 38, 18, 9, 5, 3), k=n)
    clinicians = roles["Staff Nurse"] + roles["Medical Officer"]
    ben: list[int] = []
    ts: list[str] = []
    no: list[int] = []
    cat: list[str] = []
    staff: list[int] = []
    per_ben: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        if not counts[i]:
            continue
        start = datetime.strptime(created[i], "%Y-%m-%d %H:%M:%S")
        span = max(3600, int((REF_DATE - start).total_seconds()))
        times = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(counts[i]))
        for k, t in enumerate(times):
            per_ben[i].append(len(ben))
            ben.append(i)
            ts.append(_fmt_ts(t.replace(hour=rng.randint(9, 16))))
            no.append(k + 1)
            a = w_bens.age[i]
            if pregnant[i] and rng.random() < 0.7:
                c = "ANC"
            elif a >= 30 and rng.random() < 0.35:
                c = "NCD screening"
            elif a < 1:
                c = "Neonatal and Infant Health Care Services"
            else:
                c = "General OPD"
            cat.append(c)
            staff.append(rng.choice(clinicians))
    v = Entities(ben)
    nv = len(ben)
    v.put("key", [k + 1 for k in range(nv)])
    v.put("code", [30_0000_0000_0000 + k + 1 for k in range(nv)])
    v.put("ts", ts)
    v.put("date", [t[:10] for t in ts])
    v.put("no", no)
    v.put("category", cat)
    v.put("category_id", [VISIT_CATEGORIES.index(c) + 1 for c in cat])
    reasons = rng.choices(("New Chief Complaint", "Follow Up", "Screening", "Referral"), weights=(60, 25, 10, 5), k=nv)
    v.put("reason", reasons)
    v.put("reason_id", [("New Chief Complaint", "Follow Up", "Screening", "Referral").index(r) + 1 for r in reasons])
    v.put("staff", staff)
    v.put("complaint", rng.choices(COMPLAINTS, k=nv))
    v.put("diagnosis", rng.choices(DIAGNOSES, k=nv))
    v.put("ncd", ["1" if c == "NCD screening" else "0" for c in cat])
    v.put("anc", ["1" if c == "ANC" else "0" for c in cat])
    return v, per_ben


def _build_calls(rng: random.Random, w_bens: People, roles: dict[str, list[int]]) -> tuple[Entities, list[list[int]]]:
    n = w_bens.n
    created = w_bens.get("created")
    in_1097 = w_bens.flags["in_1097"]
    counts = rng.choices((0, 1, 2, 3, 4), weights=(48, 33, 12, 5, 2), k=n)
    agents = roles["Health Advisory Officer"] + roles["Counsellor"]
    ben: list[int] = []
    ts: list[datetime] = []
    per_ben: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        if not counts[i]:
            continue
        start = datetime.strptime(created[i], "%Y-%m-%d %H:%M:%S") - timedelta(minutes=20)
        span = max(3600, int((REF_DATE - start).total_seconds()))
        for t in sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(counts[i])):
            per_ben[i].append(len(ben))
            ben.append(i)
            ts.append(t)
    c = Entities(ben)
    nc = len(ben)
    dur = [rng.randint(25, 900) for _ in range(nc)]
    c.put("key", [k + 1 for k in range(nc)])
    c.put("callid", [f"{int(t.replace(tzinfo=timezone.utc).timestamp())}.{k + 1}" for k, t in enumerate(ts)])
    c.put("session", [f"{rng.getrandbits(64):016x}{k + 1:x}" for k in range(nc)])
    c.put("ts", [_fmt_ts(t) for t in ts])
    c.put("end", [_fmt_ts(t + timedelta(seconds=d)) for t, d in zip(ts, dur)])
    c.put("secs", dur)
    c.put("duration", [f"00:{d // 60:02d}:{d % 60:02d}" for d in dur])
    c.put("staff", [rng.choice(agents) for _ in range(nc)])
    c.put("is1097", ["1" if in_1097[b] and rng.random() < 0.5 else "0" for b in ben])
    c.put("complaint", rng.choices(COMPLAINTS, k=nc))
    c.put("category", rng.choices(("Health Advice", "Medical Advice", "Counselling", "Information", "Grievance"), k=nc))
    return c, per_ben


def build_world(beneficiaries: int, seed: int) -> World:
    """Everything row generation needs, from one seeded RNG (same inputs -> same world)."""
    if beneficiaries < 1:
        raise GenerationError("beneficiaries must be at least 1")
    rng = random.Random(seed)
    places = load_places()
    pools = make_pools(seed, rng, places)
    staff, roles = _build_staff(rng, pools, places)
    bens, households = _build_bens(rng, pools, places, beneficiaries, roles)
    visits, ben_visits = _build_visits(rng, bens, roles)
    calls, ben_calls = _build_calls(rng, bens, roles)
    ben1097 = [i for i, f in enumerate(bens.flags["in_1097"]) if f]
    return World(rng, pools, places, bens, staff, visits, calls, households, ben1097, ben_visits, ben_calls, roles)
