"""Beneficiaries in households: relatives, phones, identifiers and flags that agree with each other."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import timedelta

from amrit_assets.demo.generator.base import REF_DATE, START_DATE, _fmt_ts
from amrit_assets.demo.generator.people import (
    Entities,
    People,
    Place,
    Pools,
    _aadhaars,
    _ifsc,
    _pans,
    _put_address,
    _unique_numbers,
)
from amrit_assets.demo.generator.vocabulary import BANKS

_RELIGIONS = (("Hindu", 78), ("Muslim", 14), ("Christian", 3), ("Sikh", 2), ("Buddhist", 1), ("Jain", 1), ("Others", 1))
_COMMUNITIES = (("General", 30), ("OBC", 40), ("SC", 18), ("ST", 12))
_EDUCATION = ("Illiterate", "Primary", "Middle", "Secondary", "Higher Secondary", "Graduate", "Post Graduate")
_OCCUPATIONS_M = ("Farmer", "Agricultural Labourer", "Daily Wage Labourer", "Driver", "Shopkeeper", "Teacher", "Government Employee", "Self Employed", "Unemployed")
_OCCUPATIONS_F = ("Homemaker", "Agricultural Labourer", "Daily Wage Labourer", "Teacher", "Tailor", "Anganwadi Worker", "Self Employed", "Unemployed")
_INCOME = ("BPL", "APL")
_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com")
_ID_TYPES = (("Voter ID", 2), ("Ration Card", 3), ("PAN Card", 4), ("Driving Licence", 5))


def _wchoice(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([a for a, _ in pairs], weights=[w for _, w in pairs])[0]


def _build_bens(rng: random.Random, pools: Pools, places: list[Place], n: int, roles: dict[str, list[int]]) -> tuple[People, Entities]:
    """Beneficiaries in households (head, spouse, children, sometimes a parent) with consistent relations."""
    members: list[dict] = []
    hh_head: list[int] = []
    hh_members: list[list[int]] = []
    registrars = roles["Registrar"] + roles["ANM"] + roles["ASHA"]
    span = int((REF_DATE - timedelta(days=30) - START_DATE).total_seconds())
    while len(members) < n:
        h = len(hh_head)
        place = rng.choice(places)
        block = rng.randrange(len(place.blocks))
        village = rng.choice(place.villages[block])
        last = rng.choice(pools.last)
        religion, community = _wchoice(rng, _RELIGIONS), _wchoice(rng, _COMMUNITIES)
        income = rng.choice(_INCOME)
        head_male = rng.random() < 0.88
        head_age = rng.randint(24, 75)
        hh = [dict(rel="Self", female=not head_male, age=head_age)]
        if head_male and rng.random() < 0.85:
            hh.append(dict(rel="Wife", female=True, age=max(18, head_age - rng.randint(0, 8))))
        mother_age = hh[-1]["age"] if len(hh) > 1 else head_age
        for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3, 4))):
            top = min(head_age, mother_age) - 19
            if top < 0:
                break
            f = rng.random() < 0.5
            hh.append(dict(rel="Daughter" if f else "Son", female=f, age=rng.randint(0, top)))
        if rng.random() < 0.12 and head_age < 70:
            f = rng.random() < 0.6
            hh.append(dict(rel="Mother" if f else "Father", female=f, age=min(95, head_age + rng.randint(20, 30))))
        reg = START_DATE + timedelta(seconds=rng.randrange(span))
        creator = rng.choice(registrars)
        hh_head.append(len(members))
        ids = []
        for m in hh:
            if len(members) >= n:
                break
            m.update(hh=h, place=place, block=block, village=village, last=last, religion=religion, community=community,
                     income=income, reg=reg + timedelta(minutes=rng.randint(0, 90)), creator=creator)  # fmt: skip
            ids.append(len(members))
            members.append(m)
        hh_members.append(ids)

    b = People(n)
    b.age = [m["age"] for m in members]
    b.female = [m["female"] for m in members]
    b.hh = [m["hh"] for m in members]
    first = [rng.choice(pools.female if m["female"] else pools.male) for m in members]
    last = [m["last"] for m in members]
    full = [f"{f} {l}" for f, l in zip(first, last)]
    middle = [
        (rng.choice(("Kumari", "Devi")) if m["female"] else rng.choice(("Kumar", "Prasad", "Singh", "Chandra"))) if rng.random() < 0.6 else None
        for m in members
    ]
    # Relatives, from the household where present.
    father, mother, spouse, related = [None] * n, [None] * n, [None] * n, [-1] * n
    for ids in hh_members:
        head = ids[0]
        wife = next((i for i in ids if members[i]["rel"] == "Wife"), None)
        elder_m = next((i for i in ids if members[i]["rel"] == "Mother"), None)
        elder_f = next((i for i in ids if members[i]["rel"] == "Father"), None)
        for i in ids:
            rel = members[i]["rel"]
            if rel in ("Son", "Daughter"):
                father[i] = full[head] if not members[head]["female"] else f"{rng.choice(pools.male)} {last[i]}"
                mother[i] = full[wife] if wife is not None else (full[head] if members[head]["female"] else f"{rng.choice(pools.female)} {last[i]}")
                related[i] = head
            elif rel == "Self":
                father[i] = full[elder_f] if elder_f is not None else f"{rng.choice(pools.male)} {last[i]}"
                mother[i] = full[elder_m] if elder_m is not None else f"{rng.choice(pools.female)} {last[i]}"
                if wife is not None:
                    spouse[i] = full[wife]
                related[i] = wife if wife is not None else (ids[1] if len(ids) > 1 else -1)
            elif rel == "Wife":
                father[i] = f"{rng.choice(pools.male)} {rng.choice(pools.last)}"
                mother[i] = f"{rng.choice(pools.female)} {rng.choice(pools.last)}"
                spouse[i] = full[head]
                related[i] = head
            else:  # elder parent
                father[i] = f"{rng.choice(pools.male)} {rng.choice(pools.last)}"
                mother[i] = f"{rng.choice(pools.female)} {rng.choice(pools.last)}"
                related[i] = head
    for i, m in enumerate(members):  # grown children and lone heads may be married outside the household
        if spouse[i] is None and m["age"] >= 21 and m["rel"] in ("Son", "Daughter", "Self") and rng.random() < 0.6:
            spouse[i] = f"{rng.choice(pools.male if m['female'] else pools.female)} {rng.choice(pools.last) if m['female'] else last[i]}"
    marital = []
    for i, m in enumerate(members):
        if spouse[i]:
            marital.append("Married")
        elif m["age"] < 18:
            marital.append("Unmarried")
        else:
            marital.append(rng.choice(("Unmarried", "Widow" if m["female"] else "Widower", "Unmarried")))
    marital_id = [{"Unmarried": 1, "Married": 2, "Divorced": 3, "Separated": 4, "Widow": 5, "Widower": 6}[x] for x in marital]
    age = b.age
    dob_d = [REF_DATE - timedelta(days=a * 365 + rng.randint(0, 364)) for a in age]
    dob = [d.strftime("%Y-%m-%d") for d in dob_d]
    marriage_age = [rng.randint(18, 26) if s else None for s in spouse]
    marriage_date = [
        (d + timedelta(days=ma * 365 + rng.randint(0, 300))).strftime("%Y-%m-%d") if ma and d + timedelta(days=ma * 365) < REF_DATE else None
        for d, ma in zip(dob_d, marriage_age)
    ]
    # Phones: adults mostly their own, children and some elders share the head's.
    own = [a >= 18 and rng.random() < 0.85 for a in age]
    phones = _unique_numbers(rng, 6 * 10**9, 10**10, n + 1)
    phone: list[str] = [""] * n
    for ids in hh_members:
        head_phone = str(phones[ids[0]])
        for i in ids:
            phone[i] = str(phones[i]) if own[i] or i == ids[0] else head_phone
    head_of = [hh_members[h][0] for h in b.hh]
    head_phone = [phone[h] for h in head_of]
    phone2 = [phone[r] if r >= 0 else phone[h] for r, h in zip(related, head_of)]
    others = [str(p) for p in _unique_numbers(rng, 6 * 10**9, 10**10, n)]
    email = [
        f"{re.sub('[^a-z]', '', f.lower())}.{re.sub('[^a-z]', '', l.lower())}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}" if a >= 16 and rng.random() < 0.88 else None
        for f, l, a in zip(first, last, age)
    ]
    has_aadhaar = [rng.random() < (0.6 if a < 5 else 0.95) for a in age]
    aad = _aadhaars(rng, n)
    aadhaar = [x if h else None for x, h in zip(aad, has_aadhaar)]
    has_abha = [rng.random() < 0.72 for _ in range(n)]
    abha_raw = [f"91{x:012d}" for x in _unique_numbers(rng, 10**11, 10**12, n)]
    abha_no = [x if h else None for x, h in zip(abha_raw, has_abha)]
    abha_fmt = [f"{x[:2]}-{x[2:6]}-{x[6:10]}-{x[10:]}" if x else None for x in abha_no]
    abha_addr = [
        f"{re.sub('[^a-z]', '', f.lower())}.{re.sub('[^a-z]', '', l.lower())[:6]}{x[-4:]}@abdm" if x else None
        for f, l, x in zip(first, last, abha_no)
    ]
    female = b.female
    pregnant = [f and 18 <= a <= 40 and s is not None and rng.random() < 0.25 for f, a, s in zip(female, age, spouse)]
    child_u5 = [a < 5 for a in age]
    rch = [str(x) for x in _unique_numbers(rng, 10**11, 10**12, n)]
    lmp_d = [REF_DATE - timedelta(days=rng.randint(30, 250)) for _ in range(n)]
    bank = [rng.choice(BANKS) for _ in range(n)]
    has_account = [a >= 18 and rng.random() < 0.55 for a in age]
    regids = [100001 + i for i in range(n)]
    benids = _unique_numbers(rng, 10**11, 10**12, n)
    second_id = [rng.choice(_ID_TYPES) for _ in range(n)]
    id_count = [(1 if h else 0) + (1 if a >= 18 and rng.random() < 0.35 else 0) for h, a in zip(has_aadhaar, age)]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    places_of = [m["place"] for m in members]
    state_codes = [pl.state_code for pl in places_of]

    def other_id(t: str, i: int) -> str:
        if t == "Voter ID":
            return "".join(rng.choices(letters, k=3)) + f"{rng.randint(0, 9999999):07d}"
        if t == "PAN Card":
            return "".join(rng.choices(letters, k=3)) + "P" + last[i][:1].upper() + f"{rng.randint(0, 9999):04d}" + rng.choice(letters)
        if t == "Driving Licence":
            return f"{state_codes[i]}{rng.randint(1, 99):02d} {rng.randint(2005, 2024)}{rng.randint(0, 9999999):07d}"
        return f"{state_codes[i]}{rng.randint(10**9, 10**10 - 1)}"

    # Children named in mother/couple registers: the household's own kids first, then others'.
    kid_names: list[list[str]] = [[] for _ in range(4)]
    kid_genders: list[list[str]] = [[] for _ in range(4)]
    anm: list[int] = [0] * n
    asha: list[int] = [0] * n
    for ids in hh_members:
        kids = [i for i in ids if members[i]["rel"] in ("Son", "Daughter")]
        a_anm, a_asha = rng.choice(roles["ANM"]), rng.choice(roles["ASHA"])
        for i in ids:
            anm[i], asha[i] = a_anm, a_asha
    for i, m in enumerate(members):
        kids = [k for k in hh_members[m["hh"]] if members[k]["rel"] in ("Son", "Daughter")] if m["rel"] in ("Self", "Wife") else []
        for k in range(4):
            if k < len(kids):
                kid_names[k].append(full[kids[k]])
                kid_genders[k].append("Female" if members[kids[k]]["female"] else "Male")
            else:
                f = rng.random() < 0.5
                kid_names[k].append(f"{rng.choice(pools.female if f else pools.male)} {last[i]}")
                kid_genders[k].append("Female" if f else "Male")
    for k in range(4):
        b.put(f"child{k + 1}_name", kid_names[k])
        b.put(f"child{k + 1}_gender", kid_genders[k])
        b.put(f"child{k + 1}_dob", [(REF_DATE - timedelta(days=rng.randint(30 + 700 * (3 - k), 700 * (4 - k)))).strftime("%Y-%m-%d") for _ in range(n)])
    b.put("anm", anm)
    b.put("asha", asha)
    b.put("birth_cert", [f"BC/{d[:4]}/{rng.randint(100000, 999999)}" for d in dob])
    b.put("family_hid", [10**7 + h * 7 + 1 for h in b.hh])
    b.put("index", range(n))
    b.put("regid", regids)
    b.put("benid", benids)
    b.put("first", first)
    b.put("middle", middle)
    b.put("last", last)
    b.put("full", full)
    b.put("gender", ["Female" if f else "Male" for f in female])
    b.put("gender_id", [2 if f else 1 for f in female])
    b.put("title", [("Baby" if a < 5 else "Ms" if s is None else "Mrs") if f else ("Master" if a < 14 else "Mr") for f, a, s in zip(female, age, spouse)])
    b.put("title_id", [(5 if a < 5 else 3 if s is None else 2) if f else (6 if a < 14 else 1) for f, a, s in zip(female, age, spouse)])
    b.put("marital", marital)
    b.put("marital_id", marital_id)
    b.put("marriage_age", marriage_age)
    b.put("marriage_date", marriage_date)
    b.put("dob", dob)
    b.put("birth_year", [d[:4] for d in dob])
    b.put("birth_month", [str(int(d[5:7])) for d in dob])
    b.put("birth_day", [str(int(d[8:10])) for d in dob])
    b.put("age", age)
    b.put("age_str", [f"{a} Years" if a else f"{rng.randint(1, 11)} Months" for a in age])
    b.put("age_unit", ["Years" if a else "Months" for a in age])
    b.put("father", father)
    b.put("mother", mother)
    b.put("spouse", spouse)
    b.put("relation", [m["rel"] for m in members])
    b.put("relation_id", [("Self", "Wife", "Son", "Daughter", "Mother", "Father").index(m["rel"]) + 1 for m in members])
    b.put("head_name", [full[h] for h in head_of])
    b.put("head_regid", [regids[h] for h in head_of])
    b.put("head_phone", head_phone)
    b.put("related_regid", [regids[r] if r >= 0 else None for r in related])
    b.put("family_name", [f"{l} family" for l in last])
    b.put("religion", [m["religion"] for m in members])
    b.put("religion_id", [[r for r, _ in _RELIGIONS].index(m["religion"]) + 1 for m in members])
    b.put("community", [m["community"] for m in members])
    b.put("community_id", [[c for c, _ in _COMMUNITIES].index(m["community"]) + 1 for m in members])
    edu = [_EDUCATION[min(6, max(0, (a - 5) // 3))] if a < 22 else rng.choice(_EDUCATION) for a in age]
    b.put("education", edu)
    b.put("education_id", [_EDUCATION.index(e) + 1 for e in edu])
    b.put("literacy", ["Illiterate" if e == "Illiterate" else "Literate" for e in edu])
    occ = [("Student" if a >= 5 else "Not Applicable") if a < 18 else rng.choice(_OCCUPATIONS_F if f else _OCCUPATIONS_M) for a, f in zip(age, female)]
    b.put("occupation", occ)
    occupations = list(dict.fromkeys(("Student", "Not Applicable") + _OCCUPATIONS_M + _OCCUPATIONS_F))
    b.put("occupation_id", [occupations.index(o) + 1 for o in occ])
    b.put("income", [m["income"] for m in members])
    b.put("income_id", [1 if m["income"] == "BPL" else 2 for m in members])
    b.put("phone", phone)
    b.put("phone2", phone2)
    b.put("phone_other", others)
    b.put("head_phone", head_phone)
    b.put("email", email)
    b.put("email_any", [e or f"{re.sub('[^a-z]', '', f.lower())}{i}@gmail.com" for i, (e, f) in enumerate(zip(email, first))])
    b.put("aadhaar", aadhaar)
    b.put("aadhaar_any", aad)  # for columns that must never be NULL
    b.put("pan", _pans(rng, n, [x[:1].upper() for x in last]))
    b.put("ration", [f"{sc}{rng.randint(10**9, 10**10 - 1)}" for sc in state_codes])
    b.put("id2_name", [t for t, _ in second_id])
    b.put("id2_type", [k for _, k in second_id])
    b.put("id2_no", [other_id(t, i) for i, (t, _) in enumerate(second_id)])
    b.put("abha_no", abha_no)
    b.put("abha_fmt", abha_fmt)
    b.put("abha_addr", abha_addr)
    b.put("rch", rch)
    b.put("child_rch", [str(x) for x in _unique_numbers(rng, 10**11, 10**12, n)])
    b.put("small_hid", [str(x) for x in _unique_numbers(rng, 10**7, 10**9, n)])
    b.put("nikshay", [f"NIK{rng.randint(10**8, 10**9 - 1)}" for _ in range(n)])
    b.put("pregnant_yn", ["Yes" if p else "No" for p in pregnant])
    b.put("lmp", [d.strftime("%Y-%m-%d") for d in lmp_d])
    b.put("edd", [(d + timedelta(days=280)).strftime("%Y-%m-%d") for d in lmp_d])
    b.put("bank", [x[0] for x in bank])
    b.put("ifsc", [_ifsc(rng, x[1]) for x in bank])
    b.put("account", [str(rng.randint(10**10, 10**16 - 1)) for _ in range(n)])
    b.put("branch", [f"{pl.district.split()[0]} Main Branch" for pl in places_of])
    b.put("created", [_fmt_ts(m["reg"]) for m in members])
    b.put("creator", [m["creator"] for m in members])
    b.put("hh", [10**11 + h + 1 for h in b.hh])
    b.put("ip", [rng.choice(pools.ipv4) for _ in range(n)])
    b.put("device_id", [rng.randint(100000, 999999) for _ in range(n)])
    _put_address(b, rng, pools, places_of, [m["block"] for m in members], [m["village"] for m in members], b.hh)
    b.flags = {
        "has_image": [rng.random() < 0.7 for _ in range(n)],
        "has_account": has_account,
        "has_abha": has_abha,
        "has_id": [c > 0 for c in id_count],
        "in_family": [r >= 0 for r in related],
        "pregnant": pregnant,
        "child_u5": child_u5,
        "eligible_couple": [f and 15 <= a <= 49 and s is not None for f, a, s in zip(female, age, spouse)],
        "in_1097": [rng.random() < 0.25 for _ in range(n)],
    }
    b.put("id_count", id_count)
    households = Entities([ids[0] for ids in hh_members])
    households.put("key", [h + 1 for h in range(len(hh_members))])
    households.put("size", [len(ids) for ids in hh_members])
    return b, households
