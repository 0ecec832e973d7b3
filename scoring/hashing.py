"""Stable hashes for volume splits and exploration: the same in every process and run.

Python's ``hash()`` of a string changes per process (PYTHONHASHSEED), so a retry served by
another process could land elsewhere; BLAKE2b does not.
"""

from __future__ import annotations

import hashlib

_SPACE = 2**64


def stable_u64(prefix: bytes, key: str) -> int:
    """A 64-bit integer determined by ``prefix`` and ``key`` alone, uniform over 0..2**64-1."""
    digest = hashlib.blake2b(prefix + key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def bucket(prefix: bytes, key: str, buckets: int = 100) -> int:
    """``0 <= bucket < buckets``, stable per ``(prefix, key)``.

    The modulo bias of 2**64 over 100 buckets is below 1e-17: negligible.
    """
    return stable_u64(prefix, key) % buckets


def threshold(rate_numerator: int, rate_denominator: int) -> int:
    """The ``stable_u64`` value below which a draw falls inside ``rate`` (exact, no float)."""
    return _SPACE * rate_numerator // rate_denominator
