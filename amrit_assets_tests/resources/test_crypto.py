"""The raw-dump encryption format: round trips, and every way a file can be wrong is detected."""

from __future__ import annotations

import io
import os

import pytest

from amrit_assets.resources.crypto import (
    HEADER_SIZE,
    MAGIC,
    TAG_SIZE,
    DecryptError,
    decrypt_chunks,
    encrypt_stream,
    is_encrypted,
)

KEY = b"test-key-0123456789abcdef"  # a test fixture, not a secret
SMALL = 64  # small chunks make many-chunk files cheap


def encrypt(data: bytes, key: bytes = KEY, chunk: int = SMALL) -> bytes:
    out = io.BytesIO()
    assert encrypt_stream(io.BytesIO(data), out, key, chunk_size=chunk) == len(data)
    return out.getvalue()


def decrypt(blob: bytes, key: bytes = KEY) -> bytes:
    return b"".join(decrypt_chunks(io.BytesIO(blob), key))


def problem(blob: bytes, key: bytes = KEY) -> str:
    with pytest.raises(DecryptError) as info:
        decrypt(blob, key)
    return info.value.problem


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 5 * SMALL + 7])
def test_round_trip_at_every_chunk_boundary(size):
    data = os.urandom(size)
    blob = encrypt(data)
    chunks = max(1, -(-size // SMALL))
    assert len(blob) == HEADER_SIZE + size + chunks * TAG_SIZE
    assert decrypt(blob) == data


def test_default_chunk_size_round_trip_and_ciphertext_hides_plaintext():
    data = b"INSERT INTO t VALUES (1,'Ramesh Kumar','9876543210');\n" * 60000  # ~3 MiB: several 1 MiB chunks
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, KEY)
    blob = out.getvalue()
    assert blob.startswith(MAGIC) and b"Ramesh" not in blob and KEY not in blob
    assert decrypt(blob) == data


def test_same_input_encrypts_differently_each_time():
    data = b"x" * 200
    assert encrypt(data) != encrypt(data)  # fresh salt and nonce prefix per file


def test_reads_in_chunks_never_whole():
    class Recording(io.BytesIO):
        sizes: list[int] = []

        def read(self, n=-1):
            self.sizes.append(n)
            return super().read(n)

    src = Recording(os.urandom(10 * SMALL))
    encrypt_stream(src, io.BytesIO(), KEY, chunk_size=SMALL)
    assert src.sizes and all(0 < n <= SMALL for n in src.sizes)


def test_wrong_key_is_named():
    assert problem(encrypt(b"hello" * 50), key=b"another-key-0123456789") == "wrong_key"


@pytest.mark.parametrize("where", ["salt", "body", "tag", "last_byte"])
def test_a_flipped_bit_anywhere_is_detected(where):
    blob = bytearray(encrypt(os.urandom(4 * SMALL + 3)))
    offset = {"salt": 14, "body": HEADER_SIZE + SMALL + TAG_SIZE + 5, "tag": HEADER_SIZE + SMALL + 2, "last_byte": len(blob) - 1}[where]
    blob[offset] ^= 0x01
    assert problem(bytes(blob)) in ({"wrong_key"} if where == "salt" else {"corrupt"})


def test_truncation_is_detected():
    blob = encrypt(os.urandom(4 * SMALL + 3))
    sealed = SMALL + TAG_SIZE
    assert problem(blob[: HEADER_SIZE + 2 * sealed]) == "truncated"  # cut at a chunk boundary: final chunk missing
    assert problem(blob[: HEADER_SIZE + 2 * sealed + 10]) == "corrupt"  # cut inside a chunk
    assert problem(blob[:HEADER_SIZE]) == "truncated"  # nothing after the header
    assert problem(blob[: HEADER_SIZE - 3]) == "truncated"


def test_reordered_dropped_and_appended_chunks_are_detected():
    blob = encrypt(os.urandom(4 * SMALL))
    sealed = SMALL + TAG_SIZE
    head, body = blob[:HEADER_SIZE], blob[HEADER_SIZE:]
    chunks = [body[i : i + sealed] for i in range(0, len(body), sealed)]
    assert problem(head + chunks[1] + chunks[0] + b"".join(chunks[2:])) == "corrupt"
    assert problem(head + chunks[0] + b"".join(chunks[2:])) == "corrupt"
    assert problem(blob + b"extra") == "trailing"
    assert problem(blob + blob[HEADER_SIZE : HEADER_SIZE + sealed]) == "trailing"


def test_plaintext_is_not_mistaken_for_encrypted(tmp_path):
    plain = tmp_path / "db.sql"
    plain.write_bytes(b"-- MySQL dump\n")
    enc = tmp_path / "db.sql.enc"
    enc.write_bytes(encrypt(b"-- MySQL dump\n"))
    assert not is_encrypted(plain) and is_encrypted(enc)
    assert problem(plain.read_bytes()) == "not_encrypted"
