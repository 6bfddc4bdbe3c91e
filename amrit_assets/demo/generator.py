"""Synthetic, linked, realistic data for an empty AMRIT schema (demo "production" and tests).

The anonymizer has to be shown (and tested) on data shaped like AMRIT's: one person registered in
``db_identity`` reappears under the same BenRegID/BeneficiaryID in visits, calls and FLW registers of
``db_iemr``, in the 1097 helpline's own identity copy, in ``db_reporting``'s dims and facts and in
stale ``*_bkp_*`` copies; free text mentions names and phones; JSON blobs repeat them; audit columns
name real staff accounts. This module fabricates exactly that, deterministically per seed.

How it works, and why:
- A *world* (beneficiaries grouped in households, staff, visits, calls) is built once in Python from
  value pools drawn from Faker ``en_IN`` (Faker is far too slow to call per row).
- Each filled table has a *driver* (one row per beneficiary, visit, call, staff member, household, or
  a copy of another table's rows) giving every row its context; each column is then resolved once to
  a generator from, in order: the table's explicit settings, the column's link kind and PII category
  (carried in ``sql/demo/column_kinds.tsv``, derived from the AMRIT data dictionary), keys and FKs read
  from the live schema, column-name rules, and finally a filler fitting the column type.
- Columns are generated whole (lists of TSV fields), written to a TSV file and loaded with
  ``LOAD DATA LOCAL INFILE`` by two loader threads while the next table is generated; multi-row
  INSERTs are the fallback when the server refuses local files.
"""

from __future__ import annotations

import argparse
import csv
import os
import queue
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from amrit_assets.common.verhoeff import verhoeff_check_digit
from amrit_assets.paths import SQL_DIR
from amrit_assets.resources.mysql import ServerAddress, connect

DEMO_DIR = SQL_DIR / "demo"
KINDS_FILE = DEMO_DIR / "column_kinds.tsv"
PLACES_FILE = DEMO_DIR / "places.tsv"

# A fixed "today", so the same seed gives the same ages and dates on any day.
REF_DATE = datetime(2025, 6, 30, 18, 0, 0)
START_DATE = datetime(2019, 1, 1)
NULL = "\\N"  # LOAD DATA's NULL; also the sentinel at index -1 of every attribute list

ID, X1097, IEMR, REP = "db_identity", "db_1097_identity", "db_iemr", "db_reporting"

# The 11 spellings AMRIT uses for a beneficiary registration id (see the data dictionary README).
BENREGID_NAMES = frozenset(
    n.lower()
    for n in (
        "BeneficiaryRegID",
        "beneficiary_reg_id",
        "BenRegId",
        "Beneficiaryregid",
        "BenificiaryRegID",
        "BenneficiaryRegID",
        "AssociatedBenRegID",
        "ParentBenRegID",
    )
)


class GenerationError(RuntimeError):
    pass


@dataclass
class GenerationReport:
    rows: dict[str, int]  # "db.table" -> rows inserted
    beneficiaries: int
    seconds: float
    warnings: dict[str, int] = field(default_factory=dict)  # "db.table" -> server warnings while loading

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# --------------------------------------------------------------------------------------------------
# The plan: which tables are filled, how many rows, from which context.
# --------------------------------------------------------------------------------------------------


@dataclass
class TableSpec:
    """One filled table. ``driver``: ben | ben1097 | visit | call | staff | household | copy | master."""

    db: str
    table: str
    driver: str
    share: float = 1.0  # fraction of the driver's entities that get rows
    where: str = ""  # predicate on the beneficiary (see World.predicate)
    each: tuple[int, int] = (1, 1)  # rows per selected entity, inclusive range
    source: tuple[str, ...] = ()  # copy: "db.table" sources, all generated from one frame
    cols: dict[str, str] = field(default_factory=dict)  # column -> generator key, wins over every rule

    @property
    def name(self) -> str:
        return f"{self.db}.{self.table}"


def _t(db: str, table: str, driver: str, **kw: object) -> TableSpec:
    return TableSpec(db, table, driver, **kw)  # type: ignore[arg-type]


_IDENTITY_CORE = (
    "m_beneficiaryregidmapping",
    "i_beneficiarymapping",
    "i_beneficiarydetails",
    "i_beneficiarycontacts",
    "i_beneficiaryaddress",
)

