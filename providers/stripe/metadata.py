"""Fit a checkout's metadata into Stripe's limits, the same way every time."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

logger = logging.getLogger(__name__)

MAX_KEYS: Final = 50
MAX_KEY_LENGTH: Final = 40
MAX_VALUE_LENGTH: Final = 500
SESSION_ID_KEY: Final = "payrouter_session_id"


def stripe_metadata(metadata: Mapping[str, object], session_id: str) -> dict[str, str]:
    """The metadata to send: the merchant's entries that fit, plus ``payrouter_session_id``.

    Stripe takes at most 50 keys, keys up to 40 characters without ``[`` or ``]``, string
    values up to 500 characters. Keys that break those rules are dropped (a shortened key
    could collide with another), values are shortened to 500 characters, empty or ``None``
    values are dropped (Stripe reads ``""`` as "unset"), other values become strings.
    ``payrouter_session_id`` always gets its slot and wins over a merchant key of that name.

    Entries are taken in sorted key order, so the same metadata gives the same parameters
    whatever order it was stored in: a retry under the same idempotency key must send
    exactly what the first try sent, or Stripe refuses it.
    """
    result: dict[str, str] = {}
    dropped = 0
    for key in sorted(metadata):
        value = metadata[key]
        if not _key_fits(key) or key == SESSION_ID_KEY or value is None:
            dropped += 1
            continue
        text = value if isinstance(value, str) else str(value)
        if not text:
            dropped += 1
            continue
        if len(result) >= MAX_KEYS - 1:
            dropped += 1
            continue
        result[key] = text[:MAX_VALUE_LENGTH]
    if dropped:
        # Only a count: keys and values may be personal data.
        logger.info("stripe metadata: dropped %d entries that Stripe would refuse", dropped)
    result[SESSION_ID_KEY] = session_id[:MAX_VALUE_LENGTH]
    return result


def _key_fits(key: object) -> bool:
    return (
        isinstance(key, str)
        and 0 < len(key) <= MAX_KEY_LENGTH
        and "[" not in key
        and "]" not in key
    )
