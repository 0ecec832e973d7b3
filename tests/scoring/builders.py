"""Small builders for the pure-ranking tests: every default spelled out once, here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from providers.base import Capabilities
from scoring.config import RoutingConfig
from scoring.model import Candidate, HealthState, PaymentFacts, ProviderStats, Ranking
from scoring.policy import Policy, compile_policy, rank

D = Decimal
NAMES = ("a", "b", "c")


def facts(**overrides: Any) -> PaymentFacts:
    values: dict[str, Any] = {
        "currency": "USD",
        "method": "card",
        "amount": D("100.00"),
        "routing_key": "key-1",
    }
    values.update(overrides)
    return PaymentFacts(**values)


def capabilities(**overrides: Any) -> Capabilities:
    values: dict[str, Any] = {
        "currencies": frozenset({"USD", "EUR", "JPY"}),
        "methods": frozenset({"card"}),
    }
    values.update(overrides)
    return Capabilities(**values)


def candidate(name: str, **overrides: Any) -> Candidate:
    values: dict[str, Any] = {
        "name": name,
        "enabled": True,
        "capabilities": capabilities(),
        "priority": D(50),
        # A fixed fee of 0 is configured, so the ranking has nothing to say about it.
        "fee_fixed": {"USD": D(0), "EUR": D(0), "JPY": D(0)},
    }
    values.update(overrides)
    return Candidate(**values)


def stats(
    outcomes: Mapping[tuple[str, str, str], tuple[int, int]] | None = None,
    latency: Mapping[str, Decimal] | None = None,
    health: Mapping[str, HealthState] | None = None,
) -> ProviderStats:
    return ProviderStats(outcomes=outcomes or {}, latency_ms=latency or {}, health=health or {})


def policy(**config: Any) -> Policy:
    return compile_policy(RoutingConfig.model_validate(config))


def only_factor(name: str, **config: Any) -> Policy:
    """A policy scoring on one factor alone (weight 1, the others 0)."""
    weights = dict.fromkeys(("success_rate", "cost", "latency", "health", "priority"), 0)
    weights[name] = 1
    return policy(weights=weights, **config)


def run(
    candidates: Sequence[Candidate] = (),
    payment: PaymentFacts | None = None,
    learned: ProviderStats | None = None,
    compiled: Policy | None = None,
) -> Ranking:
    return rank(
        payment or facts(),
        candidates or [candidate(name) for name in NAMES],
        learned or stats(),
        compiled or policy(),
    )


def problems(data: Any, providers: Sequence[str] = NAMES) -> list[tuple[str, str]]:
    """Every problem with a routing section, as the router reports them: path, message."""
    try:
        config = RoutingConfig.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            found.append((".".join(["routing", *map(str, error["loc"])]), message))
        return found
    return config.check(providers)
