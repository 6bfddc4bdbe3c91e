"""Which world attribute a column holds, from its PII category and name (``Resolver`` inherits these)."""

from __future__ import annotations

import re

from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.plan import TableSpec


class KeyRules:
    """Generator keys (``who:phone``, ``staff:username``, ...) per PII category; needs ``spec`` and ``info``."""

    spec: TableSpec
    info: TableInfo

    def health_key(self, col: Column) -> str:
        n = col.lname
        if col.is_int and col.int_max < 10**11:
            return "who:family_hid" if "family" in n else "who:small_hid"
        if "nikshay" in n:
            return "who:nikshay"
        if "rch" in n or "mcts" in n or "registration" in n or n in ("motherid", "childid", "mother_id", "child_id"):
            return "who:child_rch" if "child" in n else "who:rch"
        if "number" in n:
            return "who:abha_fmt" if (col.max_len or 0) >= 17 else "who:abha_no"
        if "healthid" in n or "abha" in n:
            return "who:abha_addr"
        return "who:rch"

    def pii_key(self, cat: str, col: Column) -> str:  # noqa: C901 - one readable table of cases
        n = col.lname
        staffish = self.spec.driver == "staff" or (self.spec.driver == "copy" and self.info.name == "dim_user")
        if cat in ("AUDIT_USERNAME", "STAFF_USERNAME"):
            if col.is_int:
                return "staff:user_id"
            if staffish and n in ("username", "czuserid", "agentid"):
                return {"username": "who:username", "czuserid": "who:cz_user", "agentid": "who:agent_id"}[n]
            return "staff:username"
        if cat == "STAFF_ID":
            if staffish:
                return "who:hpr_id" if "professional" in n or "hpr" in n else "who:employee_id"
            return "staff:hpr_id" if "hpr" in n else "staff:employee_id"
        role = re.match(r"(anm|asha)(_|ph|name|id|$)", n)
        if role and not staffish and cat in ("NAME_STAFF", "PHONE", "STAFF_ID"):
            attr = {"NAME_STAFF": "full", "PHONE": "phone", "STAFF_ID": "employee_id"}[cat]
            return f"via:{role.group(1)}:{attr}"
        if cat == "NAME_STAFF":
            who = "who" if staffish else "staff"
            part = "first" if "first" in n else "middle" if "middle" in n else "last" if "last" in n else "full"
            return f"{who}:{part}"
        if cat == "NAME_PERSON":
            if "family" in n:
                return "who:family_name"
            if "child" in n and self.info.name not in ("t_childvaliddata",):
                return "who:child1_name"
            if "first" in n:
                return "who:first"
            if "middle" in n:
                return "who:middle"
            if "last" in n or "surname" in n:
                return "who:last"
            return "who:full"
        if cat == "NAME_RELATIVE":
            m = re.search(r"child(\d)?_?name", n)
            if m:
                return f"who:child{min(int(m.group(1) or 1), 4)}_name"
            if "father" in n:
                return "who:father"
            if "mother" in n:
                return "who:mother"
            if "spouse" in n or "husband" in n or "wife" in n:
                return "who:spouse"
            if "head" in n or "emergency" in n:
                return "who:head_name" if not staffish else "who:spouse"
            return "who:father"
        if cat == "PHONE":
            if col.is_int:
                return "who:phone" if col.int_max >= 10**10 else "null"
            if staffish:
                return "who:phone2" if "emergency" in n else "who:phone"
            if re.search(r"anm|asha", n):
                return "staff:phone"
            if "landline" in n:
                return "who:landline"
            if re.search(r"emergency|relation|whom|head|other|parent|phonenum2", n):
                return "who:phone2" if "phonenum2" in n or "emergency" in n else "who:head_phone"
            if re.search(r"phonenum[345]", n):
                return "sometimes:0.6:who:phone_other"
            return "who:phone"
        if cat == "EMAIL":
            if self.spec.driver == "master":
                return "who:email_any"
            if staffish or "auth" in n:
                return "who:email" if staffish else "staff:email"
            return "who:email"
        if cat == "GOV_ID":
            if "pan" == n or n.endswith("pan"):
                return "who:pan"
            if "ration" in n:
                return "who:ration"
            if "identityno" == n:
                return "ident:no"
            if "birthcertificate" in n:
                return "who:birth_cert"
            if col.is_int:
                return "who:aadhaar_any" if col.int_max >= 10**12 else "null"
            return "who:aadhaar" if staffish or self.spec.driver != "ben" else "who:aadhaar_any"
        if cat == "HEALTH_ID":
            if self.info.pk == [col.name]:
                return "key"
            return self.health_key(col)
        if cat == "BANK":
            if "ifsc" in n:
                return "who:ifsc"
            if "branch" in n:
                return "who:branch"
            if "name" in n or n == "bank":
                return "who:bank"
            return "who:account"
        if cat == "ADDRESS":
            return self.address_key(col)
        if cat == "GEOLOCATION":
            if "digipin" in n:
                return "who:digipin"
            if "lat" in n:
                return "who:lat"
            if "lon" in n or "lng" in n:
                return "who:lon"
            return "who:coord"
        if cat == "DOB_AGE":
            return self.dob_key(col)
        if cat == "QUASI_DEMOGRAPHIC":
            return self.quasi_key(col)
        if cat == "FREE_TEXT":
            return self.text_key(col)
        if cat == "SERIALIZED_PAYLOAD":
            return "payload"
        if cat == "MEDIA_BIOMETRIC":
            return "media:" + col.lname
        if cat == "CREDENTIAL":
            return "cred"
        if cat == "IP_DEVICE":
            if col.is_int:
                return "who:device_id"
            return "ip:v6" if "v6" in n else "ip:v4"
        return ""

    def address_key(self, col: Column) -> str:
        n = col.lname
        if col.is_int:
            return "who:pin" if "pin" in n else "who:village_id"
        if "pin" in n:
            return "who:pin"
        if "ward" in n:
            return "who:ward"
        if re.search(r"village|habitation|colony|mohalla|gp_", n):
            return "who:village"
        if re.search(r"subdistrict|block|taluk", n):
            return "who:block"
        if "district" in n:
            return "who:district"
        if "state" in n:
            return "who:state"
        if "city" in n:
            return "who:city"
        if re.search(r"zone|area|servicepoint", n):
            return "who:block"
        if re.search(r"line1|houseno|housenum|house_no", n):
            return "who:house" if "house" in n else "who:line1"
        if re.search(r"line2|street", n):
            return "who:street"
        if "line3" in n:
            return "who:village"
        return "who:address"

    def dob_key(self, col: Column) -> str:
        n = col.lname
        if "death" in n:
            return "sometimes:0.08:date" if col.is_temporal or col.is_text else "null"
        if n.startswith("year") or n == "yob":
            return "who:birth_year"
        if n.startswith("month"):
            return "who:birth_month"
        if n.startswith("day"):
            return "who:birth_day"
        if "unit" in n:
            return "who:age_unit"
        if "marriage" in n:
            return "who:marriage_date" if col.is_temporal else "who:marriage_age"
        m = re.search(r"dob(\d)", n)
        if m:
            return f"who:child{min(max(int(m.group(1)), 1), 4)}_dob"
        if col.is_temporal:
            return "who:dob"
        if col.is_int or col.is_numeric:
            return "who:age"
        if "dob" in n or "birth" in n or "date" in n:
            return "who:dob"
        return "who:age_str"

    def quasi_key(self, col: Column) -> str:
        n = col.lname
        num = col.is_numeric
        if "orientation" in n:
            return "choice:Heterosexual|Not Disclosed"
        for pat, attr in (
            (r"gender|sex", "gender"),
            (r"religion", "religion"),
            (r"caste|community", "community"),
            (r"income|bpl|apl", "income"),
            (r"education|literacy", "education"),
            (r"occupation", "occupation"),
            (r"marital", "marital"),
            (r"title", "title"),
        ):
            if re.search(pat, n):
                m = re.search(r"child(\d)?", n) or re.fullmatch(r"gender(\d)", n)
                if m and attr == "gender":
                    return f"who:child{min(int(m.group(1) or 1), 4)}_gender"
                if attr == "income" and not num and ("bpl" in n or "apl" in n):
                    return "who:income"
                if attr == "income" and not num:
                    return "choice:Below 5000|5000-10000|10000-25000|Above 25000"
                return f"who:{attr}_id" if num else f"who:{attr}"
        if "disab" in n:
            return "int:0,1" if num else "choice:None|None|None|Locomotor|Visual|Hearing"
        if "blood" in n:
            return "choice:A+|B+|O+|AB+|O-"
        if "exposure" in n:
            return "int:0,1" if num else "choice:None|Crop residue burning|Industrial dust|Mining"
        return "int:1,5" if num else "choice:Others"

    def text_key(self, col: Column) -> str:
        n = col.lname
        if col.is_numeric or col.is_temporal:
            return "fill"
        if "death" in n:
            return "sometimes:0.08:text:reason"
        if "gps" in n:
            return "choice:GPS signal weak|Location permission denied|Device GPS switched off"
        if self.spec.driver == "staff" or self.info.name == "dim_user":
            return "text:other"
        if "complain" in n or "symptom" in n:
            return "text:complaint"
        if "diagnos" in n or "disease" in n:
            return "text:diagnosis"
        if re.search(r"advice|instruction|recommend|treatment", n):
            return "text:advice"
        if re.search(r"reason|risk|illness|complication|cause", n):
            return "text:reason"
        if re.search(r"institut|facility|place|name", n):
            return "text:place"
        if n.startswith("other") or "type" in n:
            return "text:other"
        return "text:remark"
