"""The ranking seam: eligibility with reasons, then a 0-100 score per eligible instance.

This is the minimal policy (a configured priority times its weight). The full engine
(learned success rate, cost, latency, health, rules) replaces the scoring inside
:func:`rank` without changing its signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from providers.base import Capabilities

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PaymentFacts:
    """What routing may look at in a checkout request."""

    currency: str
    method: str
    amount: Decimal
    # Every amount the payment is made of (unit prices, shipping, tax).
    parts: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class Candidate:
    name: str
    enabled: bool
    capabilities: Capabilities
    priority: Decimal


@dataclass(frozen=True)
class Ranked:
    provider: str
    score: Decimal
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    provider: str
    reason: str


@dataclass(frozen=True)
class Ranking:
    ranked: tuple[Ranked, ...]
    excluded: tuple[Excluded, ...]


def rank(
    facts: PaymentFacts, candidates: Sequence[Candidate], weights: Mapping[str, Decimal]
) -> Ranking:
    """Rank the candidates that can take the payment, best first, with reasons.

    Ties are broken by instance name so the order never depends on dict or config order.
    """
    ranked: list[Ranked] = []
    excluded: list[Excluded] = []
    weight = weights.get("priority", Decimal(1))
    for candidate in sorted(candidates, key=lambda c: c.name):
        if not candidate.enabled:
            excluded.append(Excluded(candidate.name, "disabled in config"))
            continue
        refusal = candidate.capabilities.refusal(
            facts.currency, facts.method, facts.amount, facts.parts
        )
        if refusal is not None:
            excluded.append(Excluded(candidate.name, refusal))
            continue
        score = min(_HUNDRED, max(Decimal(0), candidate.priority * weight))
        ranked.append(
            Ranked(
                candidate.name,
                score.quantize(Decimal("0.01")),
                (f"priority {candidate.priority} x weight {weight}",),
            )
        )
    ranked.sort(key=lambda r: (-r.score, r.provider))
    return Ranking(tuple(ranked), tuple(excluded))