PLAN: tuple[TableSpec, ...] = (
    # db_identity: the registry. Per-beneficiary tables share one key (ben index + 1), which is what
    # i_beneficiarymapping's BenDetailsId/BenAddressId/... point at.
    *(_t(ID, t, "ben") for t in _IDENTITY_CORE),
    _t(ID, "i_beneficiaryimage", "ben", where="has_image"),
    _t(ID, "i_beneficiaryconsent", "ben"),
    _t(ID, "i_beneficiaryaccount", "ben", where="has_account"),
    _t(ID, "i_beneficiaryidentity", "ben", where="has_id", each=(1, 2)),
    _t(ID, "i_beneficiaryservicemapping", "ben"),
    _t(ID, "i_beneficiaryfamilymapping", "ben", where="in_family", share=0.6),
    _t(ID, "i_householddetails", "household"),
    _t(ID, "i_beneficiarydetails_rmnch", "ben", share=0.3),
    _t(ID, "t_bendataaccess", "ben", share=0.2),
    _t(ID, "i_beneficiarydetails_bkp_kamrupv4", "copy", source=(f"{ID}.i_beneficiarydetails",), share=0.15),
    _t(ID, "i_beneficiarycontacts_bkp_24092019", "copy", source=(f"{ID}.i_beneficiarycontacts",), share=0.15),
    _t(ID, "i_beneficiaryaddress_bkp_14122021", "copy", source=(f"{ID}.i_beneficiaryaddress",), share=0.15),
    # db_1097_identity: the helpline's own registry of a subset, under the same BenRegIDs.
    *(_t(X1097, t, "ben1097") for t in _IDENTITY_CORE),
    _t(X1097, "i_beneficiaryimage", "ben1097", where="has_image"),
    _t(X1097, "i_beneficiaryconsent", "ben1097"),
    _t(X1097, "i_beneficiaryidentity", "ben1097", where="has_id"),
    _t(X1097, "i_beneficiaryservicemapping", "ben1097"),
    # db_iemr: staff, health ids, visits (MMU/TM/HWC), calls (104/1097), FLW registers, backups.
    _t(IEMR, "m_user", "staff"),
    _t(IEMR, "m_benhealthidmapping", "ben", where="has_abha"),
    _t(IEMR, "t_healthid", "ben", where="has_abha"),
    _t(IEMR, "i_benphonemap", "ben"),
    _t(IEMR, "t_benvisitdetail", "visit"),
    _t(IEMR, "i_ben_flow_outreach", "visit"),
    _t(IEMR, "t_benchiefcomplaint", "visit"),
    _t(IEMR, "t_phy_vitals", "visit"),
    _t(IEMR, "t_phy_anthropometry", "visit", share=0.7),
    _t(IEMR, "t_prescription", "visit"),
    _t(IEMR, "t_prescribeddrug", "visit", each=(1, 2)),
    _t(IEMR, "t_lab_testorder", "visit", share=0.25),
    _t(IEMR, "t_currentdiagnosis", "visit", share=0.5),
    _t(IEMR, "t_benreferdetails", "visit", share=0.1),
    _t(IEMR, "t_anccare", "visit", where="anc"),
    _t(IEMR, "t_ncdscreening", "visit", where="ncd"),
    _t(IEMR, "ear_diagnosis_assessment", "visit", share=0.04),
    _t(IEMR, "opthalmic_visit", "visit", share=0.04),
    _t(IEMR, "general_opd_entry", "visit", share=0.08),
    _t(IEMR, "t_mctsoutboundcalls", "ben", where="pregnant"),
    _t(IEMR, "t_bencall", "call"),
    _t(IEMR, "tbencalllog", "call", share=0.4),
    _t(IEMR, "czentriclog", "call", share=0.25),
    _t(IEMR, "t_feedback", "call", share=0.1),
    _t(IEMR, "t_104prescription", "call", share=0.2),
    _t(IEMR, "t_104benmedhistory", "call", share=0.3),
    _t(IEMR, "t_smsnotification", "call", share=0.3),
    _t(IEMR, "t_eligible_couple_register", "ben", where="eligible_couple", share=0.5),
    _t(IEMR, "t_pregnant_woman_register", "ben", where="pregnant"),
    _t(IEMR, "t_anc_visit", "ben", where="pregnant", each=(1, 3)),
    _t(IEMR, "t_mothervalidrecord", "ben", where="pregnant"),
    _t(IEMR, "t_childvaliddata", "ben", where="child_u5", share=0.5),
    _t(IEMR, "i_ben_flow_outreach_bkp_04052022", "copy", source=(f"{IEMR}.i_ben_flow_outreach",), share=0.2),
    _t(IEMR, "t_benreferdetails_bkp_15_03_2024", "copy", source=(f"{IEMR}.t_benreferdetails",), share=0.5),
    _t(IEMR, "t_bencall_bkp_21032024", "copy", source=(f"{IEMR}.t_bencall",), share=0.3),
    # db_reporting: what its scheduled procedures would have loaded (a lagging share for big facts).
    _t(
        REP,
        "dim_beneficiary",
        "copy",
        source=(f"{ID}.i_beneficiarydetails", f"{ID}.i_beneficiarycontacts", f"{ID}.i_beneficiaryaddress"),
    ),
    _t(REP, "dim_1097beneficiary", "ben1097"),
    _t(REP, "dim_user", "copy", source=(f"{IEMR}.m_user",)),
    _t(REP, "fact_bencall", "copy", source=(f"{IEMR}.t_bencall",)),
    _t(REP, "fact_benvisitdetail", "copy", source=(f"{IEMR}.t_benvisitdetail",)),
    _t(REP, "fact_phyvitals", "copy", source=(f"{IEMR}.t_phy_vitals",), share=0.6),
    _t(REP, "fact_prescription", "copy", source=(f"{IEMR}.t_prescription",), share=0.6),
    _t(REP, "fact_benchiefcomplaint", "copy", source=(f"{IEMR}.t_benchiefcomplaint",), share=0.6),
    _t(REP, "fact_anccare", "copy", source=(f"{IEMR}.t_anccare",)),
    _t(REP, "fact_mothervalidrecord", "copy", source=(f"{IEMR}.t_mothervalidrecord",)),
    _t(REP, "fact_104benmedhistory", "copy", source=(f"{IEMR}.t_104benmedhistory",)),
    _t(REP, "fact_feedback", "copy", source=(f"{IEMR}.t_feedback",)),
)

# Curated rows for the master tables the filled tables reference (column -> values, one per row);
# other referenced masters get a few generic rows.
STAFF_ROLES: tuple[tuple[str, int], ...] = (
    ("Admin", 1),
    ("Registrar", 4),
    ("Staff Nurse", 6),
    ("Medical Officer", 6),
    ("Pharmacist", 3),
    ("Lab Technician", 3),
    ("ANM", 8),
    ("ASHA", 9),
    ("Health Advisory Officer", 5),
    ("Counsellor", 3),
)
VISIT_CATEGORIES = (
    "General OPD",
    "ANC",
    "PNC",
    "NCD screening",
    "NCD care",
    "Neonatal and Infant Health Care Services",
    "FP & Contraceptive Services",
    "COVID-19 Screening",
)
COMPLAINTS = (
    "Fever", "Cough", "Headache", "Body ache", "Abdominal pain", "Vomiting", "Loose motions",
    "Breathlessness", "Chest pain", "Joint pain", "Burning micturition", "Weakness", "Dizziness",
    "Skin rash", "Back pain", "Cold", "Sore throat", "Swelling of feet", "Ear pain", "Toothache",
)  # fmt: skip
DIAGNOSES = (
    "Acute upper respiratory infection", "Essential hypertension", "Type 2 diabetes mellitus",
    "Iron deficiency anaemia", "Acute gastroenteritis", "Viral fever", "Urinary tract infection",
    "Osteoarthritis of knee", "Allergic rhinitis", "Acid peptic disease", "Scabies",
    "Lower back pain", "Dental caries", "Pregnancy, normal", "Bronchial asthma",
)  # fmt: skip
DRUGS = (
    ("Paracetamol", "500 mg", "Tablet"), ("Amoxicillin", "500 mg", "Capsule"), ("Metformin", "500 mg", "Tablet"),
    ("Amlodipine", "5 mg", "Tablet"), ("Oral Rehydration Salts", "20.5 g", "Powder"),
    ("Iron and Folic Acid", "100 mg", "Tablet"), ("Cetirizine", "10 mg", "Tablet"),
    ("Omeprazole", "20 mg", "Capsule"), ("Albendazole", "400 mg", "Tablet"), ("Calcium Carbonate", "500 mg", "Tablet"),
    ("Azithromycin", "500 mg", "Tablet"), ("Ibuprofen", "400 mg", "Tablet"), ("Salbutamol", "4 mg", "Tablet"),
)  # fmt: skip
LAB_TESTS = ("Haemoglobin", "Random Blood Sugar", "Urine Albumin", "Malaria RDT", "HIV", "VDRL", "Blood Grouping",
             "Urine Pregnancy Test", "Lipid Profile", "Serum Creatinine")  # fmt: skip
