"""Stripe webhooks: prove a notification came from Stripe, then read what it says.

Verification is done here rather than with ``stripe.Webhook.construct_event`` so that the
tolerance is measured against the router's injected clock (testable without sleeping) and
every failure is a :class:`WebhookVerificationError` with a message saying which check failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from providers.base import PaymentStatus, WebhookNotification
from providers.errors import WebhookVerificationError
from providers.stripe.metadata import SESSION_ID_KEY

SIGNATURE_HEADER: Final = "Stripe-Signature"
TOLERANCE_SECONDS: Final = 300
MAX_SIGNATURE_HEADER_LENGTH: Final = 4096
# Unix seconds have 10 digits until the year 2286; a longer "timestamp" is garbage.
MAX_TIMESTAMP_DIGITS: Final = 12

_COMPLETED: Final = "checkout.session.completed"
# Event type -> the status it announces. checkout.session.completed is resolved by the
# session's payment_status: an unpaid completion waits for async_payment_succeeded/_failed.
EVENT_STATUS: Final[Mapping[str, PaymentStatus]] = MappingProxyType(
    {
        "checkout.session.async_payment_succeeded": PaymentStatus.COMPLETED,
        "checkout.session.async_payment_failed": PaymentStatus.FAILED,
        "checkout.session.expired": PaymentStatus.EXPIRED,
    }
)
_PAID: Final = frozenset({"paid", "no_payment_required"})


def verify_signature(header: str | None, body: bytes, secret: str, now: datetime) -> None:
    """Check ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`` for ``body``.

    Passes when one ``v1`` equals HMAC-SHA256(secret, ``f"{t}.{body}"``), compared in
    constant time, and ``t`` is within 300 s of ``now``. Raises
    :class:`WebhookVerificationError` otherwise.
    """
    if not secret:
        raise WebhookVerificationError("no webhook secret is configured for this instance")
    if not header:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    if len(header) > MAX_SIGNATURE_HEADER_LENGTH:
        raise WebhookVerificationError(f"{SIGNATURE_HEADER} header is too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookVerificationError(f"malformed {SIGNATURE_HEADER} header")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value.lower())
    if (
        len(timestamps) != 1
        or not timestamps[0].isascii()
        or not timestamps[0].isdigit()
        or len(timestamps[0]) > MAX_TIMESTAMP_DIGITS
    ):
        raise WebhookVerificationError(f"{SIGNATURE_HEADER} header has no valid timestamp")
    if not signatures:
        raise WebhookVerificationError(f"{SIGNATURE_HEADER} header has no v1 signature")
    signed = timestamps[0].encode("ascii") + b"." + body
    expected = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest().encode()
    # Check every v1 (Stripe sends several while a secret is being rolled), no early exit.
    matched = False
    for signature in signatures:
        matched |= hmac.compare_digest(expected, signature.encode("utf-8"))
    if not matched:
        raise WebhookVerificationError("signature does not match the payload")
    age = now.timestamp() - int(timestamps[0])
    if abs(age) > TOLERANCE_SECONDS:
        raise WebhookVerificationError(
            f"signature timestamp is {int(abs(age))} s away from now "
            f"(tolerance {TOLERANCE_SECONDS} s)"
        )


def read_notification(body: bytes) -> WebhookNotification:
    """The notification a verified Stripe event body carries.

    Raises :class:`WebhookVerificationError` when the body is not a JSON event with an
    ``id``, a ``type`` and a ``data.object``.
    """
    try:
        event = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and UnicodeDecodeError; RecursionError is
        # what json raises for absurdly deep nesting.
        raise WebhookVerificationError("event body is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("event body is not a JSON object")
    event_id = event.get("id")
    event_type = event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not event_id:
        raise WebhookVerificationError("event has no id")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookVerificationError("event has no type")
    if not isinstance(obj, dict):
        raise WebhookVerificationError("event has no data.object")
    is_session = event_type.startswith("checkout.session.") or obj.get("object") == (
        "checkout.session"
    )
    reference = obj.get("id") if is_session else None
    if event_type.startswith("checkout.session.") and not (
        isinstance(reference, str) and reference
    ):
        raise WebhookVerificationError(f"{event_type} event has no checkout session id")
    return WebhookNotification(
        event_id=event_id,
        event_type=event_type,
        provider_reference=reference if isinstance(reference, str) else None,
        session_id=_session_id(obj) if is_session else None,
        status=_announced_status(event_type, obj),
        trusted=True,
    )


def verify_webhook(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime
) -> WebhookNotification:
    """Verify a Stripe webhook request and read it. Raises :class:`WebhookVerificationError`."""
    verify_signature(_header(headers, SIGNATURE_HEADER), body, secret, now)
    return read_notification(body)


def _announced_status(event_type: str, session: Mapping[str, Any]) -> PaymentStatus | None:
    if event_type == _COMPLETED:
        return PaymentStatus.COMPLETED if session.get("payment_status") in _PAID else None
    return EVENT_STATUS.get(event_type)


def _session_id(session: Mapping[str, Any]) -> str | None:
    metadata = session.get("metadata")
    value = metadata.get(SESSION_ID_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Starlette's Headers are case-insensitive, a plain dict is not.
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None
