"""Pure wire <-> domain mapping for the crypto collector: no I/O, no clock, no secrets.

The adapter does the transport; everything here takes plain values and returns plain
values, so each rule is testable on its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from providers.base import (
    CheckoutCreated,
    CheckoutRequest,
    PaymentStatus,
    ProviderStatus,
    WebhookNotification,
)
from providers.crypto_collector.options import Conversion
from providers.errors import WebhookVerificationError
from router.money import format_amount

logger = logging.getLogger(__name__)

# The one table from the collector's payment statuses (seed 002) to the router's.
# A crypto payment waits for on-chain confirmations for minutes: "confirming" (and an
# underpaid "pending") is normal progress, never a failure.
STATUS_TABLE: Mapping[str, PaymentStatus] = MappingProxyType(
    {
        "initiated": PaymentStatus.PENDING,
        "pending": PaymentStatus.PENDING,
        "confirming": PaymentStatus.PENDING,
        "paid": PaymentStatus.COMPLETED,
        "failed": PaymentStatus.FAILED,
        "expired": PaymentStatus.EXPIRED,
    }
)

_DESCRIPTION_MAX = 100  # seed 001: description <= 100 characters


class ShapeError(ValueError):
    """A collector response is not the shape its API documents (field missing or wrong)."""


@dataclass(frozen=True)
class Charge:
    """What the collector is asked to charge: the order's amount, converted if need be."""

    amount: Decimal
    currency: str
    conversion: Conversion | None = None


def map_status(provider_status: str) -> PaymentStatus:
    """The router status for a collector status; an unknown one is PENDING, with a warning.

    Unknown is not failure: the router keeps polling, and a later read may say more.
    """
    mapped = STATUS_TABLE.get(provider_status)
    if mapped is None:
        logger.warning("crypto collector returned unknown payment status %r", provider_status)
        return PaymentStatus.PENDING
    return mapped


def charge_for(request: CheckoutRequest, conversion: Conversion | None) -> Charge:
    """The collector-side amount for ``request``: as is, or converted by ``conversion``."""
    if conversion is None:
        return Charge(request.amount_total, request.currency)
    return Charge(conversion.convert(request.amount_total), conversion.target, conversion)


def checkout_payload(request: CheckoutRequest, charge: Charge) -> dict[str, Any]:
    """The JSON object for ``POST /v1/sdk/checkout/sessions``."""
    metadata: dict[str, str] = {
        **request.metadata,
        "orderReference": request.order_reference,
        "payrouter_session_id": request.session_id,
    }
    if charge.conversion is not None:
        metadata.update(
            originalAmount=format_amount(request.amount_total, request.currency),
            originalCurrency=request.currency,
            conversionRate=str(charge.conversion.rate),
            conversionRateAsOf=charge.conversion.as_of.isoformat(),
        )
    payload: dict[str, Any] = {
        # A decimal string with exactly the currency's decimals ("140.76"), never a JSON
        # number: most JSON readers turn a number into a binary float, and a float cannot
        # hold 140.76 exactly, so money would drift on the way.
        "amount": format_amount(charge.amount, charge.currency),
        "currency": charge.currency,
        "successUrl": request.success_url,
        "cancelUrl": request.cancel_url,
        # One router session is one collector order: the collector refuses a second order
        # with the same id (409), which guards against charging one session twice.
        "orderId": request.session_id,
        "description": f"Order {request.order_reference}"[:_DESCRIPTION_MAX],
        "metadata": metadata,
    }
    if request.customer.email:
        payload["customerEmail"] = request.customer.email
    return payload


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes both sent and signed."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_json(raw: bytes) -> Any:
    """Parse JSON keeping every number's digits (``Decimal``, never float).

    Raises :class:`ShapeError` when ``raw`` is not UTF-8 JSON.
    """
    try:
        return json.loads(raw, parse_float=Decimal)
    # RecursionError: a deeply nested document ("[[[[...") exhausts the parser's stack.
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ShapeError("the response is not JSON") from exc


def parse_created(payload: Any) -> CheckoutCreated:
    """Read a create-session response. Raises :class:`ShapeError` when it is incomplete."""
    body = _object(payload)
    payment_id = _text(body, "paymentId")
    checkout_url = _text(body, "checkoutUrl")
    parts = urlsplit(checkout_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ShapeError("checkoutUrl is not an absolute http(s) URL")
    expires_raw = body.get("expiresAt")
    expires_at = None if expires_raw is None else parse_timestamp(expires_raw, "expiresAt")
    return CheckoutCreated(payment_id, checkout_url, expires_at)


def parse_status(payload: Any, provider_reference: str) -> ProviderStatus:
    """Read a ``GET /v1/payments/{id}`` response. Raises :class:`ShapeError`."""
    body = _object(payload)
    raw_status = _text(body, "status")
    payment_id = body.get("id", provider_reference)
    if payment_id != provider_reference:
        raise ShapeError("the payment read is not the one asked for")
    return ProviderStatus(provider_reference, map_status(raw_status), raw_status)


def parse_timestamp(value: Any, name: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive is taken as UTC)."""
    if not isinstance(value, str):
        raise ShapeError(f"{name} is not a timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ShapeError(f"{name} is not an ISO 8601 timestamp") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_ipn(body: bytes) -> WebhookNotification:
    """Read an IPN (seed 001) as an *untrusted* claim about a payment.

    The IPN carries no signature the router can check, so ``trusted`` is always false and
    the router re-reads the payment before it changes anything. Raises
    :class:`WebhookVerificationError` when the body is not a JSON object naming a payment.
    """
    try:
        payload = decode_json(body)
    except ShapeError as exc:
        raise WebhookVerificationError("the notification body is not JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the notification body is not a JSON object")
    payment_id = payload.get("paymentId") or payload.get("id")
    if not isinstance(payment_id, str) or not payment_id:
        raise WebhookVerificationError("the notification names no payment (paymentId or id)")
    raw_status = payload.get("status")
    claimed = STATUS_TABLE.get(raw_status) if isinstance(raw_status, str) else None
    status_text = raw_status if isinstance(raw_status, str) and raw_status else "unknown"
    event_id = payload.get("eventId")
    if not isinstance(event_id, str) or not event_id:
        event_id = f"{payment_id}:{status_text}"
    metadata = payload.get("metadata")
    session_id = metadata.get("payrouter_session_id") if isinstance(metadata, dict) else None
    return WebhookNotification(
        event_id=event_id,
        event_type=f"payment.{status_text}",
        provider_reference=payment_id,
        session_id=session_id if isinstance(session_id, str) and session_id else None,
        status=claimed,
        trusted=False,
    )


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ShapeError("the response is not a JSON object")
    return payload


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"the response lacks {name}")
    return value