BANKS = (
    ("State Bank of India", "SBIN"), ("Punjab National Bank", "PUNB"), ("Bank of Baroda", "BARB"),
    ("Canara Bank", "CNRB"), ("Union Bank of India", "UBIN"), ("Bank of India", "BKID"),
    ("Indian Overseas Bank", "IOBA"), ("UCO Bank", "UCBA"), ("Central Bank of India", "CBIN"),
    ("Indian Bank", "IDIB"), ("HDFC Bank", "HDFC"), ("ICICI Bank", "ICIC"), ("Axis Bank", "UTIB"),
    ("Assam Gramin Vikash Bank", "UTBI"), ("Karnataka Gramin Bank", "PKGB"),
)  # fmt: skip

MASTER_VALUES: dict[str, dict[str, Sequence[str]]] = {
    "m_gender": {"GenderName": ("Male", "Female", "Transgender")},
    "m_title": {"TitleName": ("Mr", "Mrs", "Ms", "Dr", "Baby", "Master"), "TitleDesc": ("Mister", "Missus", "Miss", "Doctor", "Baby", "Master")},
    "m_maritalstatus": {"Status": ("Unmarried", "Married", "Divorced", "Separated", "Widow", "Widower")},
    "m_country": {"CountryName": ("India",), "CountryCode": ("IN",), "Continent": ("Asia",)},
    "m_designation": {"DesignationName": tuple(r for r, _ in STAFF_ROLES)},
    "m_userqualification": {"Name": ("MBA", "BSc Nursing", "MBBS", "D.Pharm", "DMLT", "ANM", "10th Pass", "MSW", "BA", "MSc")},
    "m_servicemaster": {"ServiceName": ("MMU", "104", "1097", "TM", "MCTS", "HWC", "ECD", "FLW")},
    "m_visitcategory": {"visitcategory": VISIT_CATEGORIES, "VisitCategoryDesc": VISIT_CATEGORIES},
    "m_visitreason": {"VisitReason": ("New Chief Complaint", "Follow Up", "Screening", "Referral")},
    "m_calltype": {
        "CallGroupType": ("Valid", "Valid", "Invalid", "Invalid", "Wrong Number", "Transfer"),
        "CallType": ("Information", "Counselling", "Silent Call", "Disconnected", "Wrong Number", "Transfer"),
    },
    "m_chiefcomplaint": {"ChiefComplaint": COMPLAINTS, "ChiefComplaintDesc": COMPLAINTS},
    "m_procedure": {"ProcedureName": LAB_TESTS, "ProcedureDesc": LAB_TESTS, "ProcedureType": ("Laboratory",) * len(LAB_TESTS)},
    "m_status": {"Status": ("New", "Active", "InActive", "Closed", "Open")},
    "m_severity": {"SeverityTypeName": ("Low", "Medium", "High", "Critical")},
    "m_feedbacktype": {"FeedbackTypeName": ("Complaint", "Appreciation", "Suggestion", "Grievance")},
    "m_feedbackstatus": {"FeedbackStatus": ("Open", "In Progress", "Closed", "Reopened")},
    "m_emailstatus": {"EmailStatus": ("New", "Sent", "Failed")},
    "m_bpanddiabeticstatus": {"BPAndDiabeticStatus": ("Normal", "Pre-Hypertension", "Hypertension Stage 1", "Hypertension Stage 2", "Diabetic", "Non Diabetic")},
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Value pools (Faker, once) and the world (households, staff, visits, calls).
# --------------------------------------------------------------------------------------------------

_SAFE = re.compile(r"[^A-Za-z0-9 .,/#&()+:@-]")


def _clean(s: str) -> str:
    """ASCII without quotes, tabs, newlines or backslashes, so no TSV/JSON escaping is ever needed."""
    return _SAFE.sub("", s.replace("\n", ", ")).strip(" ,")


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


def _fmt_ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


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
        self.attrs[name] = [NULL if v is None else str(v) for v in values] + [NULL]

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
        self.attrs[name] = [NULL if v is None else str(v) for v in values] + [NULL]

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


# --------------------------------------------------------------------------------------------------
# Frames: the context of every row of one table.
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Live schema: columns, keys, FKs.
# --------------------------------------------------------------------------------------------------


@dataclass
class Column:
    name: str
    data_type: str
    column_type: str
    nullable: bool
    key: str
    max_len: int | None
    precision: int | None
    scale: int | None

    @property
    def lname(self) -> str:
        return self.name.lower()

    @property
    def is_int(self) -> bool:
        return self.data_type in ("tinyint", "smallint", "mediumint", "int", "bigint")

    @property
    def is_numeric(self) -> bool:
        return self.is_int or self.data_type in ("decimal", "float", "double", "bit", "year")

    @property
    def is_text(self) -> bool:
        return self.data_type in ("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json", "enum", "set")

    @property
    def is_temporal(self) -> bool:
        return self.data_type in ("date", "datetime", "timestamp", "time", "year")

    @property
    def int_max(self) -> int:
        unsigned = "unsigned" in self.column_type
        bits = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "bigint": 64}.get(self.data_type, 64)
        return 2**bits - 1 if unsigned else 2 ** (bits - 1) - 1


