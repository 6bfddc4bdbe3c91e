"""A clean refresh of the generated data leaves no source full name, original BenRegID, phone or Aadhaar
in any text column of the four anonymized databases.

The scan is written here, independently of the project's scrubber and leak check: plain SQL over
information_schema reads the originals from "production" and every text value from UAT.
``python -m amrit_assets_tests.anonymize.test_scrub_refresh 2000`` prints the survivors by category
at 2,000 beneficiaries (the measurement reported in issue 9).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from amrit_assets.partitions import DATABASES
from amrit_assets.resources.mysql import ServerAddress, connect
from amrit_assets_tests.conftest import instance_demo

KEY = "scrub-refresh-test-key-0123456789"  # a test fixture, not a secret
PERSON_FULL = re.compile(r"^(fathername|mothername|spousename|husband_?name|patientname|ben_name|father_name|spouse_name)$", re.I)
# A digit run with separators, as a token of its own (inside a hex session id it is no number)
_RUN = re.compile(r"(?<![0-9A-Za-z])\d[\d .\-/()+]*\d(?![0-9A-Za-z])")


def _columns(cur, where: str) -> list[tuple[str, str, str]]:
    dbs = ",".join(f"'{d}'" for d in DATABASES)
    cur.execute(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        f" WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN ({dbs}) AND {where}"
    )
    return list(cur.fetchall())


def originals(source: ServerAddress) -> dict[str, set[str]]:
    """Full names ("first last", lower case) of every person, BenRegIDs, phones and Aadhaar numbers."""
    out: dict[str, set[str]] = {"full_name": set(), "benregid": set(), "phone": set(), "aadhaar": set()}
    conn = connect(source)
    with conn.cursor() as cur:
        tables: dict[tuple[str, str], list[str]] = {}
        for db, t, c in _columns(cur, "c.data_type IN ('varchar','char','text','bigint','int','mediumtext')"):
            tables.setdefault((db, t), []).append(c)
        for (db, t), cols in tables.items():
            low = {c.lower(): c for c in cols}
            first = next((low[k] for k in ("firstname", "first_name") if k in low), None)
            last = next((low[k] for k in ("lastname", "last_name") if k in low), None)
            if first and last:
                cur.execute(f"SELECT DISTINCT LOWER(TRIM(`{first}`)), LOWER(TRIM(`{last}`)) FROM `{db}`.`{t}`")
                for f, la in cur.fetchall():
                    if f and la and len(f) >= 3 and len(la) >= 3:
                        out["full_name"].update({f"{f} {la}", f"{la} {f}"})
            for c in cols:
                lc = c.lower()
                if PERSON_FULL.match(c):
                    cur.execute(f"SELECT DISTINCT LOWER(TRIM(`{c}`)) FROM `{db}`.`{t}` WHERE `{c}` LIKE '%_ _%'")
                    out["full_name"].update(v for (v,) in cur.fetchall() if all(len(p) >= 3 for p in v.split()))
                kind = ("benregid" if lc in ("beneficiaryregid", "benregid") else
                        "phone" if re.search(r"phone(no|num)|mobile|contactno", lc) else
                        "aadhaar" if "aadha" in lc and "type" not in lc else None)
                if kind:
                    cur.execute(f"SELECT DISTINCT CAST(`{c}` AS CHAR) FROM `{db}`.`{t}` WHERE `{c}` IS NOT NULL")
                    for (v,) in cur.fetchall():
                        d = re.sub(r"\D", "", v or "")
                        if kind == "benregid" and len(d) >= 6:
                            out[kind].add(d)
                        elif kind == "phone" and len(d) >= 10:
                            out[kind].add(d[-10:])
                        elif kind == "aadhaar" and len(d) == 12:
                            out[kind].add(d)
    conn.close()
    return out


def uat_replacements(cur) -> tuple[set[str], set[str]]:
    """What UAT's own name and BenRegID columns hold: pseudonyms and new ids. Pseudonyms come from a pool
    of real Indian names and new ids from the same digit range as the originals, so one can equal
    somebody's original by chance; a payload holding exactly such a value is not told apart from them."""
    pseudonyms: set[str] = set()
    new_ids: set[str] = set()
    for db, t, c in _columns(cur, "(c.column_name LIKE '%name' OR c.column_name IN ('BeneficiaryRegID', 'BenRegId'))"):
        cur.execute(f"SELECT DISTINCT LOWER(TRIM(CAST(`{c}` AS CHAR))) FROM `{db}`.`{t}` WHERE `{c}` IS NOT NULL")
        target = new_ids if c.lower() in ("beneficiaryregid", "benregid") else pseudonyms
        target.update(v for (v,) in cur.fetchall())
    return pseudonyms, new_ids


