"""Frames: the context of every row of one table (whose row it is, who made it, when, its key)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from amrit_assets.demo.generator.base import START_DATE, GenerationError, _fmt_ts
from amrit_assets.demo.generator.live_schema import TableInfo
from amrit_assets.demo.generator.people import People
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.demo.generator.vocabulary import MASTER_VALUES
from amrit_assets.demo.generator.world import World

if TYPE_CHECKING:
    from amrit_assets.demo.generator.values import Filled


@dataclass
class Frame:
    n: int
    people: People
    who: list[int]  # person index per row (-1: none)
    staff: list[int]  # staff member who created the row
    when: list[str]  # row timestamp
    key: list[str]  # primary-key value per row
    benkey: list[str]  # the person's key in this database (mapping/details/... ids)
    entity: str  # ben | visit | call | staff | household | master
    visit: list[int] | None = None
    call: list[int] | None = None
    sub: list[int] = field(default_factory=list)  # row number within its entity (0-based)
    source_rows: list[int] | None = None  # copy: rows of the source frame


def _frame_for(spec: TableSpec, w: World, rng: random.Random, db_keys: dict[str, list[str]]) -> Frame:
    """Rows and their context for a driven (non-copy, non-master) table."""
    b = w.bens
    lo, hi = spec.each

    def expand(entities: Sequence[int], keep: Callable[[int], bool]) -> tuple[list[int], list[int]]:
        chosen = [e for e in entities if keep(e)]
        if spec.share < 1.0:
            chosen = sorted(rng.sample(chosen, round(len(chosen) * spec.share)))
        if lo == hi == 1:
            return chosen, [0] * len(chosen)
        rows, sub = [], []
        for e in chosen:
            k = lo if lo == hi else rng.randint(lo, hi)
            rows.extend([e] * k)
            sub.extend(range(k))
        return rows, sub

    if spec.driver in ("ben", "ben1097"):
        universe = range(b.n) if spec.driver == "ben" else w.ben1097
        benkeys = db_keys["ben" if spec.driver == "ben" else "ben1097"]
        rows, sub = expand(universe, w.predicate(spec.where))
        keyed = lo == hi == 1
        bk = [benkeys[i] for i in rows]
        creator = b.get("creator")
        return Frame(
            len(rows), b, rows, [int(creator[i]) for i in rows], [b.get("created")[i] for i in rows],
            bk if keyed else [str(k + 1) for k in range(len(rows))], bk, "ben", sub=sub,
        )  # fmt: skip
    if spec.driver in ("visit", "call"):
        ents = w.visits if spec.driver == "visit" else w.calls
        if spec.where in ("anc", "ncd"):
            flag = ents.get(spec.where)
            keep: Callable[[int], bool] = lambda e: flag[e] == "1"  # noqa: E731
        elif spec.where:
            bp = w.predicate(spec.where)
            keep = lambda e: bp(ents.ben[e])  # noqa: E731
        else:
            keep = lambda e: True  # noqa: E731
        rows, sub = expand(range(ents.n), keep)
        keyed = lo == hi == 1
        ekey = ents.get("key")
        who = [ents.ben[e] for e in rows]
        benkeys = db_keys["ben"]
        est = ents.get("staff")
        ets = ents.get("ts")
        return Frame(
            len(rows), b, who, [int(est[e]) for e in rows], [ets[e] for e in rows],
            [ekey[e] for e in rows] if keyed else [str(k + 1) for k in range(len(rows))],
            [benkeys[i] for i in who], spec.driver,
            visit=rows if spec.driver == "visit" else None, call=rows if spec.driver == "call" else None, sub=sub,
        )  # fmt: skip
    if spec.driver == "staff":
        s = w.staff
        rows = list(range(s.n))
        keys = [str(i + 1) for i in rows]
        return Frame(s.n, s, rows, [0] * s.n, s.get("created")[:-1], keys, keys, "staff", sub=[0] * s.n)
    if spec.driver == "household":
        hh = w.households
        rows = list(range(hh.n))
        heads = hh.ben
        keys = hh.get("key")[:-1]
        creator = b.get("creator")
        return Frame(
            hh.n, b, heads, [int(creator[i]) for i in heads], [b.get("created")[i] for i in heads], keys,
            [db_keys["ben"][i] for i in heads], "household", sub=[0] * hh.n,
        )  # fmt: skip
    raise GenerationError(f"{spec.name}: unknown driver {spec.driver!r}")

def _copy_frame(spec: TableSpec, sources: list[Filled], rng: random.Random) -> Frame:
    src = sources[0].frame
    for s in sources[1:]:
        if s.frame.n != src.n:
            raise GenerationError(f"{spec.name}: copy sources have different row counts")
    rows = [i for i in range(src.n) if spec.share >= 1.0 or rng.random() < spec.share]
    return Frame(
        len(rows), src.people, [src.who[i] for i in rows], [src.staff[i] for i in rows], [src.when[i] for i in rows],
        [str(k + 1) for k in range(len(rows))], [src.benkey[i] for i in rows], src.entity,
        visit=[src.visit[i] for i in rows] if src.visit is not None else None,
        call=[src.call[i] for i in rows] if src.call is not None else None,
        sub=[src.sub[i] for i in rows], source_rows=rows,
    )  # fmt: skip


def _master_rows(info: TableInfo, w: World) -> tuple[list[str], dict[str, list[str]]]:
    """Keys and curated columns of a referenced master table.

    Geography and service masters are numbered exactly like the world's ids (StateID, DistrictID,
    BlockID, ProviderServiceMapID), so those columns elsewhere point at existing master rows.
    """
    cols = {c.name for c in info.columns}
    curated: dict[str, list[str]] = {c: list(v) for c, v in MASTER_VALUES.get(info.name, {}).items()}
    states = sorted({p.state_id: p for p in w.places}.items())
    if info.name in ("m_state", "m_providerservicemapping"):
        keys = [str(i) for i, _ in states]
        if info.name == "m_state":
            curated.update(StateName=[p.state for _, p in states], StateCode=[p.state_code for _, p in states],
                           CountryID=["1"] * len(states), Language=[p.language for _, p in states])  # fmt: skip
        else:
            curated.update(StateID=keys, ServiceID=["1"] * len(keys), CountryID=["1"] * len(keys), ServiceProviderID=["1"] * len(keys))
    elif info.name == "m_district":
        keys = [str(p.district_id) for p in w.places]
        curated.update(DistrictName=[p.district for p in w.places], StateID=[str(p.state_id) for p in w.places])
    elif info.name == "m_districtblock":
        keys, names, dist, st = [], [], [], []
        for p in w.places:
            for j, b in enumerate(p.blocks):
                keys.append(str(p.district_id * 10 + j + 1))
                names.append(b)
                dist.append(str(p.district_id))
                st.append(str(p.state_id))
        curated.update(BlockName=names, DistrictID=dist, StateID=st)
    else:
        keys = [str(i + 1) for i in range(max((len(v) for v in curated.values()), default=6))]
    return keys, {c: [v[i % len(v)] for i in range(len(keys))] for c, v in curated.items() if c in cols}


def _master_frame(keys: list[str], w: World, rng: random.Random) -> Frame:
    k = len(keys)
    when = [_fmt_ts(START_DATE - timedelta(days=400 - i)) for i in range(k)]
    who = [rng.randrange(w.bens.n) for _ in range(k)]
    staff = [rng.randrange(w.staff.n) for _ in range(k)]
    return Frame(k, w.bens, who, staff, when, keys, keys, "master", sub=[0] * k)
