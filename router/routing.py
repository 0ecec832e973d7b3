"""The router's side of routing: facts from a request, candidates from config, stats from
the store, and the explanation a merchant and ops read. The ranking itself is pure and
lives in :mod:`scoring`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from providers.registry import ProviderRegistry
from router.schemas import ExcludedCandidate, RankedCandidate, Routing, SessionCreateRequest
from router.settings import Settings
from scoring.model import Candidate, PaymentFacts, Ranking


def candidates_from(settings: Settings, registry: ProviderRegistry) -> tuple[Candidate, ...]:
    """Every configured instance as routing sees it (built once per config load)."""
    return tuple(
        Candidate(
            name=instance.name,
            enabled=instance.settings.enabled,
            capabilities=instance.capabilities,
            priority=instance.settings.priority,
            countries=frozenset(instance.settings.countries)
            if instance.settings.countries
            else None,
            fee_percent=instance.settings.fees.percent,
            fee_fixed=dict(instance.settings.fees.fixed),
        )
        for instance in registry.all()
    )


def _metadata(values: Mapping[str, Any] | None) -> dict[str, str]:
    """additionalInformation as the strings rules compare (true/false, digits)."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def facts_from_request(request: SessionCreateRequest, routing_key: str) -> PaymentFacts:
    customer = request.customer
    return PaymentFacts(
        currency=request.currency,
        method=request.payment_method,
        amount=request.amount.total,
        routing_key=routing_key,
        parts=(
            request.amount.shipping,
            request.amount.tax,
            *(item.unit_price for item in request.order_items),
        ),
        billing_country=customer.billing_address.country if customer.billing_address else None,
        shipping_country=customer.shipping_address.country if customer.shipping_address else None,
        locale=request.locale,
        metadata=_metadata(request.additional_information),
    )


def facts_from_stored(request_json: str, routing_key: str) -> PaymentFacts:
    """Facts of a stored session (its request as kept, money as decimal strings)."""
    data = json.loads(request_json)
    amount = data["amount"]
    customer = data.get("customer") or {}
    billing = customer.get("billingAddress") or {}
    shipping = customer.get("shippingAddress") or {}
    return PaymentFacts(
        currency=data["currency"],
        method=data["paymentMethod"],
        amount=Decimal(amount["total"]),
        routing_key=routing_key,
        parts=(
            Decimal(amount["shipping"]),
            Decimal(amount["tax"]),
            *(Decimal(item["unitPrice"]) for item in data["orderItems"]),
        ),
        billing_country=billing.get("country"),
        shipping_country=shipping.get("country"),
        locale=data.get("locale"),
        metadata=_metadata(data.get("additionalInformation")),
    )


def _float(value: Decimal) -> float:
    # Scores and factors are not money: JSON numbers are what ops tools expect.
    return float(value)


def routing_view(config_version: str, ranking: Ranking, selected: str | None) -> Routing:
    """The explanation kept with the session and returned by POST, GET and simulate."""
    chosen = next((r for r in ranking.ranked if r.provider == selected), None)
    return Routing(
        selected_provider=selected,
        score=_float(chosen.score) if chosen else None,
        candidates=[
            RankedCandidate(
                provider=r.provider,
                score=_float(r.score),
                factors={name: _float(value) for name, value in r.factors.items()},
                reasons=list(r.reasons),
            )
            for r in ranking.ranked
        ],
        excluded=[
            ExcludedCandidate(provider=e.provider, reason=e.reason) for e in ranking.excluded
        ],
        matched_rules=list(ranking.matched_rules),
        notes=list(ranking.notes),
        config_version=config_version,
    )
