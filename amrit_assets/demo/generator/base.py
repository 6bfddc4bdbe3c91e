"""What every part of the generator shares: where its data files are, the fixed dates, NULL, errors, the report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from amrit_assets.paths import SQL_DIR

DEMO_DIR = SQL_DIR / "demo"
KINDS_FILE = DEMO_DIR / "column_kinds.tsv"
PLACES_FILE = DEMO_DIR / "places.tsv"
NAME_RULES_FILE = DEMO_DIR / "name_rules.tsv"

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

_SAFE = re.compile(r"[^A-Za-z0-9 .,/#&()+:@-]")


def _clean(s: str) -> str:
    """ASCII without quotes, tabs, newlines or backslashes, so no TSV/JSON escaping is ever needed."""
    return _SAFE.sub("", s.replace("\n", ", ")).strip(" ,")
def _fmt_ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")
