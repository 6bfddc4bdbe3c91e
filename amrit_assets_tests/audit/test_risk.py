"""k-anonymity over (year of birth, gender, district), on the real db_identity DDL of sql/schema."""

from __future__ import annotations

import pytest

from amrit_assets.audit.risk import k_anonymity, k_anonymity_sql
from amrit_assets.demo.schema import create_databases, run_sql_file
from amrit_assets.paths import SCHEMA_DIR
from amrit_assets.resources.mysql import connect

pytestmark = pytest.mark.integration

# (year of birth, gender, current district, permanent district): the groups are known.
PEOPLE = (
    [(1990, 1, 10, 10)] * 6  # a group of 6 ...
    + [(1990, 1, None, 10)]  # ... joined by one whose current district is missing (permanent counts): 7
    + [(1985, 2, 11, 11)] * 2  # a group of 2
    + [(None, 2, 11, 11)]  # no date of birth: a group of its own, counted as missing a part
    + [(1970, 1, 12, 12)]  # unique
)


@pytest.fixture(scope="module")
def identity(server):
    create_databases(server, ("db_identity",))
    run_sql_file(server, "db_identity", SCHEMA_DIR / "db_identity.sql")
    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")  # the real tables have many NOT NULL columns the test does not need
        for i, (year, gender, curr, perm) in enumerate(PEOPLE, start=1):
            dob = f"{year}-06-15 00:00:00" if year else None
            cur.execute("INSERT INTO db_identity.i_beneficiarydetails (BeneficiaryDetailsId, DOB, GenderId) VALUES (%s, %s, %s)", (100 + i, dob, gender))
            cur.execute(
                "INSERT INTO db_identity.i_beneficiaryaddress (BenAddressID, CurrDistrictId, PermDistrictId) VALUES (%s, %s, %s)",
                (200 + i, curr, perm),
            )
            cur.execute(
                "INSERT INTO db_identity.i_beneficiarymapping (BenMapId, BenRegId, BenDetailsId, BenAddressId, BenContactsId)"
                " VALUES (%s, %s, %s, %s, 0)",
                (i, 5000 + i, 100 + i, 200 + i),
            )
    yield conn
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE db_identity")
    conn.close()


def test_k_and_small_groups(identity):
    r = k_anonymity(identity)
    assert r.beneficiaries == len(PEOPLE) == 11
    assert r.groups == 4
    assert r.k == 1
    assert r.groups_below == 3  # 2, 1 (no DOB), 1 (unique)
    assert r.beneficiaries_below == 4
    assert r.unique == 2
    assert r.with_missing_part == 1
    assert r.as_dict()["share_below"] == round(4 / 11, 6)


def test_threshold_is_a_parameter(identity):
    r = k_anonymity(identity, threshold=2)
    assert (r.groups_below, r.beneficiaries_below) == (2, 2)


def test_one_group_by_and_only_counts(identity):
    sql = k_anonymity_sql()
    assert sql.upper().count("GROUP BY") == 1
    with identity.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
    assert len(row) == 7 and all(isinstance(int(v), int) for v in row)


def test_empty_database_gives_zero(server):
    create_databases(server, ("risk_empty",))
    run_sql_file(server, "risk_empty", SCHEMA_DIR / "db_identity.sql")
    conn = connect(server)
    try:
        r = k_anonymity(conn, db="risk_empty")
        assert (r.beneficiaries, r.groups, r.k, r.groups_below) == (0, 0, 0, 0)
        assert r.share_below is None
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE risk_empty")
        conn.close()
