"""Value families: dates, identity documents, free text, JSON payloads, media and credentials (``Resolver`` inherits these)."""

from __future__ import annotations

import random
from collections.abc import Callable

from amrit_assets.demo.generator.base import NULL
from amrit_assets.demo.generator.frames import Frame
from amrit_assets.demo.generator.live_schema import Column
from amrit_assets.demo.generator.values import HARD_FLAVORS, Gen, _draw, _fit, _gather, _sprinkle_nulls, hard_case, payload_extra
from amrit_assets.demo.generator.vocabulary import COMPLAINTS, DIAGNOSES
from amrit_assets.demo.generator.world import World


class ValueFamilies:
    """Generators for whole families of columns; needs the resolver's ``rng``, ``w``, ``choice``, ``ints``, ``hard_rng``."""

    rng: random.Random
    w: World

    def date_pool(self, col: Column) -> Gen:
        pool = self.w.pools.dates
        if col.data_type == "date":
            pool = [d[:10] for d in pool]
        elif col.data_type == "time":
            pool = [d[11:] for d in pool]
        elif col.data_type == "year":
            pool = [d[:4] for d in pool]
        return self.choice(col, pool)

    def identity(self, what: str, col: Column) -> Gen:
        """i_beneficiaryidentity: first row per person is the Aadhaar, a second one another document."""
        b = self.w.bens

        def g(f: Frame) -> list[str]:
            out = []
            if what == "no":
                aad, other = b.get("aadhaar_any"), b.get("id2_no")
                for i, s in zip(f.who, f.sub):
                    out.append(aad[i] if s == 0 else other[i])
            elif what == "name":
                other = b.get("id2_name")
                out = ["Aadhaar" if s == 0 else other[i] for i, s in zip(f.who, f.sub)]
            else:
                other = b.get("id2_type")
                out = ["1" if s == 0 else other[i] for i, s in zip(f.who, f.sub)]
            return _fit(col, out)

        return g

    _TEMPLATES: dict[str, tuple[Callable[[tuple], str], ...]] = {
        "remark": (
            lambda r: f"Patient {r[0]} c/o {r[3]} since {r[4]} days",
            lambda r: f"Called on {r[2]}, {r[1]} advised to visit PHC",
            lambda r: f"{r[3]} for {r[4]} days. Advised rest and fluids",
            lambda r: f"Beneficiary {r[0]} from {r[5]} referred to CHC",
            lambda r: f"Contact number {r[2]} belongs to {r[6]}",
            lambda r: "No complaints",
            lambda r: f"Follow up after {r[4]} days",
            lambda r: f"Counselled {r[1]} about nutrition and hygiene",
            lambda r: f"Mobile {r[2]} not reachable, informed ASHA",
            lambda r: "Known case of hypertension, on regular medication",
            lambda r: f"{r[0]} ({r[2]}) requested call back",
            lambda r: "Beneficiary satisfied with the service",
        ),
        "reason": (
            lambda r: f"{r[3]} not resolved after {r[4]} days",
            lambda r: "Severe anaemia",
            lambda r: f"Previous history of {r[7]}",
            lambda r: "Beneficiary not available at home",
            lambda r: f"Phone {r[2]} switched off",
            lambda r: "Migrated to another district",
        ),
        "advice": (
            lambda r: f"Take medicines regularly, review after {r[4]} days",
            lambda r: "Drink plenty of fluids and take rest",
            lambda r: f"{r[1]} to visit nearest PHC for {r[7]}",
            lambda r: "Reduce salt intake, walk 30 minutes daily",
        ),
        "complaint": (lambda r: r[3], lambda r: f"{r[3]} since {r[4]} days", lambda r: f"{r[3]} and {r[8]}"),
        "diagnosis": (lambda r: r[7],),
        "place": (lambda r: f"CHC {r[5]}", lambda r: f"District Hospital {r[9]}", lambda r: f"PHC {r[5]}"),
        "other": (lambda r: "Others", lambda r: r[3], lambda r: f"Discussed with {r[1]}"),
        "insurer": (lambda r: "Ayushman Bharat PM-JAY", lambda r: f"Star Health, policy holder {r[6]}", lambda r: "None",
                    lambda r: f"LIC ({r[0]})"),
        "source": (lambda r: "ASHA", lambda r: "Self", lambda r: f"Neighbour {r[6]}", lambda r: f"{r[6]}, {r[2]}"),
    }

    def free_text(self, flavor: str, col: Column) -> Gen:
        """Notes in the staff's words: several mention the person's name or phone, as real ones do."""
        templates = self._TEMPLATES.get(flavor, self._TEMPLATES["remark"])
        w = self.w
        rng = self.rng

        def g(f: Frame) -> list[str]:
            p = f.people
            full, first, phone = _gather(p.get("full"), f.who), _gather(p.get("first"), f.who), _gather(p.get("phone"), f.who)
            village = _gather(p.get("village"), f.who)
            kin = _gather(w.bens.get("head_name"), f.who) if p is w.bens else full
            district = _gather(p.get("district"), f.who)
            comp = _draw(rng, COMPLAINTS, f.n)
            comp2 = _draw(rng, COMPLAINTS, f.n)
            diag = _draw(rng, DIAGNOSES, f.n)
            days = _draw(rng, ("2", "3", "4", "5", "7", "10", "15"), f.n)
            which = _draw(rng, templates, f.n)
            out = [
                NULL if nm == NULL else t((nm, fi, ph, c, d, v, k, dg, c2, di))
                for t, nm, fi, ph, c, d, v, k, dg, c2, di in zip(which, full, first, phone, comp, days, village, kin, diag, comp2, district)
            ]
            if flavor in HARD_FLAVORS:
                hard = self.hard_rng(col)
                out = [v if v == NULL else v + hard_case(hard, w, i) for v, i in zip(out, f.who)]
            return _fit(col, _sprinkle_nulls(rng, out, 0.08 if col.nullable else 0))

        return g

    def payload(self, col: Column) -> Gen:
        """A small JSON document repeating the person's identifiers, like AMRIT's request/response logs."""
        w = self.w

        def g(f: Frame) -> list[str]:
            p = f.people
            regid = _gather(w.bens.get("regid"), f.who) if p is w.bens else _gather(p.get("user_id"), f.who)
            first, last, phone = _gather(p.get("first"), f.who), _gather(p.get("last"), f.who), _gather(p.get("phone"), f.who)
            aad = _gather(p.get("aadhaar_any") if "aadhaar_any" in p.attrs else p.get("aadhaar"), f.who)
            dob = _gather(p.get("dob"), f.who)
            user = _gather(w.staff.get("username"), f.staff)
            hard = self.hard_rng(col)
            out = [
                f'{{"beneficiaryRegID":{r},"firstName":"{a}","lastName":"{b}","phoneNo":"{ph}","aadhaarNo":"{ad}","dob":"{d}","createdBy":"{u}"'
                + payload_extra(hard, w, r, ph, ad) + "}"
                if r != NULL
                else NULL
                for r, a, b, ph, ad, d, u in zip(regid, first, last, phone, aad, dob, user)
            ]
            return _fit(col, out)

        return g

    def media(self, name: str, col: Column) -> Gen:
        pools = self.w.pools
        if "embedding" in name or "face" in name:
            return self.choice(col, pools.embeddings)
        big = col.max_len is None or col.max_len > 1000
        if big and ("biometric" in name or "finger" in name):
            return self.choice(col, pools.b64_fp)
        if big:
            return self.choice(col, ["data:image/jpeg;base64," + s for s in pools.b64])
        w = self.w
        ext, folder = (".wav", "recordings") if ("record" in name or "archive" in name) else (".pdf", "reports") if "report" in name or "certificate" in name or "file" in name else (".jpg", "images")

        def g(f: Frame) -> list[str]:
            ids = _gather(w.bens.get("regid"), f.who) if f.people is w.bens else _gather(f.people.get("user_id"), f.who)
            dates = f.when
            return _fit(col, [f"/opt/amrit/{folder}/{d[:4]}/{d[5:7]}/{i}_{name[:12]}{ext}" for i, d in zip(ids, dates)])

        return g

    def credential(self, col: Column) -> Gen:
        rng = self.rng
        n = col.lname
        if col.is_int:
            return self.ints(100000, 999999)
        size = col.max_len or 60
        if size >= 60 and "salt" not in n and "key" not in n:
            return self.choice(col, self.w.pools.bcrypt)
        hexlen = min(size, 64)
        alnum = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        if "salt" in n or "key" in n or "token" in n:
            pool = ["".join(rng.choices("0123456789abcdef", k=hexlen)) for _ in range(200)]
        else:
            pool = ["".join(rng.choices(alnum, k=min(size, 12))) for _ in range(200)]
        return self.choice(col, pool)
