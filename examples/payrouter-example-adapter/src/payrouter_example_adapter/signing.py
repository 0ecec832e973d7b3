"""ExamplePay's webhook signature, used by the sandbox to sign and the adapter to verify.

Every notification carries two headers::

    X-ExamplePay-Timestamp: 1780000000
    X-ExamplePay-Signature: sha256=<hex HMAC-SHA256(webhook_secret, "<timestamp>." + body)>

The timestamp is signed with the body, so a captured notification cannot be replayed
later than ``TOLERANCE_SECONDS`` from the receiver's clock.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from providers.errors import WebhookVerificationError

TIMESTAMP_HEADER: Final = "X-ExamplePay-Timestamp"
SIGNATURE_HEADER: Final = "X-ExamplePay-Signature"
SCHEME: Final = "sha256="
TOLERANCE_SECONDS: Final = 300
_MAX_TIMESTAMP_DIGITS: Final = 12


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The two headers that sign ``body`` at ``timestamp``."""
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: SCHEME + signature(secret, timestamp, body),
    }


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> None:
    """Pass when the headers sign ``body`` with ``secret`` within the tolerance of ``now``.

    Raises :class:`WebhookVerificationError` saying which check failed (never the secret
    or the expected signature).
    """
    if not secret:
        raise WebhookVerificationError("no webhook secret is configured for this instance")
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    raw_signature = _header(headers, SIGNATURE_HEADER)
    if raw_timestamp is None or raw_signature is None:
        raise WebhookVerificationError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
    if (
        not raw_timestamp.isascii()
        or not raw_timestamp.isdigit()
        or len(raw_timestamp) > _MAX_TIMESTAMP_DIGITS
    ):
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} is not a unix timestamp")
    if not raw_signature.startswith(SCHEME):
        raise WebhookVerificationError(f"{SIGNATURE_HEADER} does not use {SCHEME}")
    expected = signature(secret, int(raw_timestamp), body)
    # Constant time, so the comparison leaks nothing about the expected value.
    presented = raw_signature.removeprefix(SCHEME).strip().lower()
    if not hmac.compare_digest(expected.encode("ascii"), presented.encode("utf-8")):
        raise WebhookVerificationError("the signature does not match the body")
    age = now.timestamp() - int(raw_timestamp)
    if abs(age) > TOLERANCE_SECONDS:
        raise WebhookVerificationError(
            f"the signature is {int(abs(age))} s away from now (tolerance {TOLERANCE_SECONDS} s)"
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # The router passes Starlette's case-insensitive Headers; a plain dict is not.
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)