@dataclass
class TableInfo:
    db: str
    name: str
    columns: list[Column]
    pk: list[str]
    uniques: list[list[str]]
    fks: dict[str, tuple[str, str, str]]  # column -> (ref db, ref table, ref column)


def read_schema(addr: ServerAddress, tables: set[tuple[str, str]], dbs: Sequence[str]) -> dict[tuple[str, str], TableInfo]:
    """Column types, keys and FKs of the tables to fill, from information_schema (the built schema is the truth)."""
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            ph = ",".join(["%s"] * len(dbs))
            cur.execute(
                "SELECT TABLE_SCHEMA, LOWER(TABLE_NAME), COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY,"
                " CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS"
                f" WHERE TABLE_SCHEMA IN ({ph}) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
                tuple(dbs),
            )
            cols: dict[tuple[str, str], list[Column]] = {}
            for db, t, c, dt, ct, nul, key, ml, prec, scale in cur.fetchall():
                if (db, t) in tables:
                    cols.setdefault((db, t), []).append(
                        Column(c, dt.lower(), ct.lower(), nul == "YES", key, int(ml) if ml is not None else None, prec, scale)
                    )
            cur.execute(
                "SELECT TABLE_SCHEMA, LOWER(TABLE_NAME), INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS"
                f" WHERE TABLE_SCHEMA IN ({ph}) AND NON_UNIQUE = 0 ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
                tuple(dbs),
            )
            idx: dict[tuple[str, str, str], list[str]] = {}
            for db, t, ix, c in cur.fetchall():
                if (db, t) in tables:
                    idx.setdefault((db, t, ix), []).append(c)
            fks = read_fks(cur, dbs)
    finally:
        conn.close()
    out = {}
    for (db, t), cs in cols.items():
        pk = idx.get((db, t, "PRIMARY"), [])
        uniques = [v for (d, tt, ix), v in idx.items() if d == db and tt == t]
        out[(db, t)] = TableInfo(db, t, cs, pk, uniques, {c: ref for (d, tt, c), ref in fks.items() if d == db and tt == t})
    missing = tables - set(out)
    if missing:
        raise GenerationError(f"tables missing from the schema on the server: {sorted(missing)[:10]}")
    return out


def read_fks(cur, dbs: Sequence[str]) -> dict[tuple[str, str, str], tuple[str, str, str]]:
    ph = ",".join(["%s"] * len(dbs))
    cur.execute(
        "SELECT TABLE_SCHEMA, LOWER(TABLE_NAME), COLUMN_NAME, REFERENCED_TABLE_SCHEMA, LOWER(REFERENCED_TABLE_NAME),"
        f" REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA IN ({ph})"
        " AND REFERENCED_TABLE_NAME IS NOT NULL",
        tuple(dbs),
    )
    return {(db, t, c): (rdb, rt, rc) for db, t, c, rdb, rt, rc in cur.fetchall()}


