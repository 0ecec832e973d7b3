"""The factors of the score, each a number from 0 to 1, and the success-rate estimator.

Pure functions of their arguments; :mod:`scoring.policy` memoises what depends only on the
learned figures so a decision pays for them once per stats refresh, not per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
FACTOR_PLACES = Decimal("0.0001")


def quantize_factor(value: Decimal) -> Decimal:
    """A factor as shown and as scored: 4 places, ties to even."""
    return value.quantize(FACTOR_PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Prior:
    """A Beta(successes, failures) prior and the volume at which a segment stands alone."""

    successes: Decimal
    failures: Decimal
    min_segment_volume: int


def posterior_mean(successes: int, failures: int, prior: Prior) -> Decimal:
    """(s + prior_s) / (s + f + prior_s + prior_f): the Beta posterior mean."""
    return (successes + prior.successes) / (successes + failures + prior.successes + prior.failures)


def success_rate(
    segment: tuple[int, int], provider_total: tuple[int, int], prior: Prior
) -> Decimal:
    """Estimated success rate of a provider in one segment (currency, method).

    With ``n`` segment outcomes and ``m = min_segment_volume``: when ``n >= m`` it is the
    segment's posterior mean alone. Below that, it is blended linearly toward the
    provider's posterior over all its segments: ``n/m`` of the segment estimate plus
    ``1 - n/m`` of the all-segment one. A provider with no outcomes at all therefore gets
    the prior mean (0.8 with the default 8/2 prior): neither starved nor trusted blindly;
    a segment it has never served starts from how it does elsewhere.

    The counts are the router's: it does not count a crypto payment still waiting for
    confirmations, or a payer who abandons the page, as a provider failure.
    """
    seg_s, seg_f = segment
    volume = seg_s + seg_f
    segment_mean = posterior_mean(seg_s, seg_f, prior)
    if volume >= prior.min_segment_volume:
        return segment_mean
    share = Decimal(volume) / prior.min_segment_volume
    overall = posterior_mean(provider_total[0], provider_total[1], prior)
    return share * segment_mean + (ONE - share) * overall


def latency_factor(p50_ms: Decimal | None, reference_ms: Decimal) -> Decimal:
    """max(0, 1 - p50 / reference), at most 1; an unknown latency is a neutral 0.5."""
    if p50_ms is None:
        return Decimal("0.5000")
    return min(ONE, max(ZERO, ONE - p50_ms / reference_ms))


def cost_factor(effective_percent: Decimal, reference_percent: Decimal) -> Decimal:
    """1 - min(1, effective fee percent / reference percent), never above 1."""
    if effective_percent <= 0:
        return ONE
    return max(ZERO, ONE - effective_percent / reference_percent)


def effective_fee_percent(
    fee_percent: Decimal, fixed_fee: Decimal | None, amount: Decimal
) -> Decimal:
    """fee_percent + fixed / amount * 100 (fixed fee in the amount's currency; None = 0).

    A fixed fee on a zero amount is an infinite share of it: returned as 100 percent.
    """
    if not fixed_fee:
        return fee_percent
    if amount <= 0:
        return HUNDRED
    return fee_percent + fixed_fee * HUNDRED / amount


HEALTH_FACTORS: Mapping[str, Decimal] = MappingProxyType(
    {"closed": Decimal("1.0000"), "half_open": Decimal("0.5000")}
)


def health_factor(state: str) -> Decimal:
    """closed 1, half_open 0.5 (``open`` excludes the provider before scoring)."""
    return HEALTH_FACTORS.get(state, HEALTH_FACTORS["closed"])


def priority_factor(priority: Decimal) -> Decimal:
    """The configured 0-100 priority as 0-1 (clamped)."""
    return min(ONE, max(ZERO, priority / HUNDRED))
