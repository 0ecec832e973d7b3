"""Wire mapping: payrouter's DTOs to ExamplePay's JSON and back. Pure functions, no I/O.

ExamplePay's checkout object (what every API call answers)::

    {"id": "chk_...", "status": "open" | "paid" | "failed" | "expired",
     "amount": 14076, "currency": "USD", "reference": "ORD-1", "session_id": "...",
     "url": "https://pay.examplepay.example/pay/chk_...", "expires_at": 1780000000,
     "created": 1779996400}

Amounts are integer minor units by the currency's ISO 4217 exponent, converted only here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from providers.base import CheckoutCreated, CheckoutRequest, PaymentStatus, ProviderStatus
from router.money import to_minor_units

# ExamplePay's statuses -> the router's, in one table. Unknown ones are a WireError.
STATUS_TABLE: Final[Mapping[str, PaymentStatus]] = MappingProxyType(
    {
        "open": PaymentStatus.PENDING,
        "paid": PaymentStatus.COMPLETED,
        "failed": PaymentStatus.FAILED,
        "expired": PaymentStatus.EXPIRED,
    }
)
# Checkout ids go into URL paths: only ids of this shape are ever sent.
REFERENCE: Final = re.compile(r"^chk_[A-Za-z0-9]{8,64}$")
_MAX_UNIX: Final = 253402300799  # 9999-12-31T23:59:59Z


class WireError(ValueError):
    """An ExamplePay answer is not what its API documents."""


@dataclass(frozen=True)
class Checkout:
    """The fields of an ExamplePay checkout object the adapter uses."""

    id: str
    status: str
    url: str
    expires_at: datetime | None


def checkout_payload(request: CheckoutRequest) -> dict[str, Any]:
    """The ``POST /v1/checkouts`` body for ``request``.

    Raises ``ValueError`` when the amount has more decimals than the currency allows.
    """
    return {
        "amount": to_minor_units(request.amount_total, request.currency),
        "currency": request.currency,
        "reference": request.order_reference,
        "session_id": request.session_id,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "expires_at": int(request.expires_at.timestamp()),
        "customer_email": request.customer.email,
    }


def parse_checkout(payload: Any) -> Checkout:
    """Read a checkout object. Raises :class:`WireError` when it is malformed."""
    if not isinstance(payload, dict):
        raise WireError("the answer is not a JSON object")
    checkout_id = payload.get("id")
    if not isinstance(checkout_id, str) or not REFERENCE.match(checkout_id):
        raise WireError("the checkout has no valid id")
    status = payload.get("status")
    if not isinstance(status, str) or status not in STATUS_TABLE:
        raise WireError(f"the checkout has an unknown status {str(status)[:40]!r}")
    url = payload.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise WireError("the checkout has no absolute http(s) url")
    return Checkout(checkout_id, status, url, _timestamp(payload.get("expires_at")))


def checkout_created(checkout: Checkout) -> CheckoutCreated:
    return CheckoutCreated(
        provider_reference=checkout.id,
        checkout_url=checkout.url,
        expires_at=checkout.expires_at,
    )


def provider_status(checkout: Checkout, asked: str) -> ProviderStatus:
    """The router's status of ``checkout``. Raises :class:`WireError` when the answer is
    about another checkout than the one ``asked`` for."""
    if checkout.id != asked:
        raise WireError("the answer is about another checkout")
    return ProviderStatus(
        provider_reference=checkout.id,
        status=STATUS_TABLE[checkout.status],
        provider_status=checkout.status,
    )


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    # bool is an int in Python; a JSON true is not a timestamp.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_UNIX:
        raise WireError("expires_at is not a unix timestamp")
    return datetime.fromtimestamp(value, UTC)