def fk_closure(plan: Sequence[TableSpec], fks: dict[tuple[str, str, str], tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Master tables referenced (transitively) by the planned tables' declared FKs, not planned themselves."""
    planned = {(s.db, s.table) for s in plan}
    by_table: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for (db, t, _c), (rdb, rt, _rc) in fks.items():
        by_table.setdefault((db, t), set()).add((rdb, rt))
    seen: list[tuple[str, str]] = []
    todo = sorted(planned)
    while todo:
        cur = todo.pop(0)
        for ref in sorted(by_table.get(cur, ())):
            if ref not in planned and ref not in seen:
                seen.append(ref)
                todo.append(ref)
    return seen


# --------------------------------------------------------------------------------------------------
# Column kinds (carried file) and column resolution.
# --------------------------------------------------------------------------------------------------


def load_kinds(path: Path = KINDS_FILE) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(db, table, lower(column)) -> (pii_category, link_kind), from the committed TSV."""
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    with path.open(newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            out[(r["db"], r["table"].lower(), r["column"].lower())] = (r["pii_category"], r["link_kind"])
    return out


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
    values: dict[str, list[str]] | None  # kept for copy sources
    _entity_key: dict[int, str] | None = None

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


class Resolver:
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

    def name_rule(self, col: Column) -> str:  # noqa: C901
        n = col.lname
        if n in ("insname", "sourceofinfo") and col.is_text:
            return "text:" + {"insname": "insurer", "sourceofinfo": "source"}[n]  # typed: can name a person
        if re.fullmatch(r"(is_?)?deleted|delete_mother", n):
            return "const:0"
        if col.data_type == "bit" or col.column_type.startswith("tinyint(1)"):
            if n == "is1097":
                return "call:is1097"
            return "const:0" if n in ("reserved", "ishivpositive", "emergencyregistration", "iszerocall", "iswrongnumber") else ""
        if n == "processed":
            return "const:N"
        if n == "reserved":
            return "const:0"
        if re.fullmatch(r"reservedfor|reservedon|reservedbyid|reservedforchange|syncedby|synced_?date|syncfailurereason|synced_by", n):
            return "null"
        if n == "vanserialno":
            return "key"
        if n in ("vanid", "van_id"):
            return "who:van_id"
        if n in ("vehicalno", "vehicleno", "vanno"):
            return "who:vehicle"
        if n in ("parkingplaceid",):
            return "who:parking"
        if re.fullmatch(r"created_?date|createdon|created_on|creationdate|lodadeddate|loadeddate|date_of_entry|registration_?date|registereddate|firstavailedon|accessedon|mother_reg_date", n):
            return "when"
        if re.fullmatch(r"lastmoddate|modified_?date|updated_?date|last_update_date|lastmodifieddate", n):
            return "when_mod"
        if re.fullmatch(r"fact_createddate|dim_createddate|dim_create_date", n):
            return "fill"
        if re.fullmatch(r"(ben_)?gender_?id|ben_gender_val|patientgenderid", n):
            return "who:gender_id"
        if re.fullmatch(r"gender|ben_gender|gendername|patientgendername", n):
            return "who:gender"
        if re.fullmatch(r"(perm|curr|emer)?state_?id|govtstateid", n):
            return "who:state_id"
        if re.fullmatch(r"(perm|curr|emer)?state(_?name)?|permstatename", n):
            return "who:state"
        if re.fullmatch(r"(perm|curr|emer)?district_?id", n):
            return "who:district_id"
        if re.fullmatch(r"(perm|curr|emer)?district(_?name)?|permdistrictname", n):
            return "who:district"
        if re.fullmatch(r"(perm|curr|emer)?(sub)?district_?id|block_?id|taluka_id|(perm|curr|emer)subdistrictid", n):
            return "who:block_id"
        if re.fullmatch(r"block(_?name)?|taluka_name", n):
            return "who:block"
        if re.fullmatch(r"(perm|curr|emer)?village_?id", n):
            return "who:village_id"
        if re.fullmatch(r"(perm|curr|emer)?countr[y]?_?id|countyid", n):
            return "const:1"
        if re.fullmatch(r"(perm|curr|emer)country|countryname", n):
            return "const:India"
        if re.fullmatch(r"providerservicemapid|psmid|useragentpsmapid", n):
            return "who:psm"
        if re.fullmatch(r"(ben_)?visit_?no|benvisitno|ben_visit_no", n):
            return "visit:no"
        if re.fullmatch(r"visit_?category", n):
            return "visit:category"
        if n == "visitcategoryid":
            return "visit:category_id"
        if re.fullmatch(r"visit_?reason", n):
            return "visit:reason"
        if n == "visitreasonid":
            return "visit:reason_id"
        if re.fullmatch(r"visitdatetime|visitdate|visit_date|consultationdate|anc_date|tcrequestdate", n):
            return "visit:ts"
        if re.fullmatch(r"calltime|czcallstarttime|call_date", n):
            return "call:ts"
        if re.fullmatch(r"callendtime|czcallendtime", n):
            return "call:end"
        if n == "callduration":
            return "call:duration"
        if n == "czcallduration":
            return "call:secs"
        if n == "sessionid":
            return "call:session"
        if n == "is1097":
            return "call:is1097"
        if n in ("category", "subcategory") and self.spec.driver == "call":
            return "call:category"
        for attr in ("religion", "community", "education", "occupation", "marital", "title", "income"):
            if re.fullmatch(rf"{attr}(status)?_?id", n):
                return f"who:{attr}_id"
        if re.fullmatch(r"title(name)?", n):
            return "who:title"
        if re.fullmatch(r"maritalstatus(name)?", n):
            return "who:marital"
        if re.fullmatch(r"preferredlanguage|language", n):
            return "who:language"
        if n == "familyid":
            return "who:hh"
        if re.fullmatch(r"headoffamily_relation|relationshiptoself|familyheadrelation", n):
            return "who:relation"
        if re.fullmatch(r"headoffamily_relationid|relationshipid|familyheadrelationposition", n):
            return "who:relation_id"
        if re.fullmatch(r"(perm|curr|emer)?servicepointid|servicepointid", n):
            return "who:block_id"
        if re.fullmatch(r"identityname|identitytype", n):
            return "ident:name"
        if re.fullmatch(r"identitynameid|identitytypeid", n):
            return "ident:type"
        if re.fullmatch(r"(preferred|preferredsms|emergency)?(contact)?phonetyp\d?|phonetyp\d|phonenumbertype", n):
            return "choice:Self|Self|Family|Neighbour"
        if re.fullmatch(r"lmp_date|lastmenstrualperiod_lmp|lmp", n):
            return "who:lmp"
        if re.fullmatch(r"edd|expecteddateofdelivery", n):
            return "who:edd"
        if re.fullmatch(r"bloodgroup|blood_group", n):
            return "choice:A+|B+|O+|AB+|A-|B-|O-|AB-"
        if re.fullmatch(r"temperature", n):
            return "dec:97.0,101.8,1"
        if re.fullmatch(r"pulse_?rate", n):
            return "int:60,110"
        if n == "respiratoryrate":
            return "int:14,28"
        if "systolic" in n or n == "bp_systolic":
            return "int:100,165"
        if "diastolic" in n:
            return "int:60,100"
        if "bloodglucose" in n or n in ("rbs",):
            return "int:70,260"
        if n in ("hemoglobin", "hb"):
            return "dec:7.5,15.5,1"
        if re.fullmatch(r"child\d?_weight|weight_of_child|birth_?weight", n):
            return "dec:1.8,4.2,2"
        if re.fullmatch(r"weight(_kg)?|weight_of_pw|mother_weight", n):
            return "dec:35,90,1" if not col.is_int else "int:35,90"
        if re.fullmatch(r"height(_cm)?", n):
            return "dec:140,185,1" if not col.is_int else "int:140,185"
        if n == "bmi":
            return "dec:16,34,1"
        if n == "spo2":
            return "int:92,100"
        if re.fullmatch(r"genericdrugname|drugname|drugtradeorbrandname|itemname", n):
            return "choice:" + "|".join(d[0] for d in DRUGS)
        if n == "drugstrength":
            return "choice:" + "|".join(sorted({d[1] for d in DRUGS}))
        if n == "drugform":
            return "choice:Tablet|Capsule|Syrup|Powder"
        if n == "dose":
            return "choice:1 Tab|1 Cap|5 ml|10 ml|Half Tab"
        if n == "frequency":
            return "choice:Once Daily(OD)|Twice Daily(BD)|Thrice Daily (TID)|SOS"
        if n == "route":
            return "choice:Oral|Oral|Topical|Intramuscular"
        if re.fullmatch(r"duration|duartion", n):
            return "int:1,10" if col.is_int else "choice:3|5|7|10|15"
        if re.fullmatch(r"unitofduration|duartionunit|durationunit", n):
            return "choice:Days|Weeks"
        if re.fullmatch(r"relationtofood", n):
            return "choice:After Food|Before Food"
        if re.fullmatch(r"qtyprescribed", n):
            return "int:5,30"
        if re.fullmatch(r"procedurename|testname", n):
            return "choice:" + "|".join(LAB_TESTS)
        if re.fullmatch(r"chiefcomplaint", n):
            return "visit:complaint"
        if re.fullmatch(r"(selecte|provisional|confirmatory)?diagnosis(provided)?(_sctterm)?|sctterm|currentdiagnosis|selectediagnosis", n):
            return "visit:diagnosis"
        if re.fullmatch(r"(referredto)?institut(ion|e)_?name|facility_?name|healthfacilitylocation", n):
            return "text:place"
        if re.fullmatch(r"servicename", n):
            return "choice:MMU|TM|HWC|104|1097"
        if re.fullmatch(r"useragentname|registeredbyname", n):
            return "staff:full"
        if re.fullmatch(r"registeredbyid|useragentid|createdbyid", n):
            return "staff:user_id"
        if re.fullmatch(r"designation(name)?", n):
            return "who:designation" if self.spec.driver == "staff" or self.info.name == "dim_user" else "fill"
        if re.fullmatch(r"designationid", n) and (self.spec.driver == "staff" or self.info.name == "dim_user"):
            return "who:designation_id"
        if re.fullmatch(r"(beneficiary_)?visit_?code", n):
            return "visit:code"
        if n.startswith("referred_visit"):
            return "null"
        if col.is_int and re.fullmatch(
            r"(nurse|doctor|pharmacist|labtechnician|consultant|tcspecialistuser|agentuser|supuser|sender|receivinguser"
            r"|allocateduser|rx_user|callreceiveduser|callenduser|anm|asha)_?id|[a-z_]*userid|user_id",
            n,
        ):
            return "staff:user_id"
        if col.is_int and n.endswith("flag"):
            return "choice:0|1|1|2|9"
        if n in ("hivstatus", "sexualorientationid"):
            return "null"
        if n == "pregnancystatus":
            return "who:pregnant_yn"
        if n == "emergencycontacttyp":
            return "choice:Family|Neighbour|Friend"
        if n == "status" and self.spec.driver == "ben" and col.is_text:
            return "const:Active"
        return ""

    # ---- value families ------------------------------------------------------------------------

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


_WORDS = ("Normal", "Yes", "No", "Completed", "Pending", "Active", "Not Applicable", "Mild", "Moderate", "Regular",
          "Present", "Absent", "Negative", "Positive", "Done", "Not Done", "Nil", "Others")  # fmt: skip
_PHRASES = ("Within normal limits", "Advised follow up", "Referred to higher centre", "Counselling done",
            "Not willing", "Information provided")  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Table generation.
# --------------------------------------------------------------------------------------------------


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


def generate_table(spec: TableSpec, info: TableInfo, ctx: Ctx, kinds: dict, explain: bool = False) -> tuple[Frame, dict[str, list[str]], dict[str, str]]:
    """All columns of one table as lists of TSV fields (plus how each was resolved)."""
    rng, w = ctx.rng, ctx.world
    copied: dict[str, list[str]] = {}
    if spec.driver == "copy":
        sources = [ctx.filled[s] for s in spec.source]
        frame = _copy_frame(spec, sources, rng)
        rows = frame.source_rows or []
        have = {c.lname: c for c in info.columns}
        for s in sources:
            scols = {c.lname: c for c in s.info.columns}
            for cname, vals in (s.values or {}).items():
                lname = cname.lower()
                tgt = have.get(lname)
                if tgt is None or tgt.name in copied or lname == "vanserialno":
                    continue
                if tgt.is_numeric and not scols[lname].is_numeric:
                    continue
                copied[tgt.name] = _fit(tgt, [vals[i] for i in rows])
    elif spec.driver == "master":
        keys, curated = _master_rows(info, w)
        frame = _master_frame(keys, w, rng)
        by_name = {c.name: c for c in info.columns}
        copied = {c: _fit(by_name[c], v) for c, v in curated.items()}
    else:
        frame = _frame_for(spec, w, rng, ctx.db_keys)
    resolver = Resolver(ctx, spec, info, kinds)
    values: dict[str, list[str]] = {}
    how: dict[str, str] = {}
    for col in info.columns:
        if col.name in copied and col.name not in spec.cols:
            values[col.name] = copied[col.name]
            how[col.name] = "copy"
            continue
        desc, gen = resolver.resolve(col)
        how[col.name] = desc
        if explain:
            continue
        vals = gen(frame) if frame.n else []
        if not _compatible(col, vals):
            how[col.name] = f"fill (not {desc}: values do not fit {col.column_type})"
            vals = resolver.filler(col)(frame) if frame.n else []
        if not col.nullable:
            vals = _not_null(col, vals, resolver)
        values[col.name] = vals
    if not explain:
        _enforce_unique(info, values, {c for c, h in how.items() if h == "key"})
    return frame, values, how


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?")


def _compatible(col: Column, vals: list[str]) -> bool:
    """Whether a sample of generated values fits the column's type family (a guard for name rules)."""
    if not (col.is_numeric or col.data_type in ("date", "datetime", "timestamp")):
        return True
    pat = _NUMBER if col.is_numeric else _DATE
    sample = [v for v in vals[:200] if v != NULL][:20]
    return all(pat.fullmatch(v) for v in sample)


def _not_null(col: Column, vals: list[str], r: Resolver) -> list[str]:
    if NULL not in vals:
        return vals
    fill = r.filler(Column(col.name, col.data_type, col.column_type, False, col.key, col.max_len, col.precision, col.scale))
    alt = fill(Frame(len(vals), r.w.bens, [0] * len(vals), [0] * len(vals), [""] * len(vals), [""] * len(vals), [""] * len(vals), "master"))
    return [a if v == NULL else v for v, a in zip(vals, alt)]


def _enforce_unique(info: TableInfo, values: dict[str, list[str]], unique_cols: set[str]) -> None:
    """Make primary/unique keys hold: filler-made duplicates get a row number appended or substituted."""
    cols = {c.name: c for c in info.columns}
    for ix in ([info.pk] if info.pk else []) + [u for u in info.uniques if u != info.pk]:
        if not ix or any(c not in values for c in ix) or unique_cols.intersection(ix):
            continue
        seen: set[tuple[str, ...]] = set()
        dup = False
        for tup in zip(*(values[c] for c in ix)):
            if NULL in tup:
                continue
            if tup in seen:
                dup = True
                break
            seen.add(tup)
        if not dup:
            continue
        c = cols[ix[-1]]
        vals = values[c.name]
        if c.is_int or c.is_numeric:
            values[c.name] = [str(i + 1) for i in range(len(vals))]
        else:
            size = c.max_len or 255
            out = []
            for i, v in enumerate(vals):
                suffix = f"-{i + 1}"
                base = "" if v == NULL else v
                out.append((base[: max(0, size - len(suffix))] + suffix)[-size:] if size >= len(suffix) else str(i + 1)[-size:])
            values[c.name] = out


# --------------------------------------------------------------------------------------------------
# Loading.
# --------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    db: str
    table: str
    columns: list[Column]
    path: Path
    rows: int


class Loader:
    """Loads TSV files in background threads (one connection each) while the main thread generates."""

    def __init__(self, addr: ServerAddress, threads: int = 2) -> None:
        self.addr = addr
        self.q: queue.Queue[_Job | None] = queue.Queue(maxsize=4)
        self.errors: list[BaseException] = []
        self.warnings: dict[str, int] = {}
        self.samples: dict[str, list[str]] = {}
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def submit(self, job: _Job) -> None:
        if self.errors:
            raise GenerationError(f"loading failed: {self.errors[0]}") from self.errors[0]
        self.q.put(job)

    def close(self) -> None:
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join()
        if self.errors:
            raise GenerationError(f"loading failed: {self.errors[0]}") from self.errors[0]

    def _run(self) -> None:
        conn = None
        local = True
        try:
            conn = connect(self.addr, local_infile=True)
            with conn.cursor() as cur:
                cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
                cur.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
        except BaseException as e:  # noqa: BLE001 - reported by close()
            self.errors.append(e)
        while True:
            job = self.q.get()
            if job is None:
                break
            if self.errors or conn is None:
                continue
            try:
                if local:
                    try:
                        self._load_data(conn, job)
                    except Exception as e:  # noqa: BLE001
                        if getattr(e, "args", (None,))[0] in (1148, 3948, 2068, 4166):
                            local = False  # the server refuses local files: fall back to INSERTs
                            self._insert(conn, job)
                        else:
                            raise
                else:
                    self._insert(conn, job)
            except BaseException as e:  # noqa: BLE001
                self.errors.append(GenerationError(f"{job.db}.{job.table}: {e}"))
            finally:
                job.path.unlink(missing_ok=True)
        if conn is not None:
            conn.close()

    def _load_data(self, conn, job: _Job) -> None:
        targets, sets = [], []
        for i, c in enumerate(job.columns):
            if c.data_type == "bit":
                targets.append(f"@v{i}")
                sets.append(f"`{c.name}` = CAST(@v{i} AS UNSIGNED)")
            else:
                targets.append(f"`{c.name}`")
        sql = (
            f"LOAD DATA LOCAL INFILE '{job.path}' INTO TABLE `{job.db}`.`{job.table}` CHARACTER SET utf8mb4"
            f" FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({', '.join(targets)})"
            + (f" SET {', '.join(sets)}" if sets else "")
        )
        with conn.cursor() as cur:
            cur.execute(sql)
            self._count_warnings(cur, job)

    def _insert(self, conn, job: _Job) -> None:
        bits = [c.data_type == "bit" for c in job.columns]
        names = ", ".join(f"`{c.name}`" for c in job.columns)
        sql = f"INSERT INTO `{job.db}`.`{job.table}` ({names}) VALUES ({', '.join(['%s'] * len(job.columns))})"
        with job.path.open(encoding="utf-8") as f, conn.cursor() as cur:
            batch: list[list[object]] = []
            for line in f:
                fields = line.rstrip("\n").split("\t")
                batch.append([None if v == NULL else (int(v) if b else v) for v, b in zip(fields, bits)])
                if len(batch) >= 2000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)

    def _count_warnings(self, cur, job: _Job) -> None:
        cur.execute("SELECT @@warning_count")
        count = int(cur.fetchone()[0])
        if count:
            name = f"{job.db}.{job.table}"
            self.warnings[name] = self.warnings.get(name, 0) + count
            cur.execute("SHOW WARNINGS LIMIT 5")
            self.samples[name] = [str(r[2]) for r in cur.fetchall()]


def _write_tsv(path: Path, columns: list[Column], values: dict[str, list[str]]) -> None:
    cols = [values[c.name] for c in columns]
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(map("\t".join, zip(*cols))))
        f.write("\n")


