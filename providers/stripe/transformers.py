"""The pure wire mapping between the router's DTOs and Stripe Checkout Sessions. No I/O.

Requests become Checkout Session create params (the SDK form-encodes them); sessions read
back (a plain dict or the SDK's ``StripeObject``) become :class:`ProviderStatus` through one
table. Everything a retry sends must be a function of the request and the clock only, so a
retry under the same idempotency key sends the same params.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from providers.base import (
    CheckoutCreated,
    CheckoutRequest,
    LineItem,
    PaymentStatus,
    ProviderStatus,
)
from providers.errors import NonRetryableProviderError, RetryableProviderError
from providers.stripe.currency import to_stripe_amount
from providers.stripe.locales import stripe_locale
from providers.stripe.metadata import stripe_metadata

logger = logging.getLogger(__name__)

MAX_LINE_ITEMS: Final = 100
MAX_CLIENT_REFERENCE_LENGTH: Final = 200
MAX_SHIPPING_LABEL_LENGTH: Final = 100
DEFAULT_SHIPPING_LABEL: Final = "Shipping"
TAX_LINE_NAME: Final = "Tax"

# Stripe's window for ``expires_at``: 30 minutes to 24 hours after the session is created.
# The margin covers the time the request takes to reach Stripe and clock skew; clamped
# values are rounded to a whole step so that a retry a few seconds later (same idempotency
# key) still sends the same value.
EXPIRY_MIN: Final = timedelta(minutes=30)
EXPIRY_MAX: Final = timedelta(hours=24)
EXPIRY_MARGIN: Final = timedelta(minutes=2)
EXPIRY_STEP_SECONDS: Final = 300


def build_session_params(request: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """Checkout Session create params for ``request``, ``now`` being the injected clock's time.

    Raises :class:`NonRetryableProviderError` when Stripe could not take the request as it
    is: a method other than card, amounts Stripe cannot represent (see
    :func:`~providers.stripe.currency.to_stripe_amount`), no or too many line items, or
    line items that do not add up to ``amount_total``.
    """
    if request.method != "card":
        raise NonRetryableProviderError(
            "stripe_unsupported_method",
            f"the Stripe adapter takes card payments, not {request.method}",
        )
    currency = request.currency.lower()
    line_items = [_line_item(item, request.currency) for item in request.items]
    tax = to_stripe_amount(request.tax_amount, request.currency)
    if tax > 0:
        # Stripe has no parameter for tax computed elsewhere: it becomes a line of its own.
        line_items.append(_price_line(TAX_LINE_NAME, 1, tax, currency, sku=None))
    if not line_items:
        raise NonRetryableProviderError(
            "stripe_invalid_request", "Stripe needs at least one line item"
        )
    if len(line_items) > MAX_LINE_ITEMS:
        raise NonRetryableProviderError(
            "stripe_too_many_line_items",
            f"Stripe takes at most {MAX_LINE_ITEMS} line items (tax included), "
            f"got {len(line_items)}",
        )
    shipping = to_stripe_amount(request.shipping_amount, request.currency)
    _check_total(request, line_items, shipping)

    params: dict[str, Any] = {
        "mode": "payment",
        "payment_method_types": ["card"],
        "client_reference_id": request.order_reference[:MAX_CLIENT_REFERENCE_LENGTH],
        "line_items": line_items,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "expires_at": stripe_expires_at(request.expires_at, now),
        "metadata": stripe_metadata(request.metadata, request.session_id),
    }
    if shipping > 0:
        label = (request.shipping_label or "").strip() or DEFAULT_SHIPPING_LABEL
        params["shipping_options"] = [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": label[:MAX_SHIPPING_LABEL_LENGTH],
                    "fixed_amount": {"amount": shipping, "currency": currency},
                }
            }
        ]
    if request.customer.email:
        params["customer_email"] = request.customer.email
    locale = stripe_locale(request.locale)
    if locale is not None:
        params["locale"] = locale
    return params


def stripe_expires_at(expires_at: datetime, now: datetime) -> int:
    """``expires_at`` as unix seconds, moved into Stripe's 30 min .. 24 h window from ``now``."""
    earliest = _unix(now + EXPIRY_MIN + EXPIRY_MARGIN)
    latest = _unix(now + EXPIRY_MAX - EXPIRY_MARGIN)
    wanted = _unix(expires_at)
    if wanted < earliest:
        return -(-earliest // EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS  # round up
    if wanted > latest:
        return latest // EXPIRY_STEP_SECONDS * EXPIRY_STEP_SECONDS  # round down
    return wanted


def checkout_created(session: object, requested_expiry: datetime) -> CheckoutCreated:
    """The created checkout from Stripe's answer to a create call.

    Raises :class:`RetryableProviderError` (``stripe_invalid_response``) when the answer
    lacks the session id or its URL.
    """
    data = as_mapping(session)
    session_id = data.get("id")
    url = data.get("url")
    if not isinstance(session_id, str) or not session_id or not isinstance(url, str) or not url:
        raise RetryableProviderError(
            "stripe_invalid_response", "Stripe answered without a checkout session id and URL"
        )
    expires = data.get("expires_at")
    expires_at = (
        datetime.fromtimestamp(expires, UTC)
        if isinstance(expires, int) and not isinstance(expires, bool)
        else requested_expiry
    )
    return CheckoutCreated(provider_reference=session_id, checkout_url=url, expires_at=expires_at)


# --- status --------------------------------------------------------------------------------

_ANY: Final = "*"
# The one table: (session.status, payment state) -> router status. The payment state is the
# session's payment_status, except "unpaid_failed" for a completed session whose (expanded)
# payment intent failed: canceled, or back to requires_payment_method with an error.
# A completed but unpaid session otherwise waits for an async payment (bank debits).
STATUS_TABLE: Final[Mapping[tuple[str, str], PaymentStatus]] = MappingProxyType(
    {
        ("open", _ANY): PaymentStatus.PENDING,
        ("complete", "paid"): PaymentStatus.COMPLETED,
        ("complete", "no_payment_required"): PaymentStatus.COMPLETED,
        ("complete", "unpaid_failed"): PaymentStatus.FAILED,
        ("complete", "unpaid"): PaymentStatus.PENDING,
        ("expired", _ANY): PaymentStatus.EXPIRED,
    }
)


def session_status(session: object, provider_reference: str = "") -> ProviderStatus:
    """The router's status for a Checkout Session (a dict or the SDK's ``StripeObject``).

    Never raises: a status the table does not know is logged and read as PENDING, so the
    router asks again later instead of failing a payment it does not understand.
    """
    try:
        data = as_mapping(session)
    except RetryableProviderError:
        data = {}
    reference = data.get("id") if isinstance(data.get("id"), str) else provider_reference
    status = _text(data.get("status"))
    payment_status = _text(data.get("payment_status"))
    intent_status, intent_error = _payment_intent_state(data.get("payment_intent"))
    payment_state = payment_status
    if payment_status == "unpaid" and (
        intent_status == "canceled" or (intent_status == "requires_payment_method" and intent_error)
    ):
        payment_state = "unpaid_failed"
    mapped = STATUS_TABLE.get((status, payment_state)) or STATUS_TABLE.get((status, _ANY))
    described = "/".join(part for part in (status, payment_status, intent_status) if part)
    if mapped is None:
        logger.warning(
            "stripe checkout session %s has an unknown status %r; treating it as PENDING",
            reference,
            described,
        )
        mapped = PaymentStatus.PENDING
    return ProviderStatus(
        provider_reference=str(reference),
        status=mapped,
        provider_status=described or "unknown",
    )


def as_mapping(obj: object) -> Mapping[str, Any]:
    """A plain mapping from a dict or a ``StripeObject`` (which is not a dict in 16.x).

    Raises :class:`RetryableProviderError` (``stripe_invalid_response``) for anything else.
    """
    if isinstance(obj, Mapping):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return data
    raise RetryableProviderError(
        "stripe_invalid_response", f"Stripe answered with a {type(obj).__name__}, not an object"
    )


# --- helpers -------------------------------------------------------------------------------


def _line_item(item: LineItem, currency: str) -> dict[str, Any]:
    if item.quantity < 1:
        raise NonRetryableProviderError(
            "stripe_invalid_request", f"line item {item.name!r}: quantity must be at least 1"
        )
    unit_amount = to_stripe_amount(item.unit_price, currency)
    name = item.name.strip() or item.sku or "Item"
    return _price_line(name, item.quantity, unit_amount, currency.lower(), sku=item.sku)


def _price_line(
    name: str, quantity: int, unit_amount: int, currency: str, *, sku: str | None
) -> dict[str, Any]:
    product: dict[str, Any] = {"name": name}
    if sku:
        product["metadata"] = {"sku": sku[:500]}
    return {
        "quantity": quantity,
        "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": product},
    }


def _check_total(request: CheckoutRequest, line_items: list[dict[str, Any]], shipping: int) -> None:
    total = to_stripe_amount(request.amount_total, request.currency)
    charged = shipping + sum(
        line["quantity"] * line["price_data"]["unit_amount"] for line in line_items
    )
    if charged != total:
        raise NonRetryableProviderError(
            "stripe_amount_mismatch",
            f"Stripe would charge {charged} minor units of {request.currency} "
            f"but the total is {total}",
        )


def _payment_intent_state(intent: object) -> tuple[str, bool]:
    """(status, has a last payment error) of an expanded payment intent; ("", False) if not."""
    if intent is None or isinstance(intent, str):
        return "", False
    try:
        data = as_mapping(intent)
    except RetryableProviderError:
        return "", False
    return _text(data.get("status")), bool(data.get("last_payment_error"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _unix(moment: datetime) -> int:
    # A naive datetime is UTC here, never the machine's local time.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp())
