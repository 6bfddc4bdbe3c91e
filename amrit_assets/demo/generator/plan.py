"""The plan: which tables are filled, how many rows, from which context (one ``TableSpec`` each)."""

from __future__ import annotations

from dataclasses import dataclass, field

from amrit_assets.demo.generator.base import ID, IEMR, REP, X1097


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