def survivors(source: ServerAddress, uat: ServerAddress) -> Counter:
    """(category, db.table.column) -> count of UAT text values holding an original."""
    orig = originals(source)
    names = sorted(orig["full_name"], key=len, reverse=True)
    name_re = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b") if names else None
    found: Counter = Counter()
    conn = connect(uat)
    with conn.cursor() as cur:
        pseudonyms, new_ids = uat_replacements(cur)
        wide = {(db, t, c) for db, t, c in _columns(cur, "(c.data_type LIKE '%text' OR c.character_maximum_length >= 100)")}
        for db, t, c in _columns(cur, "c.data_type IN ('varchar','char','text','mediumtext','longtext','tinytext','json')"):
            cur.execute(f"SELECT `{c}` FROM `{db}`.`{t}` WHERE CHAR_LENGTH(`{c}`) >= 6")
            # Ids are searched in typed text and payloads (wide columns, values with words). A short or
            # number-only value (a CTI session id, a certificate number) whose digits equal some original
            # BenRegID is a coincidence of ranges, and an id copied whole into a kept column is the
            # leak check's matter, not the scrubber's.
            typed = (db, t, c) in wide
            for (v,) in cur.fetchall():
                where = f"{db}.{t}.{c}"
                low = v.lower()
                # A name column holds pool pseudonyms, some of which are also somebody's real name by
                # chance: not a leak. Free text must hold none.
                if name_re and " " in low and not c.lower().endswith("name"):
                    if any(m.group(0) not in pseudonyms for m in name_re.finditer(low)):
                        found["full_name", where] += 1
                if re.search(r"\[phone\]\d", v):
                    found["aadhaar_fragment", where] += 1
                for run in _RUN.findall(v):
                    d = re.sub(r"\D", "", run)
                    if typed and d in orig["benregid"] and d not in new_ids and re.search(r"[A-Za-z]", v):
                        found["benregid", where] += 1
                    if any(d[i:i + 12] in orig["aadhaar"] for i in range(max(0, len(d) - 11))):
                        found["aadhaar", where] += 1
                    if any(d[i:i + 10] in orig["phone"] for i in range(max(0, len(d) - 9))):
                        found["phone", where] += 1
    conn.close()
    return found


HARD_CASES = {  # what the generator plants on purpose (issue 9, item 4), as plain SQL over the source
    "spelled_email": "REGEXP '[a-z]+ (at|\\[at\\]|\\(at\\)|AT) [a-z]+ (dot|\\[dot\\]|\\(dot\\)|DOT) '",
    "dotted_or_slashed_phone": "REGEXP '[0-9]{3}[./][0-9]{3}[./][0-9]{4}'",
    "prefixed_phone": "REGEXP '[+]91[ -(]?[0-9]{5}'",
    "grouped_aadhaar": "REGEXP '[0-9]{4}[ ./-][0-9]{4}[ ./-][0-9]{4}'",
    "other_person_named": "LIKE '%neighbour %'",
    "json_related_ids": "LIKE '%\"related\":[{\"benRegID\":%'",
}


def hard_cases_in_source(source: ServerAddress) -> dict[str, int]:
    """Values of the source's text columns holding each hard case."""
    out = dict.fromkeys(HARD_CASES, 0)
    conn = connect(source)
    with conn.cursor() as cur:
        for db, t, c in _columns(cur, "c.data_type IN ('varchar','text','mediumtext','longtext')"):
            for name, cond in HARD_CASES.items():
                cur.execute(f"SELECT COUNT(*) FROM `{db}`.`{t}` WHERE `{c}` {cond}")
                out[name] += cur.fetchone()[0]
    conn.close()
    return out


def refreshed_demo(beneficiaries: int, data_dir: Path):
    """The demo environment after a full ``amrit-anon refresh`` into UAT, in an instance of its own (a generator of one)."""
    from amrit_assets.cli import main

    with instance_demo(data_dir, beneficiaries, KEY) as (env, _home):
        assert main(["refresh"]) == 0
        yield env


def by_category(found: Counter) -> dict[str, int]:
    out: Counter = Counter()
    for (cat, _), n in found.items():
        out[cat] += n
    return dict(out)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    yield from refreshed_demo(150, tmp_path_factory.mktemp("scrub_refresh"))


@pytest.mark.integration
def test_no_original_full_name_or_identifier_survives_in_any_text_column(refreshed):
    hard = hard_cases_in_source(refreshed.servers["source"])
    assert all(n > 0 for n in hard.values()), hard
    orig = originals(refreshed.servers["source"])
    assert len(orig["full_name"]) > 100 and orig["benregid"] and orig["phone"] and orig["aadhaar"]
    found = survivors(refreshed.servers["source"], refreshed.servers["uat"])
    assert by_category(found) == {}, sorted(found.items())[:20]


if __name__ == "__main__":  # measurement: survivors by category after a refresh of N beneficiaries
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for env in refreshed_demo(int(sys.argv[1]), Path(tmp)):
            print("hard cases in the source:", hard_cases_in_source(env.servers["source"]))
            result = survivors(env.servers["source"], env.servers["uat"])
            print("by category:", by_category(result))
            for (cat, where), n in sorted(result.items(), key=lambda x: -x[1])[:40]:
                print(f"  {cat:18} {where:60} {n}")
