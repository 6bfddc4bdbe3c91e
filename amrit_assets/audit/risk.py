"""Re-identification risk of what UAT keeps on purpose: k-anonymity over quasi-identifiers.

Names, phones and ids are replaced, but year of birth (DOB is shifted by at most 180 days), gender
and district stay, because testers need realistic ages and places. Someone who knows a person's
year of birth, gender and district can single them out when few beneficiaries share all three.
This measures it in UAT's ``db_identity`` with one ``GROUP BY`` on the server (only counts come back):

- ``k``: the smallest number of beneficiaries sharing one (year of birth, gender, district);
- ``groups_below``: how many such groups have fewer than ``threshold`` (5) members, and how many
  beneficiaries are in them.

A beneficiary is a row of ``i_beneficiarymapping``; its details (``DOB``, ``GenderId``) and address
(``CurrDistrictId``, else ``PermDistrictId``) are joined through ``BenDetailsId`` and ``BenAddressId``.
A missing part (no DOB, say) is a value of its own; rows with one are also counted separately.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

DATABASE = "db_identity"
THRESHOLD = 5
QUASI_IDENTIFIERS = (
    "YEAR(i_beneficiarydetails.DOB)",
    "i_beneficiarydetails.GenderId",
    "COALESCE(i_beneficiaryaddress.CurrDistrictId, i_beneficiaryaddress.PermDistrictId)",
)


def k_anonymity_sql(db: str = DATABASE, threshold: int = THRESHOLD) -> str:
    """One GROUP BY over the quasi-identifiers, summarized in the same statement."""
    t = int(threshold)
    return (
        "SELECT COUNT(*), COALESCE(MIN(n), 0), COALESCE(SUM(n < {t}), 0), COALESCE(SUM(IF(n < {t}, n, 0)), 0),"
        " COALESCE(SUM(n), 0), COALESCE(SUM(IF(n = 1, 1, 0)), 0), COALESCE(SUM(IF(missing, n, 0)), 0) FROM ("
        " SELECT YEAR(d.DOB) AS yob, d.GenderId AS gender, COALESCE(a.CurrDistrictId, a.PermDistrictId) AS district,"
        " (YEAR(d.DOB) IS NULL OR d.GenderId IS NULL OR COALESCE(a.CurrDistrictId, a.PermDistrictId) IS NULL) AS missing,"
        " COUNT(*) AS n"
        " FROM `{db}`.i_beneficiarymapping m"
        " JOIN `{db}`.i_beneficiarydetails d ON d.BeneficiaryDetailsId = m.BenDetailsId"
        " LEFT JOIN `{db}`.i_beneficiaryaddress a ON a.BenAddressID = m.BenAddressId"
        " GROUP BY yob, gender, district, missing) g"
    ).format(t=t, db=db.replace("`", "``"))


@dataclass
class RiskReport:
    database: str
    quasi_identifiers: tuple[str, ...]
    threshold: int
    beneficiaries: int  # mapped beneficiaries with a details row
    groups: int
    k: int  # the smallest group; 0 when there is nobody
    groups_below: int  # groups smaller than threshold
    beneficiaries_below: int  # beneficiaries in those groups
    unique: int  # groups of one: beneficiaries singled out by the three attributes alone
    with_missing_part: int  # beneficiaries with no year of birth, gender or district
    seconds: float = 0.0

    @property
    def share_below(self) -> float | None:
        return round(self.beneficiaries_below / self.beneficiaries, 6) if self.beneficiaries else None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["quasi_identifiers"] = list(self.quasi_identifiers)
        out["share_below"] = self.share_below
        out["seconds"] = round(self.seconds, 3)
        return out


def k_anonymity(conn, db: str = DATABASE, threshold: int = THRESHOLD) -> RiskReport:
    start = time.monotonic()
    with conn.cursor() as cur:
        cur.execute(k_anonymity_sql(db, threshold))
        groups, k, below, people_below, people, unique, missing = (int(v or 0) for v in cur.fetchone())
    return RiskReport(db, QUASI_IDENTIFIERS, threshold, people, groups, k, below, people_below, unique, missing, time.monotonic() - start)
