"""The world: the seed decides every person (no server)."""

from __future__ import annotations

from amrit_assets.demo import generator as gen


def test_other_seed_other_world():
    a, b = gen.build_world(150, 5), gen.build_world(150, 6)
    for attr in ("full", "phone", "aadhaar_any", "benid", "address"):
        assert a.bens.get(attr) != b.bens.get(attr), attr
    assert gen.build_world(150, 5).bens.get("full") == a.bens.get("full")
