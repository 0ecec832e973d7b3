"""Stored rows -> the public JSON shapes (the only place that formats the API's output)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from router.db.models import Attempt, CheckoutSession
from router.money import format_amount
from router.schemas import (
    AmountOut,
    AttemptOut,
    OrderItemOut,
    ProviderRef,
    Routing,
    SessionOut,
)


def iso(value: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, to the second (``2024-01-15T12:00:00Z``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def attempt_out(attempt: Attempt) -> AttemptOut:
    return AttemptOut(
        provider=attempt.provider,
        status=attempt.status,
        error_code=attempt.error_code,
        error_message=attempt.error_message,
        retryable=attempt.retryable,
        latency_ms=attempt.latency_ms,
        started_at=iso(attempt.started_at),
        finished_at=iso_or_none(attempt.finished_at),
    )


def session_out(row: CheckoutSession, attempts: Sequence[Attempt]) -> SessionOut:
    request: dict[str, Any] = json.loads(row.request_json)
    currency = row.currency
    amount = request["amount"]

    def money(value: str) -> str:
        return format_amount(Decimal(value), currency)

    return SessionOut(
        session_id=row.id,
        status=row.status,
        order_reference=row.order_reference,
        payment_method=row.payment_method,
        currency=currency,
        locale=request.get("locale"),
        amount=AmountOut(
            total=money(amount["total"]),
            shipping=money(amount["shipping"]),
            tax=money(amount["tax"]),
        ),
        order_items=[
            OrderItemOut(
                name=item["name"],
                sku=item.get("sku"),
                quantity=item["quantity"],
                unit_price=money(item["unitPrice"]),
            )
            for item in request["orderItems"]
        ],
        customer=request["customer"],
        shipping=request.get("shipping"),
        additional_information=request.get("additionalInformation"),
        redirect_urls=request["redirectUrls"],
        checkout_url=row.checkout_url,
        provider=ProviderRef(name=row.provider, reference=row.provider_reference),
        routing=Routing.model_validate_json(row.routing_json) if row.routing_json else None,
        attempts=[attempt_out(a) for a in attempts],
        failure_code=row.failure_code,
        expires_at=iso(row.expires_at),
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
    )