# --------------------------------------------------------------------------------------------------
# Orchestration.
# --------------------------------------------------------------------------------------------------


def _order(plan: Sequence[TableSpec], schema: dict[tuple[str, str], TableInfo]) -> list[TableSpec]:
    """Plan order, except that a table comes after the planned tables its FKs and copies depend on."""
    names = {s.name for s in plan}
    deps = {
        s.name: {f"{rdb}.{rt}" for (rdb, rt, _rc) in schema[(s.db, s.table)].fks.values()} & names - {s.name} | set(s.source)
        for s in plan
    }
    done: list[TableSpec] = []
    left = list(plan)
    while left:
        for s in left:
            if deps[s.name] <= {d.name for d in done}:
                done.append(s)
                left.remove(s)
                break
        else:
            raise GenerationError(f"circular dependencies among {[s.name for s in left]}")
    return done


def _staging_dir() -> Path:
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="amrit-gen-", dir=base))


def _databases(plan: Sequence[TableSpec]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.db for s in plan))


def prepare(addr: ServerAddress, beneficiaries: int, seed: int) -> tuple[World, list[TableSpec], dict[tuple[str, str], TableInfo], Ctx, dict]:
    """The world, the full ordered plan (with referenced masters first) and the live schema."""
    dbs = _databases(PLAN)
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            fks = read_fks(cur, dbs)
    finally:
        conn.close()
    masters = fk_closure(PLAN, fks)
    specs = [TableSpec(db, t, "master") for db, t in masters] + list(PLAN)
    schema = read_schema(addr, {(s.db, s.table) for s in specs}, dbs)
    world = build_world(beneficiaries, seed)
    ordered = [s for s in specs if s.driver == "master"] + _order(PLAN, schema)
    db_keys = {
        "ben": [str(i + 1) for i in range(world.bens.n)] + [NULL],
        "ben1097": [NULL] * world.bens.n + [NULL],
    }
    for k, i in enumerate(world.ben1097):
        db_keys["ben1097"][i] = str(k + 1)
    ctx = Ctx(world, world.rng, {}, db_keys)
    return world, ordered, schema, ctx, load_kinds()


