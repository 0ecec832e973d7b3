"""Validation of the collector sandbox's create-session body, as the real API would do it."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from providers.sandbox.collector_state import USDT_RATES, NewPayment
from router.money import fits_currency

_DECIMAL_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_TEXT_MAX = 100  # seed 001: orderId and description are at most 100 characters
MIN_USD = Decimal("1")  # seed 001: amount >= 1 USD


class ValidationProblem(Exception):
    """A create-session body the collector would refuse with 400 VALIDATION_ERROR."""


def decode_body(raw: bytes) -> Any:
    """JSON with every number kept as ``Decimal``; raises :class:`ValidationProblem`."""
    try:
        return json.loads(raw, parse_float=Decimal)
    # RecursionError: a deeply nested document ("[[[[...") exhausts the parser's stack.
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValidationProblem("the body must be a JSON object") from exc


def parse_new_payment(payload: Any) -> NewPayment:
    """Check a create-session body (seed 000's fields, plus seed 001's optional ones).

    Raises :class:`ValidationProblem` naming the first field that is wrong.
    """
    if not isinstance(payload, dict):
        raise ValidationProblem("the body must be a JSON object")
    currency = payload.get("currency")
    if currency not in USDT_RATES:
        raise ValidationProblem("currency: must be USD or LKR")
    amount = _amount(payload.get("amount"), str(currency))
    metadata = payload.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ValidationProblem("metadata: must be an object")
    return NewPayment(
        amount=amount,
        currency=str(currency),
        success_url=_absolute_url(payload.get("successUrl"), "successUrl"),
        cancel_url=_absolute_url(payload.get("cancelUrl"), "cancelUrl"),
        metadata=metadata,
        order_id=_optional_text(payload.get("orderId"), "orderId"),
        description=_optional_text(payload.get("description"), "description"),
        customer_email=_optional_text(payload.get("customerEmail"), "customerEmail"),
    )


def _amount(value: Any, currency: str) -> Decimal:
    # A string ("140.76") or a JSON number, never a bool (which Python counts as an int).
    text_ok = isinstance(value, str) and _DECIMAL_TEXT.match(value) is not None
    number_ok = isinstance(value, Decimal | int) and not isinstance(value, bool)
    if not (text_ok or number_ok):
        raise ValidationProblem("amount: must be a positive decimal number")
    amount = Decimal(value)
    try:
        fits = amount.is_finite() and fits_currency(amount, currency)
    except InvalidOperation:
        fits = False
    if not fits:
        raise ValidationProblem(f"amount: has more decimals than {currency} allows")
    if amount <= 0:
        raise ValidationProblem("amount: must be greater than zero")
    if currency == "USD" and amount < MIN_USD:
        raise ValidationProblem("amount: must be at least 1 USD")
    return amount


def _absolute_url(value: Any, name: str) -> str:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc:
            return value
    raise ValidationProblem(f"{name}: must be an absolute http(s) URL")


def _optional_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _TEXT_MAX:
        raise ValidationProblem(f"{name}: must be a string of at most {_TEXT_MAX} characters")
    return value
