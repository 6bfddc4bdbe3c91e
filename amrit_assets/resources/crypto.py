"""Encryption at rest for raw dumps (they hold production PII): streamed AES-256-GCM in sealed chunks.

File format (version 1)::

    header  = b"AMRITENC" | version (1 byte) | chunk size (4, big-endian) | salt (16) | nonce prefix (8)
              | key check (16)
    chunk i = AES-256-GCM(key, nonce = prefix | i (4, big-endian), plaintext (chunk size bytes, the last
              one 0..chunk size), aad = header | i (8, big-endian) | final flag (1)) = ciphertext | tag (16)

The key is an HKDF-SHA256 subkey of the anonymization key (``AMRIT_ANON_KEY``), labelled for this
purpose and salted per file, so there is one secret to keep and every file has its own key. Each
chunk is authenticated with its index and whether it is the last one, and every chunk carries the
header, so a flipped bit, reordered or dropped chunks, a cut-off end and appended bytes all fail. The
key check (an HMAC of the header under a second subkey) tells "wrong key" apart from "damaged file".
Nothing is ever held whole: memory is two chunks, whatever the dump's size.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"AMRITENC"
VERSION = 1
CHUNK_SIZE = 1 << 20
TAG_SIZE = 16
PURPOSE = b"amrit-anon/raw-dump/aes-256-gcm/v1"
_FIXED = struct.Struct(">8sBI16s8s")  # magic, version, chunk size, salt, nonce prefix
HEADER_SIZE = _FIXED.size + 16
MAX_CHUNKS = 1 << 32  # the nonce counter is 4 bytes


class DecryptError(ValueError):
    """Why a file does not decrypt; ``problem`` is one of the keys of ``PROBLEMS``."""

    def __init__(self, problem: str, detail: str = "") -> None:
        self.problem = problem
        super().__init__(PROBLEMS[problem] + (f" ({detail})" if detail else ""))


PROBLEMS = {
    "not_encrypted": "it is not an amrit-anon encrypted dump (no AMRITENC header)",
    "version": "it was written by a newer amrit-anon (unknown format version)",
    "wrong_key": "it does not decrypt with the current AMRIT_ANON_KEY (its key check fails): the key differs from the one it was written with, or its header is damaged",
    "truncated": "it is truncated: its final chunk is missing",
    "corrupt": "it was altered or cut short: a chunk fails authentication (flipped bytes, reordered, dropped or cut chunks)",
    "trailing": "it has bytes appended after its final chunk",
}


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class _Keys:
    aead: AESGCM
    check: bytes


def _derive(master_key: bytes, salt: bytes) -> _Keys:
    """One 64-byte HKDF output: the AES-256 key, then the key-check MAC key."""
    if not master_key:
        raise ValueError("an encryption key is required")
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=PURPOSE).derive(master_key)
    return _Keys(AESGCM(okm[:32]), okm[32:])


def _key_check(keys: _Keys, fixed: bytes) -> bytes:
    return hmac.new(keys.check, b"key-check" + fixed, hashlib.sha256).digest()[:16]


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def _read_full(src: BinaryIO, n: int) -> bytes:
    """``n`` bytes, fewer only at end of stream (pipes may return short reads)."""
    data = src.read(n)
    if not data or len(data) == n:
        return data or b""
    parts = [data]
    got = len(data)
    while got < n:
        more = src.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def encrypt_stream(src: BinaryIO, dst: Writable, master_key: bytes, chunk_size: int = CHUNK_SIZE) -> int:
    """Encrypt ``src`` to ``dst`` chunk by chunk; returns the plaintext byte count."""
    salt, prefix = os.urandom(16), os.urandom(8)
    keys = _derive(master_key, salt)
    fixed = _FIXED.pack(MAGIC, VERSION, chunk_size, salt, prefix)
    header = fixed + _key_check(keys, fixed)
    dst.write(header)
    total, index = 0, 0
    current = _read_full(src, chunk_size)
    while True:
        following = _read_full(src, chunk_size) if len(current) == chunk_size else b""
        final = not following
        if index >= MAX_CHUNKS:
            raise ValueError("stream too long for one encrypted file")
        dst.write(keys.aead.encrypt(_nonce(prefix, index), current, _aad(header, index, final)))
        total += len(current)
        if final:
            return total
        current, index = following, index + 1


def _read_header(src: BinaryIO, master_key: bytes) -> tuple[bytes, _Keys, int, bytes]:
    header = _read_full(src, HEADER_SIZE)
    if len(header) < len(MAGIC) or header[: len(MAGIC)] != MAGIC:
        raise DecryptError("not_encrypted")
    if len(header) < HEADER_SIZE:
        raise DecryptError("truncated", "the header is incomplete")
    _, version, chunk_size, salt, prefix = _FIXED.unpack(header[: _FIXED.size])
    if version != VERSION:
        raise DecryptError("version", f"version {version}")
    keys = _derive(master_key, salt)
    if not hmac.compare_digest(_key_check(keys, header[: _FIXED.size]), header[_FIXED.size :]):
        raise DecryptError("wrong_key")
    if not 0 < chunk_size <= 1 << 30:
        raise DecryptError("corrupt", "impossible chunk size")
    return header, keys, chunk_size, prefix


def _open_chunk(keys: _Keys, header: bytes, prefix: bytes, index: int, sealed: bytes, final: bool) -> bytes:
    """Decrypt one chunk; on failure, tell a cut-off end and appended bytes apart from damage."""
    try:
        return keys.aead.decrypt(_nonce(prefix, index), sealed, _aad(header, index, final))
    except InvalidTag:
        pass
    try:
        keys.aead.decrypt(_nonce(prefix, index), sealed, _aad(header, index, not final))
    except InvalidTag:
        raise DecryptError("corrupt", f"chunk {index}") from None
    raise DecryptError("truncated" if final else "trailing", f"after chunk {index}")


def decrypt_chunks(src: BinaryIO, master_key: bytes) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; raises ``DecryptError`` at the first chunk that fails."""
    header, keys, chunk_size, prefix = _read_header(src, master_key)
    sealed_size = chunk_size + TAG_SIZE
    index = 0
    current = _read_full(src, sealed_size)
    while True:
        if len(current) < TAG_SIZE:
            raise DecryptError("truncated" if not current else "corrupt", f"chunk {index} is missing or cut")
        following = _read_full(src, sealed_size) if len(current) == sealed_size else b""
        yield _open_chunk(keys, header, prefix, index, current, final=not following)
        if not following:
            if src.read(1):
                raise DecryptError("trailing", f"after chunk {index}")
            return
        current, index = following, index + 1


def is_encrypted(path: os.PathLike[str] | str) -> bool:
    """Whether a file starts with this format's magic (cheap: reads 8 bytes)."""
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC
