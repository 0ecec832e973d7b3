"""The routing engine's seam: compile a routing config once, then rank payments with it.

``compile_policy`` runs on load and reload (validate first with
:meth:`scoring.config.RoutingConfig.check`); ``rank`` runs per request and is pure: same
facts, candidates, stats and policy, same :class:`~scoring.model.Ranking`. Nothing here
reads a clock, a file or the database.

Score = 100 * sum(w_i * f_i) / sum(w_i) over the factors success_rate, cost, latency,
health and priority (each 0-1, rounded to 4 places, the values shown in ``factors``), plus
the points of every matching prefer rule, clamped to 0..100 and rounded to 2 places (ties
to even). Decimal arithmetic uses the current decimal context (28 digits by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from operator import attrgetter

from scoring.config import RoutingConfig
from scoring.effects import Effects, RuleEffects, compile_rule
from scoring.factors import (
    FACTOR_PLACES,
    HUNDRED,
    ONE,
    ZERO,
    Prior,
    health_factor,
    latency_factor,
    quantize_factor,
    success_rate,
)
from scoring.hashing import bucket, stable_u64, threshold
from scoring.index import RuleIndex
from scoring.model import (
    Candidate,
    Excluded,
    PaymentFacts,
    ProviderStats,
    Ranked,
    Ranking,
    new_ranked,
)
from scoring.rules import match_spec

SCORE_PLACES = Decimal("0.01")
FACTOR_ONE = Decimal("1.0000")
FACTOR_ZERO = Decimal("0.0000")
DISABLED = "disabled in config"
CIRCUIT_OPEN = "circuit breaker open"
NO_FIXED_FEE = "no fixed fee configured for this currency: counted as 0"
LATENCY_UNKNOWN = "latency unknown: neutral 0.5"
HALF_OPEN = "circuit half-open: probing"

_BY_NAME = attrgetter("provider")

# What a provider's learned figures contribute in one segment, computed once per stats
# refresh: (weighted success+latency+health, their three factors, reasons, the reasons when
# the candidate has no fixed fee for the currency, circuit open).
Segment = tuple[Decimal, Decimal, Decimal, Decimal, tuple[str, ...], tuple[str, ...], bool]


@dataclass(frozen=True)
class Policy:
    """A compiled routing config. Build it with :func:`compile_policy`."""

    config: RoutingConfig
    index: RuleIndex
    effects: RuleEffects
    prior: Prior
    latency_reference: Decimal
    cost_reference: Decimal
    # Weights normalised to sum to 100, so a score is sum(w * factor).
    w_success: Decimal
    w_cost: Decimal
    w_latency: Decimal
    w_health: Decimal
    w_priority: Decimal
    explore_threshold: int  # 0: exploration off
    explore_prefix: bytes
    pick_prefix: bytes
    explore_reason: str
    # Identifies this policy in the memos kept on ProviderStats objects.
    token: object = field(default_factory=object, compare=False, repr=False)


def compile_policy(config: RoutingConfig) -> Policy:
    """Precompute everything a decision needs from ``config`` (rule index, reasons, weights).

    Does not check provider names: run ``config.check(providers)`` before compiling.
    """
    weights = config.weights.as_dict()
    total = sum(weights.values())
    scaled = {name: weight * HUNDRED / total for name, weight in weights.items()}
    rate = config.exploration.rate
    seed = config.exploration.seed
    return Policy(
        config=config,
        index=RuleIndex.build([match_spec(rule.match) for rule in config.rules]),
        effects=RuleEffects(tuple(compile_rule(rule) for rule in config.rules)),
        prior=Prior(
            config.success_rate.prior_successes,
            config.success_rate.prior_failures,
            config.success_rate.min_segment_volume,
        ),
        latency_reference=config.latency.reference_ms,
        cost_reference=config.cost.reference_percent,
        w_success=scaled["success_rate"],
        w_cost=scaled["cost"],
        w_latency=scaled["latency"],
        w_health=scaled["health"],
        w_priority=scaled["priority"],
        explore_threshold=threshold(*rate.as_integer_ratio()),
        explore_prefix=b"explore\x00%d\x00" % seed,
        pick_prefix=b"explore-pick\x00%d\x00" % seed,
        explore_reason=f"exploration: moved to the top to keep learning (rate {rate})",
    )


def rank(
    facts: PaymentFacts,
    candidates: Sequence[Candidate],
    stats: ProviderStats,
    policy: Policy,
) -> Ranking:
    """Rank the candidates that may take the payment, best first, with factors and reasons.

    Eligibility, in this order, each with its reason: disabled in config; the adapter's
    capabilities refuse the payment; the billing country is not among ``countries`` (an
    unknown billing country is not held against anyone); a matching exclude rule; outside
    a matching only rule's list; circuit breaker open. Ties are broken by instance name.
    Then the first matching split rule moves the owner of the request's bucket to the top;
    when no split applies, exploration may move another candidate to the top.
    """
    effects = policy.effects.of(policy.index.match(facts))
    currency, method, amount = facts.currency, facts.method, facts.amount
    segments = _segments(stats, policy, currency, method)
    billing = facts.billing_country
    excluded_by, only, prefer = effects.excluded, effects.only, effects.prefer
    w_cost, w_priority, cost_reference = policy.w_cost, policy.w_priority, policy.cost_reference
    entries: list[tuple[Decimal, str, int, Ranked]] = []
    excluded: list[Excluded] = []
    # One inline loop on purpose: this is the per-request hot path (see benchmarks/).
    for candidate in candidates:
        capabilities = candidate.capabilities
        if (
            not candidate.enabled
            or method not in capabilities.methods
            or currency not in capabilities.currencies
        ):
            excluded.append(_unfit(candidate, facts))
            continue
        name = candidate.name
        refusal = capabilities.refusal(currency, method, amount, facts.parts)
        if refusal is None and billing is not None:
            countries = candidate.countries
            if countries is not None and billing not in countries:
                refusal = f"billing country {billing} not served"
        if refusal is None:
            refusal = excluded_by.get(name)
        if refusal is None and only is not None and name not in only:
            refusal = effects.only_reason(name)
        segment = segments.get(name) or _segment(segments, stats, policy, name, currency, method)
        partial, success, latency, health, reasons, reasons_no_fixed, circuit_open = segment
        if refusal is None and circuit_open:
            refusal = CIRCUIT_OPEN
        if refusal is not None:
            excluded.append(Excluded(name, refusal))
            continue
        fixed = candidate.fixed_fee_hundredths.get(currency)
        if fixed is None:
            fee = candidate.fee_percent
            reasons = reasons_no_fixed
        elif amount > ZERO:
            fee = candidate.fee_percent + fixed / amount
        else:
            fee = HUNDRED if fixed else candidate.fee_percent
        if fee > ZERO:
            cost = ONE - fee / cost_reference
            cost = cost.quantize(FACTOR_PLACES, ROUND_HALF_EVEN) if cost > ZERO else FACTOR_ZERO
        else:
            cost = FACTOR_ONE
        priority = candidate.priority_factor
        score = partial + w_cost * cost + w_priority * priority
        preferred = prefer.get(name)
        if preferred is not None:
            # Only prefer points can take a score outside 0..100 (weights are normalised).
            score = min(HUNDRED, max(ZERO, score + preferred[0]))
            reasons += preferred[1]
        factors = {
            "success_rate": success,
            "cost": cost,
            "latency": latency,
            "health": health,
            "priority": priority,
        }
        score = score.quantize(SCORE_PLACES, ROUND_HALF_EVEN)
        entries.append((-score, name, len(entries), new_ranked(name, score, factors, reasons)))
    # Best score first, then by name; the index keeps two equal names from comparing Ranked.
    entries.sort()
    ranked = [entry[3] for entry in entries]
    excluded.sort(key=_BY_NAME)
    notes = _steer(ranked, effects, facts.routing_key, policy)
    return Ranking(tuple(ranked), tuple(excluded), effects.matched, notes)


def _unfit(candidate: Candidate, facts: PaymentFacts) -> Excluded:
    """The exclusion of a disabled candidate, or of one whose adapter does not take the
    currency or the method: the same for every amount, so memoised on the candidate."""
    memo = candidate._memo
    key = (facts.currency, facts.method)
    exclusion: Excluded | None = memo.get(key)
    if exclusion is None:
        reason = DISABLED
        if candidate.enabled:
            reason = (
                candidate.capabilities.refusal(
                    facts.currency, facts.method, facts.amount, facts.parts
                )
                or "currency or payment method not supported"
            )
        exclusion = memo[key] = Excluded(candidate.name, reason)
    return exclusion


def _steer(ranked: list[Ranked], effects: Effects, key: str, policy: Policy) -> tuple[str, ...]:
    """Apply the volume split, else exploration, moving one candidate to the top in place.

    Exploration never overrides a split: the split is ops' explicit share of the volume.
    """
    if not ranked:
        return ()
    split = effects.split
    if split is not None:
        drawn = bucket(split.hash_prefix, key)
        owner = split.owners[drawn]
        for position, entry in enumerate(ranked):
            if entry.provider == owner:
                _to_top(ranked, position, split.reasons[drawn])
                return ()
        return (split.ignored[drawn],)
    explore = policy.explore_threshold and len(ranked) > 1
    if explore and stable_u64(policy.explore_prefix, key) < policy.explore_threshold:
        position = 1 + stable_u64(policy.pick_prefix, key) % (len(ranked) - 1)
        _to_top(ranked, position, policy.explore_reason)
    return ()


def _to_top(ranked: list[Ranked], position: int, reason: str) -> None:
    entry = ranked.pop(position)
    ranked.insert(0, Ranked(entry.provider, entry.score, entry.factors, (reason, *entry.reasons)))


def _segments(
    stats: ProviderStats, policy: Policy, currency: str, method: str
) -> dict[str, Segment]:
    """The memo of per-provider segment figures for this stats object, policy and segment."""
    memo = stats._memo
    key = (policy.token, currency, method)
    table: dict[str, Segment] | None = memo.get(key)
    if table is None:
        table = memo[key] = {}
    return table


def _segment(
    table: dict[str, Segment],
    stats: ProviderStats,
    policy: Policy,
    name: str,
    currency: str,
    method: str,
) -> Segment:
    outcomes = stats.outcomes.get((name, currency, method), (0, 0))
    totals = stats.provider_totals.get(name, (0, 0))
    success = quantize_factor(success_rate(outcomes, totals, policy.prior))
    p50 = stats.latency_ms.get(name)
    latency = quantize_factor(latency_factor(p50, policy.latency_reference))
    state = stats.health.get(name, "closed")
    health = health_factor(state)
    # A factor weighted 0 does not move the score: nothing to explain about it.
    reasons: tuple[str, ...] = ()
    if policy.w_success:
        reasons += (_success_reason(success, outcomes, totals, policy.prior, currency, method),)
    if p50 is None and policy.w_latency:
        reasons += (LATENCY_UNKNOWN,)
    if state == "half_open":
        reasons += (HALF_OPEN,)
    no_fixed = (*reasons, NO_FIXED_FEE) if policy.w_cost else reasons
    partial = policy.w_success * success + policy.w_latency * latency + policy.w_health * health
    segment = (partial, success, latency, health, reasons, no_fixed, state == "open")
    table[name] = segment
    return segment


def _success_reason(
    rate: Decimal,
    outcomes: tuple[int, int],
    totals: tuple[int, int],
    prior: Prior,
    currency: str,
    method: str,
) -> str:
    volume, overall = sum(outcomes), sum(totals)
    if overall == 0:
        return f"success rate {rate}: prior only, no outcomes yet"
    if volume >= prior.min_segment_volume:
        plural = "" if volume == 1 else "s"
        return f"success rate {rate} from {volume} {currency} {method} outcome{plural}"
    return (
        f"success rate {rate}: {volume} of {prior.min_segment_volume} {currency} {method} "
        f"outcomes needed, blended with {overall} outcomes across all segments"
    )


def weights_view(policy: Policy) -> Mapping[str, Decimal]:
    """The normalised weights (summing to 100) a score is computed with, for explanations."""
    return {
        "success_rate": policy.w_success,
        "cost": policy.w_cost,
        "latency": policy.w_latency,
        "health": policy.w_health,
        "priority": policy.w_priority,
    }
