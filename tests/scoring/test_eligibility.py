"""Who may take a payment, and the reason given for everyone who may not."""

from __future__ import annotations

from typing import Any

import pytest

from scoring.model import Excluded
from tests.scoring.builders import D, candidate, capabilities, facts, policy, run, stats

RULES: list[dict[str, Any]] = [
    {"name": "no_a_for_vip", "match": {"metadata": {"tier": "vip"}}, "action": "exclude",
     "providers": ["a"]},
    {"name": "eur_only_b", "match": {"currency": ["EUR"]}, "action": "only",
     "providers": ["b", "c"]},
    {"name": "eur_big_only_c", "match": {"currency": ["EUR"], "amount": {"min": 500}},
     "action": "only", "providers": ["a", "c"]},
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "payment", "health", "reason"),
    [
        pytest.param({"enabled": False}, {}, None, "disabled in config", id="disabled"),
        pytest.param(
            {}, {"method": "crypto"}, None, "payment method crypto not supported", id="method"
        ),
        pytest.param({}, {"currency": "GBP"}, None, "currency GBP not supported", id="currency"),
        pytest.param(
            {"capabilities": capabilities(min_amount={"USD": D(1)})},
            {"amount": D("0.50")},
            None,
            "amount below the minimum of 1 USD",
            id="below-minimum",
        ),
        pytest.param(
            {"capabilities": capabilities(max_amount={"USD": D(1000)})},
            {"amount": D("1000.01")},
            None,
            "amount above the maximum of 1000 USD",
            id="above-maximum",
        ),
        pytest.param(
            {"capabilities": capabilities(amount_step={"USD": D("0.05")})},
            {"amount": D("10.00"), "parts": (D("9.99"), D("0.01"))},
            None,
            "amounts must be whole multiples of 0.05 USD",
            id="amount-step-of-a-part",
        ),
        pytest.param(
            {"countries": frozenset({"DE", "AT"})},
            {"billing_country": "FR"},
            None,
            "billing country FR not served",
            id="billing-country",
        ),
        pytest.param({}, {}, "open", "circuit breaker open", id="circuit-open"),
        pytest.param(
            {},
            {"metadata": {"tier": "vip"}},
            None,
            "excluded by rule no_a_for_vip",
            id="exclude-rule",
        ),
        pytest.param(
            {}, {"currency": "EUR"}, None, "not in rule eur_only_b's only list", id="only-rule"
        ),
        pytest.param(
            {"enabled": False},
            {"metadata": {"tier": "vip"}},
            "open",
            "disabled in config",
            id="first-reason-wins",
        ),
        pytest.param(
            {},
            {"metadata": {"tier": "vip"}},
            "open",
            "excluded by rule no_a_for_vip",
            id="rule-before-circuit",
        ),
    ],
)
def test_exclusion_reasons(
    overrides: dict[str, Any], payment: dict[str, Any], health: Any, reason: str
) -> None:
    # c takes anything and is in every only list: it stays, so only a's exclusion shows.
    takes_anything = capabilities(
        currencies=frozenset({"USD", "EUR", "GBP"}), methods=frozenset({"card", "crypto"})
    )
    ranking = run(
        [candidate("a", **overrides), candidate("c", capabilities=takes_anything)],
        facts(**payment),
        stats(health={"a": health} if health else None),
        policy(rules=RULES),
    )
    assert ranking.excluded == (Excluded("a", reason),)
    assert [r.provider for r in ranking.ranked] == ["c"]


@pytest.mark.parametrize(
    ("payment", "eligible", "excluded"),
    [
        pytest.param({"currency": "USD"}, ["a", "b", "c"], [], id="no-only-rule"),
        pytest.param(
            {"currency": "EUR"},
            ["b", "c"],
            [Excluded("a", "not in rule eur_only_b's only list")],
            id="one-only-rule",
        ),
        pytest.param(
            {"currency": "EUR", "amount": D(500)},
            ["c"],
            [
                Excluded("a", "not in rule eur_only_b's only list"),
                Excluded("b", "not in rule eur_big_only_c's only list"),
            ],
            id="two-only-rules-intersect",
        ),
    ],
)
def test_only_rules_intersect(
    payment: dict[str, Any], eligible: list[str], excluded: list[Excluded]
) -> None:
    ranking = run(payment=facts(**payment), compiled=policy(rules=RULES))
    assert sorted(r.provider for r in ranking.ranked) == eligible
    assert list(ranking.excluded) == excluded


@pytest.mark.parametrize(
    ("countries", "billing", "eligible"),
    [
        pytest.param(None, "FR", True, id="serves-all"),
        pytest.param(frozenset({"FR"}), "FR", True, id="served"),
        pytest.param(frozenset({"DE"}), "FR", False, id="not-served"),
        pytest.param(frozenset({"DE"}), None, True, id="unknown-country-not-held-against"),
    ],
)
def test_billing_countries(
    countries: frozenset[str] | None, billing: str | None, eligible: bool
) -> None:
    ranking = run([candidate("a", countries=countries)], facts(billing_country=billing))
    assert bool(ranking.ranked) is eligible


def test_excluded_are_listed_by_name_whatever_the_input_order() -> None:
    ranking = run([candidate(n, enabled=False) for n in ("c", "a", "b")])
    assert [e.provider for e in ranking.excluded] == ["a", "b", "c"]
    assert ranking.ranked == ()


def test_memoised_exclusions_keep_their_own_currency_and_method() -> None:
    # Exclusions that do not depend on the amount are memoised on the candidate object,
    # per currency and method: the same object must still say the right thing each time.
    disabled, enabled = candidate("a", enabled=False), candidate("a")
    asked = [
        ("USD", "card", disabled, "disabled in config"),
        ("GBP", "card", disabled, "disabled in config"),
        ("GBP", "card", enabled, "currency GBP not supported"),
        ("CHF", "card", enabled, "currency CHF not supported"),
        ("CHF", "crypto", enabled, "payment method crypto not supported"),
        ("USD", "crypto", enabled, "payment method crypto not supported"),
        ("EUR", "crypto", enabled, "payment method crypto not supported"),
        ("CHF", "card", enabled, "currency CHF not supported"),
    ]
    for currency, method, instance, reason in asked:
        ranking = run([instance], facts(currency=currency, method=method))
        assert ranking.excluded == (Excluded("a", reason),), (currency, method)