def generate(addr: ServerAddress, beneficiaries: int, seed: int = 7) -> GenerationReport:
    """Fill the (empty) AMRIT schema on ``addr`` with linked synthetic data; same inputs, same data."""
    t0 = time.monotonic()
    _check_empty(addr)
    world, ordered, schema, ctx, kinds = prepare(addr, beneficiaries, seed)
    keep = {src for s in ordered for src in s.source}
    staging = _staging_dir()
    loader = Loader(addr)
    rows: dict[str, int] = {}
    try:
        for spec in ordered:
            info = schema[(spec.db, spec.table)]
            frame, values, _how = generate_table(spec, info, ctx, kinds)
            ctx.filled[spec.name] = Filled(spec, info, frame, values if spec.name in keep else None)
            rows[spec.name] = frame.n
            if frame.n:
                path = staging / f"{spec.db}.{spec.table}.tsv"
                _write_tsv(path, info.columns, values)
                loader.submit(_Job(spec.db, spec.table, info.columns, path, frame.n))
    finally:
        try:
            loader.close()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _last_samples.clear()
    _last_samples.update(loader.samples)
    return GenerationReport(rows, beneficiaries, round(time.monotonic() - t0, 3), dict(loader.warnings))


_last_samples: dict[str, list[str]] = {}  # warning texts of the last run, for the CLI


