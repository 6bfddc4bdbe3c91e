"""The secret anonymization key: purpose keys derived from it, a fingerprint for the audit.

The key comes from the environment (``AMRIT_ANON_KEY``). It is never sent to a server, written to a
table, a dump, a log or metadata: servers get per-purpose HMAC-derived keys as session variables,
which vanish with the session, and reviewers see only a fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac

PURPOSES = ("name", "email", "user", "id", "pin", "addr", "date", "geo", "ip", "fp")
MIN_KEY_LENGTH = 16


class AnonKeyError(ValueError):
    pass


def check_key(key: str | None) -> bytes:
    if not key:
        raise AnonKeyError(
            "no anonymization key: set AMRIT_ANON_KEY to a secret of at least 16 characters "
            "(e.g. `export AMRIT_ANON_KEY=$(openssl rand -hex 32)`) and keep it the same across refreshes"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise AnonKeyError(f"AMRIT_ANON_KEY is too short ({len(key)} characters): use at least {MIN_KEY_LENGTH}")
    return key.encode()


def derive(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, b"amrit-anon/" + purpose.encode(), hashlib.sha256).digest()


def fingerprint(key: bytes) -> str:
    """Identifies which key was used (same key → same fingerprint) without revealing it."""
    return derive(key, "fingerprint").hex()[:16]


def set_session_keys(cursor, key: bytes, uat_credential: str | None = None) -> None:
    """Give one server session the derived keys the compiled SQL reads (``@amrit_k_<purpose>``)."""
    for purpose in PURPOSES:
        cursor.execute(f"SET @amrit_k_{purpose} = %s", (derive(key, purpose).hex(),))
    cursor.execute("SET @amrit_uat_credential = %s", (uat_credential,))
