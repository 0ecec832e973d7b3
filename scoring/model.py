"""What the ranking takes and returns: frozen values, no behaviour beyond small memos.

Everything the engine looks at arrives here as an argument (the request's facts, the
configured instances, the learned figures), so a ranking is a pure function of its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from providers.base import Capabilities
from scoring.factors import priority_factor, quantize_factor

HealthState = Literal["closed", "half_open", "open"]

# Shared, read-only defaults.
_NO_METADATA: Mapping[str, str] = MappingProxyType({})
_NO_FEES: Mapping[str, Decimal] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class PaymentFacts:
    """What routing may look at in a checkout request.

    ``amount`` and the rule amounts are in the session currency (major units).
    ``routing_key`` must be stable per request (the router passes the Idempotency-Key):
    volume splits and exploration hash it, so a retry of the same request lands on the
    same provider. Metadata values are strings; the router decides how it writes other
    JSON values (rules compare exact strings).
    """

    currency: str
    method: str
    amount: Decimal
    routing_key: str
    # Every amount the payment is made of (unit prices, shipping, tax).
    parts: tuple[Decimal, ...] = ()
    billing_country: str | None = None
    shipping_country: str | None = None
    locale: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: _NO_METADATA)


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One configured provider instance as routing sees it.

    ``countries`` are the billing countries it serves (``None``: all). ``fee_percent`` and
    ``fee_fixed`` (per currency, major units of that currency) feed the cost factor; a
    currency missing from ``fee_fixed`` counts as no fixed fee, and the ranking says so.
    Build the candidates once per configuration load and pass the same objects to every
    :func:`scoring.policy.rank` call: derived figures are memoised on them.
    """

    name: str
    enabled: bool
    capabilities: Capabilities
    priority: Decimal
    countries: frozenset[str] | None = None
    fee_percent: Decimal = Decimal(0)
    fee_fixed: Mapping[str, Decimal] = field(default_factory=lambda: _NO_FEES)

    @cached_property
    def fixed_fee_hundredths(self) -> Mapping[str, Decimal]:
        """``fee_fixed`` times 100 per currency: the fixed fee's percent is this / amount."""
        return {currency: fee * 100 for currency, fee in self.fee_fixed.items()}

    @cached_property
    def _memo(self) -> dict[Any, Any]:
        # Exclusions that do not depend on the amount, memoised by the engine.
        return {}

    @cached_property
    def priority_factor(self) -> Decimal:
        """``priority`` as a 0-1 factor, 4 places."""
        return quantize_factor(priority_factor(self.priority))


@dataclass(frozen=True)
class ProviderStats:
    """Learned figures, read from the store by the router and refreshed on an interval.

    ``outcomes`` maps ``(provider, currency, method)`` to ``(successes, failures)``. What
    counts is the router's decision: a crypto payment still waiting for confirmations and
    a payer who abandons the page are not provider failures and must not be counted as
    such. ``latency_ms`` is the p50 of checkout creation per provider (missing: unknown).
    ``health`` is the circuit breaker state per provider (missing: closed).

    Build a new object on every refresh instead of changing one: the engine memoises the
    figures it derives from it (keyed by the policy that derived them).
    """

    outcomes: Mapping[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    latency_ms: Mapping[str, Decimal] = field(default_factory=dict)
    health: Mapping[str, HealthState] = field(default_factory=dict)
    # Figures the engine derives from this object, keyed by policy; not part of the value.
    _memo: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @cached_property
    def provider_totals(self) -> Mapping[str, tuple[int, int]]:
        """``(successes, failures)`` per provider over all its segments."""
        totals: dict[str, tuple[int, int]] = {}
        for (provider, _currency, _method), (successes, failures) in self.outcomes.items():
            s, f = totals.get(provider, (0, 0))
            totals[provider] = (s + successes, f + failures)
        return totals


@dataclass(frozen=True)
class Ranked:
    """An eligible instance: its 0-100 score (2 places), factor values (0-1) and why."""

    provider: str
    score: Decimal
    factors: Mapping[str, Decimal]
    reasons: tuple[str, ...]


_new = object.__new__


def new_ranked(
    provider: str, score: Decimal, factors: Mapping[str, Decimal], reasons: tuple[str, ...]
) -> Ranked:
    """``Ranked(provider, score, factors, reasons)``, about three times faster.

    The engine builds one per eligible candidate per request; a frozen dataclass's
    ``__init__`` pays an ``object.__setattr__`` call per field. ``Ranked`` has no
    ``__post_init__`` and no validation, so filling the instance dict directly gives an
    equal object (tests/scoring check it).
    """
    ranked: Ranked = _new(Ranked)
    fields = ranked.__dict__
    fields["provider"] = provider
    fields["score"] = score
    fields["factors"] = factors
    fields["reasons"] = reasons
    return ranked


@dataclass(frozen=True)
class Excluded:
    provider: str
    reason: str


@dataclass(frozen=True)
class Ranking:
    """Best first. ``notes`` explain decision-level events (a volume split that could not
    be honoured); ``matched_rules`` are the names of the rules that matched, in config order.
    """

    ranked: tuple[Ranked, ...]
    excluded: tuple[Excluded, ...]
    matched_rules: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