def _check_empty(addr: ServerAddress) -> None:
    conn = connect(addr)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM db_identity.m_beneficiaryregidmapping")
            if cur.fetchone()[0]:
                raise GenerationError("db_identity.m_beneficiaryregidmapping is not empty: generate() fills an empty schema")
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# Development: derive the carried column kinds from the data dictionary; explain a table.
# --------------------------------------------------------------------------------------------------


def derive_kinds(dictionary: Path, out: Path = KINDS_FILE) -> int:
    """Write ``column_kinds.tsv`` for the planned tables and their FK masters (development only).

    Reads the AMRIT data dictionary's pii_candidates.tsv, link_keys.tsv and foreign_keys.tsv; the
    generator itself only ever reads the file written here, so a fresh clone needs no dictionary.
    """

    def rows(name: str) -> list[dict[str, str]]:
        with (dictionary / name).open(newline="") as f:
            return list(csv.DictReader(f, delimiter="\t"))

    fks = {(r["db"], r["table"], r["column"]): (r["ref_db"], r["ref_table"], r["ref_column"]) for r in rows("foreign_keys.tsv")}
    tables = {(s.db, s.table) for s in PLAN} | set(fk_closure(PLAN, fks))
    kinds: dict[tuple[str, str, str], list[str]] = {}
    for r in rows("pii_candidates.tsv"):
        k = (r["db"], r["table"], r["column"])
        if (k[0], k[1]) in tables and k not in kinds:
            kinds[k] = [r["category"], ""]
    for r in rows("link_keys.tsv"):
        k = (r["db"], r["table"], r["column"])
        if (k[0], k[1]) in tables and r["object"] == "table":
            kinds.setdefault(k, ["", ""])[1] = r["key_kind"]
    with out.open("w", newline="") as f:
        wr = csv.writer(f, delimiter="\t", lineterminator="\n")
        wr.writerow(["db", "table", "column", "pii_category", "link_kind"])
        for (db, t, c), (p, lk) in sorted(kinds.items()):
            wr.writerow([db, t, c, p, lk])
    return len(kinds)


def explain(addr: ServerAddress, table: str) -> str:
    """How each column of a filled table ("db.table") is generated."""
    _world, ordered, schema, ctx, kinds = prepare(addr, 50, 7)
    lines = []
    for spec in ordered:
        info = schema[(spec.db, spec.table)]
        frame, values, how = generate_table(spec, info, ctx, kinds)
        ctx.filled[spec.name] = Filled(spec, info, frame, values)
        if spec.name == table:
            for c in info.columns:
                p, lk = kinds.get((spec.db, spec.table, c.lname), ("", ""))
                sample = values[c.name][0] if values.get(c.name) else ""
                lines.append(f"{c.name:32} {c.column_type:16} {p or lk or '-':20} {how[c.name]:32} {sample[:60]}")
            return "\n".join(lines)
    raise GenerationError(f"{table} is not filled by the generator")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate synthetic linked AMRIT data on a throwaway server and report timings.")
    ap.add_argument("--beneficiaries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--explain", metavar="DB.TABLE", help="show how each column of a table is generated")
    ap.add_argument("--derive-kinds", metavar="DICTIONARY_DIR", type=Path, help="(development) rewrite sql/demo/column_kinds.tsv")
    args = ap.parse_args(argv)
    if args.derive_kinds:
        print(f"wrote {derive_kinds(args.derive_kinds)} column kinds to {KINDS_FILE}")
        return 0
    from amrit_assets.demo.schema import build_from_ddl
    from amrit_assets.resources.embedded import EmbeddedServer

    t0 = time.monotonic()
    with EmbeddedServer("generator", buffer_pool=os.environ.get("AMRIT_GEN_BUFFER_POOL", "512M")) as srv:
        assert srv.address is not None
        t1 = time.monotonic()
        build_from_ddl(srv.address)
        t2 = time.monotonic()
        if args.explain:
            print(explain(srv.address, args.explain))
            return 0
        rep = generate(srv.address, args.beneficiaries, args.seed)
        t3 = time.monotonic()
    for name in sorted(rep.rows):
        warn = f"  ({rep.warnings[name]} warnings: {'; '.join(_last_samples.get(name, []))[:200]})" if rep.warnings.get(name) else ""
        print(f"{name:60} {rep.rows[name]:>9}{warn}")
    per_db: dict[str, int] = {}
    for name, n in rep.rows.items():
        per_db[name.split(".")[0]] = per_db.get(name.split(".")[0], 0) + n
    print("-" * 70)
    for db, n in per_db.items():
        print(f"{db:60} {n:>9}  ({sum(1 for k in rep.rows if k.startswith(db + '.'))} tables)")
    print(
        f"{rep.total_rows} rows in {len(rep.rows)} tables for {rep.beneficiaries} beneficiaries "
        f"({rep.total_rows / rep.beneficiaries:.1f} per beneficiary); generate {rep.seconds:.2f}s, "
        f"server start {t1 - t0:.2f}s, schema {t2 - t1:.2f}s, total {t3 - t0:.2f}s; warnings {sum(rep.warnings.values())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
