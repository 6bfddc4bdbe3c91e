import pytest

from amrit_assets import policy
from amrit_assets.common.keys import AnonKeyError, check_key, derive, fingerprint
from amrit_assets.resources.settings import RefreshSettings


def test_a_refresh_refuses_to_run_without_a_key():
    with pytest.raises(AnonKeyError, match="set AMRIT_ANON_KEY"):
        policy.key(RefreshSettings(anon_key=""))
    with pytest.raises(AnonKeyError, match="too short"):
        check_key("short")


def test_derived_keys_and_fingerprint_do_not_reveal_the_key():
    key = check_key("correct horse battery staple 42")
    assert derive(key, "name") != derive(key, "phone")
    assert key.hex() not in fingerprint(key) and "correct" not in fingerprint(key)
    assert fingerprint(key) == fingerprint(check_key("correct horse battery staple 42"))
    assert fingerprint(key) != fingerprint(check_key("another secret key of length"))
