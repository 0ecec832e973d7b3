"""The success-rate estimate: a Beta prior, learned per segment, blended while data is thin."""

from __future__ import annotations

from typing import Any

import pytest

from scoring.factors import Prior, success_rate
from tests.scoring.builders import D, candidate, facts, only_factor, run, stats

USD = ("a", "USD", "card")
EUR = ("a", "EUR", "card")


@pytest.mark.parametrize(
    ("outcomes", "config", "rate", "reason"),
    [
        # A new provider gets the prior mean: 8 / (8 + 2).
        pytest.param(
            {}, {}, "0.8", "success rate 0.8000: prior only, no outcomes yet", id="new-provider"
        ),
        pytest.param(
            {}, {"prior_successes": 1, "prior_failures": 1}, "0.5",
            "success rate 0.5000: prior only, no outcomes yet", id="prior-from-config",
        ),
        # Enough volume in the segment: (90 + 8) / (100 + 10) = 0.890909...
        pytest.param(
            {USD: (90, 10)}, {}, "0.8909", "success rate 0.8909 from 100 USD card outcomes",
            id="segment-alone",
        ),
        # Other segments do not matter once the segment has its volume.
        pytest.param(
            {USD: (90, 10), EUR: (0, 500)}, {}, "0.8909",
            "success rate 0.8909 from 100 USD card outcomes", id="segment-ignores-others",
        ),
        # 5 of the 20 outcomes needed: 1/4 segment (13/15) + 3/4 all segments (113/215)
        # = 0.216667 + 0.394186 = 0.610853
        pytest.param(
            {USD: (5, 0), EUR: (100, 100)}, {}, "0.6109",
            "success rate 0.6109: 5 of 20 USD card outcomes needed, blended with 205 "
            "outcomes across all segments",
            id="thin-segment-blends",
        ),
        # Never served in this segment: how it does elsewhere, (100 + 8) / (100 + 10).
        pytest.param(
            {EUR: (100, 0)}, {}, "0.9818",
            "success rate 0.9818: 0 of 20 USD card outcomes needed, blended with 100 "
            "outcomes across all segments",
            id="new-segment-uses-provider-history",
        ),
        # min_segment_volume 0: the segment always stands alone.
        pytest.param(
            {USD: (1, 0), EUR: (0, 100)}, {"min_segment_volume": 0}, "0.8182",
            "success rate 0.8182 from 1 USD card outcome", id="no-blending",
        ),
    ],
)  # fmt: skip
def test_success_rate(
    outcomes: dict[tuple[str, str, str], tuple[int, int]],
    config: dict[str, Any],
    rate: str,
    reason: str,
) -> None:
    compiled = only_factor("success_rate", success_rate=config)
    (ranked,) = run([candidate("a")], facts(), stats(outcomes), compiled).ranked
    assert ranked.factors["success_rate"] == D(rate)
    assert ranked.score == D(rate) * 100
    assert ranked.reasons == (reason,)


@pytest.mark.parametrize("true_rate", [0.1, 0.5, 0.9, 0.99])
def test_converges_to_the_observed_rate(true_rate: float) -> None:
    prior = Prior(D(8), D(2), 20)
    errors = []
    for volume in (10, 100, 1_000, 10_000):
        successes = round(volume * true_rate)
        estimate = success_rate(
            (successes, volume - successes), (successes, volume - successes), prior
        )
        errors.append(abs(estimate - D(str(true_rate))))
    # The prior's pull shrinks as outcomes accumulate, and is negligible at 10,000.
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < D("0.001")


def test_the_prior_keeps_a_new_provider_in_the_race_but_below_a_proven_one() -> None:
    learned = stats({("proven", "USD", "card"): (970, 30), ("failing", "USD", "card"): (40, 60)})
    ranking = run(
        [candidate("proven"), candidate("new"), candidate("failing")],
        learned=learned,
        compiled=only_factor("success_rate"),
    )
    assert [(r.provider, str(r.factors["success_rate"])) for r in ranking.ranked] == [
        ("proven", "0.9683"),
        ("new", "0.8000"),
        ("failing", "0.4364"),
    ]


def test_segments_are_per_currency_and_method() -> None:
    learned = stats({("a", "USD", "card"): (500, 500), ("a", "EUR", "card"): (1000, 0)})
    compiled = only_factor("success_rate")
    usd = run([candidate("a")], facts(currency="USD"), learned, compiled).ranked[0]
    eur = run([candidate("a")], facts(currency="EUR"), learned, compiled).ranked[0]
    assert (usd.factors["success_rate"], eur.factors["success_rate"]) == (D("0.5030"), D("0.9980"))
