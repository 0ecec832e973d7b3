"""The 0-100 score: the weighted factors, each checked against a hand computation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from scoring.factors import cost_factor, effective_fee_percent, quantize_factor
from scoring.model import HealthState
from scoring.policy import NO_FIXED_FEE
from tests.scoring.builders import D, candidate, facts, only_factor, policy, run, stats


@pytest.mark.parametrize(
    ("weights", "amount", "score", "factors"),
    [
        # Default weights 0.4/0.2/0.15/0.15/0.1. No outcomes: success 0.8 (prior 8/2);
        # p50 500 of 2000 ms: latency 0.75; closed: health 1; priority 50: 0.5.
        # Fee 2.9% + 0.30 on 10.00 = 5.9% >= 5%: cost 0.
        # 100 * (0.4*0.8 + 0.2*0 + 0.15*0.75 + 0.15*1 + 0.1*0.5) = 63.25
        pytest.param(
            {}, "10.00", "63.25",
            {"success_rate": "0.8", "cost": "0", "latency": "0.75", "health": "1",
             "priority": "0.5"},
            id="defaults-small-amount",
        ),
        # On 100.00 the fee is 2.9 + 0.3 = 3.2%: cost 1 - 3.2/5 = 0.36, +0.2*0.36*100 = 7.2
        pytest.param(
            {}, "100.00", "70.45",
            {"success_rate": "0.8", "cost": "0.36", "latency": "0.75", "health": "1",
             "priority": "0.5"},
            id="defaults-larger-amount",
        ),
        # Only ratios matter: success 2, cost 1 -> 100 * (2*0.8 + 1*0.36) / 3 = 65.333...
        pytest.param(
            {"success_rate": 2, "cost": 1, "latency": 0, "health": 0, "priority": 0},
            "100.00", "65.33", None, id="normalised-weights",
        ),
        # Same ratios, ten times the weights: same score.
        pytest.param(
            {"success_rate": 20, "cost": 10, "latency": 0, "health": 0, "priority": 0},
            "100.00", "65.33", None, id="scale-free",
        ),
    ],
)  # fmt: skip
def test_score_formula(
    weights: dict[str, Any], amount: str, score: str, factors: dict[str, str] | None
) -> None:
    payer = candidate("a", fee_percent=D("2.9"), fee_fixed={"USD": D("0.30")})
    ranking = run(
        [payer],
        facts(amount=D(amount)),
        stats(latency={"a": D(500)}),
        policy(weights=weights) if weights else policy(),
    )
    (ranked,) = ranking.ranked
    assert ranked.score == D(score)
    assert str(ranked.score) == score  # always 2 places
    if factors is not None:
        assert ranked.factors == {name: D(value) for name, value in factors.items()}


@pytest.mark.parametrize(
    ("fee_percent", "score"),
    [
        # Priority 50 and cost, weighted 1:1 -> 25 + 50 * cost. Cost 1 - fee/5.
        # 4.9995% -> cost 0.0001 -> 25.005 -> ties to even: 25.00
        pytest.param("4.9995", "25.00", id="half-even-down"),
        # 4.9985% -> cost 0.0003 -> 25.015 -> 25.02
        pytest.param("4.9985", "25.02", id="half-even-up"),
    ],
)
def test_score_rounds_half_even(fee_percent: str, score: str) -> None:
    compiled = policy(
        weights={"success_rate": 0, "cost": 1, "latency": 0, "health": 0, "priority": 1}
    )
    (ranked,) = run([candidate("a", fee_percent=D(fee_percent))], compiled=compiled).ranked
    assert ranked.score == D(score)


@pytest.mark.parametrize(
    ("fees", "currency", "amount", "cost", "says_no_fixed_fee"),
    [
        pytest.param({}, "USD", "10", "1", True, id="no-fees-configured"),
        pytest.param({"fee_fixed": {"USD": D(0)}}, "USD", "10", "1", False, id="zero-fixed"),
        pytest.param({"fee_percent": D("2.5")}, "USD", "10", "0.5", True, id="percent-only"),
        # 1.5% + 0.25 on 50.00 = 1.5 + 0.5 = 2% -> 1 - 2/5 = 0.6
        pytest.param(
            {"fee_percent": D("1.5"), "fee_fixed": {"USD": D("0.25")}}, "USD", "50", "0.6",
            False, id="percent-and-fixed",
        ),
        # The EUR fixed fee does not apply to a USD session: counted as 0, and said so.
        pytest.param(
            {"fee_percent": D("1.5"), "fee_fixed": {"EUR": D("0.25")}}, "USD", "50", "0.7",
            True, id="fixed-fee-missing-for-currency",
        ),
        # Fixed fees are in the session currency's major units: 30 JPY on 1000 JPY is 3%.
        pytest.param(
            {"fee_fixed": {"JPY": D(30)}}, "JPY", "1000", "0.4", False, id="zero-decimal-currency"
        ),
        pytest.param({"fee_percent": D(6)}, "USD", "10", "0", True, id="above-reference"),
        # 1 - (0.3 / 7 * 100) / 5 = 0.142857... -> 4 places
        pytest.param(
            {"fee_fixed": {"USD": D("0.3")}}, "USD", "7", "0.1429", False, id="rounded-4-places"
        ),
    ],
)  # fmt: skip
def test_cost_factor(
    fees: dict[str, Any], currency: str, amount: str, cost: str, says_no_fixed_fee: bool
) -> None:
    payer = candidate("a", **({"fee_fixed": {}} | fees))
    (ranked,) = run(
        [payer], facts(currency=currency, amount=D(amount)), compiled=only_factor("cost")
    ).ranked
    assert ranked.factors["cost"] == D(cost)
    assert (NO_FIXED_FEE in ranked.reasons) is says_no_fixed_fee
    # The documented formula gives the same figure.
    effective = effective_fee_percent(payer.fee_percent, payer.fee_fixed.get(currency), D(amount))
    assert quantize_factor(cost_factor(effective, D(5))) == D(cost)


def test_cost_reference_comes_from_config() -> None:
    compiled = only_factor("cost", cost={"reference_percent": 10})
    (ranked,) = run([candidate("a", fee_percent=D("2.5"))], compiled=compiled).ranked
    assert ranked.factors["cost"] == D("0.75")


@pytest.mark.parametrize(
    ("p50", "reference", "latency", "unknown"),
    [
        pytest.param(None, 2000, "0.5", True, id="unknown-is-neutral"),
        pytest.param(D(0), 2000, "1", False, id="instant"),
        pytest.param(D(500), 2000, "0.75", False, id="quarter-of-reference"),
        pytest.param(D(2000), 2000, "0", False, id="at-reference"),
        pytest.param(D(9000), 2000, "0", False, id="beyond-reference"),
        pytest.param(D(500), 1000, "0.5", False, id="reference-from-config"),
    ],
)
def test_latency_factor(p50: Decimal | None, reference: int, latency: str, unknown: bool) -> None:
    compiled = only_factor("latency", latency={"reference_ms": reference})
    learned = stats(latency={"a": p50} if p50 is not None else None)
    (ranked,) = run([candidate("a")], learned=learned, compiled=compiled).ranked
    assert ranked.factors["latency"] == D(latency)
    assert ranked.score == D(latency) * 100
    assert ("latency unknown: neutral 0.5" in ranked.reasons) is unknown


@pytest.mark.parametrize(
    ("state", "health", "reason"),
    [
        pytest.param(None, "1", None, id="missing-is-closed"),
        pytest.param("closed", "1", None, id="closed"),
        pytest.param("half_open", "0.5", "circuit half-open: probing", id="half-open"),
    ],
)
def test_health_factor(state: HealthState | None, health: str, reason: str | None) -> None:
    learned = stats(health={"a": state} if state else None)
    (ranked,) = run([candidate("a")], learned=learned, compiled=only_factor("health")).ranked
    assert ranked.factors["health"] == D(health)
    assert ranked.score == D(health) * 100
    assert ranked.reasons == ((reason,) if reason else ())


@pytest.mark.parametrize(
    ("priority", "factor"),
    [("0", "0"), ("50", "0.5"), ("92.5", "0.925"), ("100", "1"), ("33.33333", "0.3333")],
)
def test_priority_factor(priority: str, factor: str) -> None:
    (ranked,) = run([candidate("a", priority=D(priority))], compiled=only_factor("priority")).ranked
    assert ranked.factors["priority"] == D(factor)


def test_order_is_by_score_then_name() -> None:
    compiled = only_factor("priority")
    ranking = run(
        [
            candidate("d", priority=D(10)),
            candidate("c", priority=D(70)),
            candidate("b", priority=D(70)),
            candidate("a", priority=D(40)),
        ],
        compiled=compiled,
    )
    assert [(r.provider, str(r.score)) for r in ranking.ranked] == [
        ("b", "70.00"),
        ("c", "70.00"),
        ("a", "40.00"),
        ("d", "10.00"),
    ]
