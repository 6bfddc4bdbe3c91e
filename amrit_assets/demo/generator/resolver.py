"""Column resolution: each column of a table becomes a generator (a function of the table's frame).

First match wins: the table's explicit settings, the column's link kind and PII category (carried
in ``sql/demo/column_kinds.tsv``), keys and FKs from the live schema, the column-name rules
(``sql/demo/name_rules.tsv``), and finally a filler fitting the column type.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from amrit_assets.demo.generator.base import BENREGID_NAMES, NULL, GenerationError
from amrit_assets.demo.generator.families import ValueFamilies
from amrit_assets.demo.generator.frames import Frame
from amrit_assets.demo.generator.key_rules import KeyRules
from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.name_rules import name_rule
from amrit_assets.demo.generator.plan import PLAN, TableSpec
from amrit_assets.demo.generator.values import _NUMBER, Ctx, Gen, _as_int_col, _draw, _epoch_ms, _fit, _gather, _sprinkle_nulls
from amrit_assets.demo.generator.vocabulary import _PHRASES, _WORDS


class Resolver(KeyRules, ValueFamilies):
    """Turns one column into a generator (and a short description used by ``--explain``)."""

    def __init__(self, ctx: Ctx, spec: TableSpec, info: TableInfo, kinds: dict[tuple[str, str, str], tuple[str, str]]):
        self.ctx = ctx
        self.spec = spec
        self.info = info
        self.kinds = kinds
        self.rng = ctx.rng
        self.w = ctx.world

    def hard_rng(self, col: Column) -> random.Random:
        """The hard cases' own RNG, seeded from the world's (so from the seed) and the column, without
        drawing from the world's stream: adding hard cases leaves every other generated value as it was."""
        state = self.rng.getstate()[1]
        return random.Random(f"hard/{state[0]}/{state[-1]}/{self.spec.db}.{self.spec.table}.{col.name}")

    # ---- generator factories -------------------------------------------------------------------

    def person(self, attr: str, col: Column) -> Gen:
        def g(f: Frame) -> list[str]:
            p = f.people if attr in f.people.attrs else self.w.bens
            # staff rows borrowing a beneficiary attribute: there may be fewer beneficiaries than staff
            who = f.who if p is f.people else [i % p.n for i in f.who]
            vals = _fit(col, _gather(p.get(attr), who), p.maxlen(attr))
            # Numbers too wide for an integer column: only check when the attribute can be that wide.
            return _as_int_col(col, vals) if col.is_int and p.maxlen(attr) >= len(str(col.int_max)) else vals

        return g

    def staff_attr(self, attr: str, col: Column) -> Gen:
        def g(f: Frame) -> list[str]:
            return _fit(col, _gather(self.w.staff.get(attr), f.staff), self.w.staff.maxlen(attr))

        return g

    def _entity_rows(self, f: Frame, kind: str) -> list[int]:
        if kind == "visit":
            if f.visit is not None:
                return f.visit
            first = self.w.ben_visits
            return [first[b][0] if b >= 0 and first[b] else -1 for b in f.who] if f.people is self.w.bens else [-1] * f.n
        if f.call is not None:
            return f.call
        first = self.w.ben_calls
        return [first[b][0] if b >= 0 and first[b] else -1 for b in f.who] if f.people is self.w.bens else [-1] * f.n

    def entity(self, kind: str, attr: str, col: Column) -> Gen:
        ents = self.w.visits if kind == "visit" else self.w.calls

        def g(f: Frame) -> list[str]:
            return _fit(col, _gather(ents.get(attr), self._entity_rows(f, kind)), ents.maxlen(attr))

        return g

    def const(self, v: str) -> Gen:
        return lambda f: [v] * f.n

    def choice(self, col: Column, values: Sequence[str], nulls: float = 0.0) -> Gen:
        if col.is_numeric and not all(_NUMBER.fullmatch(v) for v in values if v != NULL):
            return self.filler(col)
        vals = [v if col.max_len is None or not col.is_text else v[: col.max_len] for v in values]
        return lambda f: _sprinkle_nulls(self.rng, _draw(self.rng, vals, f.n), nulls)

    def ints(self, lo: int, hi: int) -> Gen:
        pool = [str(i) for i in range(lo, hi + 1)] if hi - lo < 5000 else None
        if pool:
            return lambda f: _draw(self.rng, pool, f.n)
        return lambda f: [str(self.rng.randint(lo, hi)) for _ in range(f.n)]

    def decimals(self, lo: float, hi: float, scale: int) -> Gen:
        pool = [f"{self.rng.uniform(lo, hi):.{scale}f}" for _ in range(200)]
        return lambda f: _draw(self.rng, pool, f.n)

    def when_mod(self) -> Gen:
        return lambda f: _sprinkle_nulls(self.rng, list(f.when), 0.4)

    # ---- resolution ----------------------------------------------------------------------------

    def resolve(self, col: Column) -> tuple[str, Gen]:
        """First match wins: table setting, beneficiary-id link, primary key, other link kinds, PII
        category, FK (unless a name rule names a world attribute), name rule, type filler."""
        key = self.spec.cols.get(col.name)
        if key:
            return key, self.from_key(key, col)
        pii, link = self.kinds.get((self.info.db, self.info.name, col.lname), ("", ""))
        if not link and col.lname in BENREGID_NAMES:
            link = "BEN_REG_ID"
        if link in ("BEN_REG_ID", "BENEFICIARY_ID"):
            k = self.link_key(link, col)
            return k, self.from_key(k, col)
        if self.info.pk == [col.name] and (col.is_int or col.is_text):
            return "key", lambda f: list(f.key)
        if link:
            k = self.link_key(link, col)
            if k:
                return k, self.from_key(k, col)
        if pii:
            k = self.pii_key(pii, col)
            if k:
                return k, self.from_key(k, col)
        k = self.name_rule(col)
        if col.name in self.info.fks:
            # Curated masters number their rows like the world's ids (gender, title, state...), so a
            # person/visit attribute beats a random master key.
            if k.split(":")[0] not in ("who", "visit", "call", "staff"):
                return self.fk(col)
        if k:
            return k, self.from_key(k, col)
        return "fill", self.filler(col)

    def from_key(self, key: str, col: Column) -> Gen:
        kind, _, arg = key.partition(":")
        if kind == "who":
            return self.person(arg, col)
        if kind == "staff":
            return self.staff_attr(arg, col)
        if kind in ("visit", "call"):
            return self.entity(kind, arg, col)
        if kind == "via":  # a staff attribute of the person's assigned ANM/ASHA
            role, _, attr = arg.partition(":")
            staff = self.w.staff

            def via(f: Frame) -> list[str]:
                idx = [int(v) if v != NULL else -1 for v in _gather(self.w.bens.get(role), f.who)] if f.people is self.w.bens else f.staff
                return _fit(col, _gather(staff.get(attr), idx), staff.maxlen(attr))

            return via
        if kind == "const":
            return self.const(arg)
        if kind == "null":
            return self.const(NULL)
        if kind == "key":
            return lambda f: list(f.key)
        if kind == "benkey":
            return lambda f: list(f.benkey)
        if kind == "benkey_if":
            flags = self.w.bens.flags[arg]
            return lambda f: [k if i >= 0 and flags[i] else NULL for k, i in zip(f.benkey, f.who)]
        if kind in ("when", "when_mod"):
            g = (lambda f: list(f.when)) if kind == "when" else self.when_mod()
            if col.is_int and col.int_max >= 10**13:
                return lambda f: [_epoch_ms(v) for v in g(f)]
            return lambda f: _fit(col, g(f))
        if kind == "choice":
            return self.choice(col, arg.split("|"))
        if kind == "int":
            lo, hi = (int(x) for x in arg.split(","))
            return self.ints(lo, hi)
        if kind == "dec":
            lo, hi, sc = arg.split(",")
            return self.decimals(float(lo), float(hi), int(sc))
        if kind == "date":
            return self.date_pool(col)
        if kind == "text":
            return self.free_text(arg, col)
        if kind == "payload":
            return self.payload(col)
        if kind == "media":
            return self.media(arg, col)
        if kind == "cred":
            return self.credential(col)
        if kind == "ip":
            return self.choice(col, self.w.pools.ipv6 if arg == "v6" else self.w.pools.ipv4)
        if kind == "ident":
            return self.identity(arg, col)
        if kind == "sometimes":  # sometimes:<frac>:<inner key>
            frac, _, inner = arg.partition(":")
            g = self.from_key(inner, col)
            return lambda f: _sprinkle_nulls(self.rng, g(f), 1 - float(frac))
        if kind == "fill":
            return self.filler(col)
        raise GenerationError(f"unknown generator key {key!r}")

    def link_key(self, link: str, col: Column) -> str:
        n = col.lname
        if link == "BEN_REG_ID":
            if n == "parentbenregid":
                return "who:head_regid"
            if n == "associatedbenregid":
                return "who:related_regid"
            return "who:regid"
        if link == "BENEFICIARY_ID":
            return "null" if col.is_int and col.int_max < 10**12 else "who:benid"
        if link in ("BEN_MAP_ID",):
            return "benkey"
        if link == "BEN_IDENTITY_INTERNAL":
            # Optional rows: point at them only where this database has that row for the person.
            for part, table, flag in (("image", "i_beneficiaryimage", "has_image"), ("account", "i_beneficiaryaccount", "has_account")):
                if part in n:
                    planned = any(s.db == self.info.db and s.table == table for s in PLAN)
                    return f"benkey_if:{flag}" if planned else "null"
            if "securestack" in n:
                return "null"
            return "benkey"
        if link == "BEN_VISIT_ID":
            return "null" if n.startswith("referred") else "visit:key"
        if link == "VISIT_CODE":
            return "null" if n.startswith("referred") else "visit:code"
        if link == "BEN_FLOW_ID":
            return "visit:key"
        if link == "BEN_CALL_ID":
            return "call:key"
        if link == "CALL_ID":
            return "call:callid"
        if link == "USER_ID":
            role = re.match(r"(anm|asha)_?id$", n)
            return f"via:{role.group(1)}:user_id" if role and self.spec.driver != "staff" else "staff:user_id"
        if link == "HOUSEHOLD_ID":
            return "who:hh"
        if link in ("MCTS_RCH_ID", "HEALTH_ID"):
            return self.health_key(col)
        return ""
    def name_rule(self, col: Column) -> str:
        return name_rule(col, self.spec, self.info)

    def fk(self, col: Column) -> tuple[str, Gen]:
        rdb, rt, rc = self.info.fks[col.name]
        ref = self.ctx.filled.get(f"{rdb}.{rt}")
        if ref is None:
            return "null (FK to an unfilled table)", self.const(NULL) if col.nullable else self.ints(1, 1)
        if ref.frame.entity == "master":
            keys = ref.frame.key
            return f"master:{rt}", lambda f: _draw(self.rng, keys, f.n)
        kind = ref.frame.entity
        emap = ref.entity_key()
        keys = ref.frame.key

        def g(f: Frame) -> list[str]:
            if kind in ("visit", "call"):
                ents = self._entity_rows(f, kind)
            elif kind == "staff":
                ents = f.staff
            else:
                ents = f.who if f.people is self.w.bens else [-1] * f.n
            out = [emap.get(e, NULL) for e in ents]
            if not col.nullable:
                out = [v if v != NULL else self.rng.choice(keys) for v in out]
            return out

        return f"fk:{rt}", g

    def filler(self, col: Column) -> Gen:  # noqa: C901
        """A plausible value for a column nobody described: by type, length and a few name hints."""
        rng = self.rng
        n = col.lname
        dt = col.data_type
        nulls = 0.15 if col.nullable else 0.0
        if dt == "bit" or (dt == "tinyint" and col.column_type.startswith("tinyint(1)")):
            pool = ["0", "0", "1"]
        elif col.is_int:
            top = min(col.int_max, 10**6)
            if n.endswith("id") or n.endswith("_id") or n.endswith("no"):
                pool = [str(rng.randint(1, min(20, top))) for _ in range(60)]
            elif re.search(r"count|num|no_of|noof|qty|quantity|cnt", n):
                pool = [str(rng.randint(0, min(6, top))) for _ in range(60)]
            elif dt == "tinyint":
                pool = [str(rng.randint(0, 9)) for _ in range(60)]
            elif dt == "smallint":
                pool = [str(rng.randint(0, 99)) for _ in range(60)]
            elif "date" in n and dt == "bigint":
                pool = [d[:10].replace("-", "") for d in self.w.pools.dates]
            else:
                pool = [str(rng.randint(0, min(top, 999))) for _ in range(60)]
        elif dt == "decimal":
            p, s = col.precision or 10, col.scale or 0
            top = min(10 ** (p - s) - 1, 500)
            pool = [f"{rng.uniform(0, top):.{s}f}" for _ in range(60)]
        elif dt in ("float", "double"):
            pool = [f"{rng.uniform(0, 100):.2f}" for _ in range(60)]
        elif dt in ("date", "datetime", "timestamp", "time", "year"):
            return (lambda g: (lambda f: _sprinkle_nulls(rng, g(f), nulls)))(self.date_pool(col))
        elif dt in ("enum", "set"):
            pool = re.findall(r"'((?:[^']|'')*)'", col.column_type)[:1 if dt == "set" else None] or [""]
        elif dt == "json":
            pool = ['{"status":"ok"}', "{}"]
        elif dt in ("blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary"):
            if col.nullable:
                return self.const(NULL)
            pool = ["0"]
        else:
            size = col.max_len or 255
            if size <= 2:
                pool = ["Y", "N"] if size >= 1 else [""]
            elif size <= 4:
                pool = ["N", "Y", "NA"]
            elif re.search(r"status$", n):
                pool = ["Active", "Completed", "Pending", "Open", "Closed"]
            elif re.search(r"(^|_)(is|has)[a-z_]*|flag", n):
                pool = ["Yes", "No", "No"]
            else:
                pool = list(_WORDS) + ([p for p in _PHRASES] if size >= 30 else [])
            pool = [v[:size] for v in pool]
        return self.choice(col, pool, nulls)
