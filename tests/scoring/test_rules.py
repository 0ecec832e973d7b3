"""Rule matching, condition by condition, and what each action does to the ranking."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from benchmarks.scenario import payments, routing_config
from scoring.model import Excluded, PaymentFacts
from scoring.policy import compile_policy, rank
from scoring.rules import MatchSpec, match_spec
from tests.scoring.builders import D, candidate, facts, only_factor, policy, run, stats


def matched(match: dict[str, Any], **payment: Any) -> bool:
    rule = {"name": "r", "match": match, "action": "prefer", "providers": ["a"], "weight": 1}
    return run(payment=facts(**payment), compiled=policy(rules=[rule])).matched_rules == ("r",)


@pytest.mark.parametrize(
    ("match", "payment", "expected"),
    [
        pytest.param({}, {}, True, id="empty-match-matches-all"),
        pytest.param({"currency": ["USD", "EUR"]}, {"currency": "EUR"}, True, id="currency"),
        pytest.param({"currency": ["EUR"]}, {"currency": "USD"}, False, id="currency-other"),
        pytest.param({"payment_method": ["card"]}, {"method": "card"}, True, id="method"),
        pytest.param({"payment_method": ["crypto"]}, {"method": "card"}, False, id="method-other"),
        pytest.param({"amount": {"min": 100}}, {"amount": D("100.00")}, True, id="min-inclusive"),
        pytest.param({"amount": {"min": 100}}, {"amount": D("99.99")}, False, id="below-min"),
        pytest.param({"amount": {"max": 100}}, {"amount": D("100")}, True, id="max-inclusive"),
        pytest.param({"amount": {"max": 100}}, {"amount": D("100.01")}, False, id="above-max"),
        pytest.param(
            {"amount": {"min": 10, "max": 20}}, {"amount": D("15")}, True, id="inside-range"
        ),
        pytest.param(
            {"amount": {"min": 10, "max": 20}}, {"amount": D("20.5")}, False, id="outside-range"
        ),
        pytest.param(
            {"billing_country": ["DE", "AT"]}, {"billing_country": "AT"}, True, id="billing"
        ),
        pytest.param(
            {"billing_country": ["DE"]}, {"billing_country": "FR"}, False, id="billing-other"
        ),
        pytest.param(
            {"billing_country": ["DE"]}, {"billing_country": None}, False, id="billing-unknown"
        ),
        pytest.param({"shipping_country": ["GB"]}, {"shipping_country": "GB"}, True, id="shipping"),
        pytest.param(
            {"shipping_country": ["GB"]}, {"shipping_country": None}, False, id="shipping-unknown"
        ),
        pytest.param({"locale": ["de"]}, {"locale": "de"}, True, id="locale"),
        pytest.param({"locale": ["de"]}, {"locale": "de-CH"}, True, id="locale-region"),
        pytest.param({"locale": ["de"]}, {"locale": "DE_at"}, True, id="locale-case-underscore"),
        pytest.param({"locale": ["de-CH"]}, {"locale": "de"}, False, id="region-needs-region"),
        pytest.param({"locale": ["de-CH"]}, {"locale": "de-ch"}, True, id="region-any-case"),
        pytest.param({"locale": ["de"]}, {"locale": "den"}, False, id="locale-not-text-prefix"),
        pytest.param({"locale": ["de"]}, {"locale": None}, False, id="locale-unknown"),
        pytest.param(
            {"metadata": {"tier": "vip"}}, {"metadata": {"tier": "vip", "x": "1"}}, True,
            id="metadata",
        ),
        pytest.param(
            {"metadata": {"tier": "vip"}}, {"metadata": {"tier": "VIP"}}, False,
            id="metadata-exact",
        ),
        pytest.param({"metadata": {"tier": "vip"}}, {"metadata": {}}, False, id="metadata-none"),
        pytest.param(
            {"metadata_keys": ["coupon"]}, {"metadata": {"coupon": ""}}, True, id="key-present"
        ),
        pytest.param(
            {"metadata_keys": ["coupon"]}, {"metadata": {"other": "1"}}, False, id="key-absent"
        ),
        pytest.param(
            {"metadata": {"tier": "vip"}, "metadata_keys": ["coupon"]},
            {"metadata": {"tier": "vip"}},
            False,
            id="metadata-and-keys-both-needed",
        ),
        pytest.param(
            {"currency": ["USD"], "payment_method": ["card"], "amount": {"min": 50},
             "billing_country": ["US"], "locale": ["en"], "metadata": {"plan": "pro"}},
            {"currency": "USD", "method": "card", "amount": D(60), "billing_country": "US",
             "locale": "en-US", "metadata": {"plan": "pro"}},
            True,
            id="every-condition-holds",
        ),
        pytest.param(
            {"currency": ["USD"], "payment_method": ["card"], "amount": {"min": 50},
             "billing_country": ["US"], "locale": ["en"], "metadata": {"plan": "pro"}},
            {"currency": "USD", "method": "card", "amount": D(60), "billing_country": "US",
             "locale": "fr", "metadata": {"plan": "pro"}},
            False,
            id="one-condition-fails",
        ),
    ],
)  # fmt: skip
def test_conditions(match: dict[str, Any], payment: dict[str, Any], expected: bool) -> None:
    assert matched(match, **payment) is expected


def test_matched_rules_are_named_in_config_order() -> None:
    rules = [
        {"name": n, "match": m, "action": "prefer", "providers": ["a"], "weight": 1}
        for n, m in [
            ("third_by_name", {}),
            ("usd", {"currency": ["USD"]}),
            ("eur", {"currency": ["EUR"]}),
            ("big", {"amount": {"min": 50}}),
        ]
    ]
    assert run(compiled=policy(rules=rules)).matched_rules == ("third_by_name", "usd", "big")


@pytest.mark.parametrize(
    ("rules", "eligible", "excluded"),
    [
        pytest.param(
            [{"name": "x", "action": "exclude", "providers": ["a", "c"]}],
            ["b"],
            [Excluded("a", "excluded by rule x"), Excluded("c", "excluded by rule x")],
            id="exclude",
        ),
        pytest.param(
            [{"name": "x", "action": "only", "providers": ["c"]}],
            ["c"],
            [Excluded(p, "not in rule x's only list") for p in ("a", "b")],
            id="only",
        ),
        pytest.param(
            [
                {"name": "x", "action": "exclude", "providers": ["a"]},
                {"name": "y", "action": "exclude", "providers": ["a", "b"]},
            ],
            ["c"],
            [Excluded("a", "excluded by rule x"), Excluded("b", "excluded by rule y")],
            id="first-exclude-names-the-reason",
        ),
        pytest.param(
            [{"name": "x", "match": {"currency": ["EUR"]}, "action": "exclude",
              "providers": ["a"]}],
            ["a", "b", "c"],
            [],
            id="not-matching-does-nothing",
        ),
    ],
)  # fmt: skip
def test_only_and_exclude(
    rules: list[dict[str, Any]], eligible: list[str], excluded: list[Excluded]
) -> None:
    ranking = run(compiled=policy(rules=rules))
    assert sorted(r.provider for r in ranking.ranked) == eligible
    assert list(ranking.excluded) == excluded


def _prefer(name: str, weight: str, providers: tuple[str, ...] = ("a",)) -> dict[str, Any]:
    return {"name": name, "action": "prefer", "providers": list(providers), "weight": weight}


@pytest.mark.parametrize(
    ("rules", "score", "reasons"),
    [
        # Priority alone: priority 50 -> 50.00 before rules.
        pytest.param([], "50.00", (), id="no-rule"),
        pytest.param([_prefer("up", "12.5")], "62.50", ("rule up: +12.5 points",), id="plus"),
        pytest.param([_prefer("down", "-20")], "30.00", ("rule down: -20 points",), id="minus"),
        pytest.param(
            [_prefer("x", "10"), _prefer("y", "5", ("a", "b"))],
            "65.00",
            ("rule x: +10 points", "rule y: +5 points"),
            id="sums",
        ),
        pytest.param([_prefer("x", "80")], "100.00", ("rule x: +80 points",), id="capped-at-100"),
        pytest.param([_prefer("x", "-80")], "0.00", ("rule x: -80 points",), id="floored-at-0"),
        pytest.param([_prefer("x", "10", ("b",))], "50.00", (), id="other-provider"),
    ],
)
def test_prefer_weights(rules: list[dict[str, Any]], score: str, reasons: tuple[str, ...]) -> None:
    ranking = run([candidate("a")], compiled=only_factor("priority", rules=rules))
    (ranked,) = ranking.ranked
    assert ranked.score == D(score)
    assert ranked.reasons == reasons


def test_prefer_changes_the_order() -> None:
    compiled = only_factor("priority", rules=[_prefer("favour_b", "15", ("b",))])
    ranking = run(
        [candidate("a", priority=D(60)), candidate("b", priority=D(50))], compiled=compiled
    )
    assert [(r.provider, r.score) for r in ranking.ranked] == [("b", D(65)), ("a", D(60))]


def _reference_match(spec: MatchSpec, payment: PaymentFacts) -> bool:
    """The rule semantics written plainly, to check the bit-set index against."""

    def within(values: frozenset[str] | None, value: str | None) -> bool:
        return values is None or value in values

    locale_ok = spec.locales is None or (
        payment.locale is not None
        and any(
            payment.locale.lower().replace("_", "-") == tag
            or payment.locale.lower().replace("_", "-").startswith(tag + "-")
            for tag in spec.locales
        )
    )
    return (
        within(spec.currencies, payment.currency)
        and within(spec.methods, payment.method)
        and (spec.amount_min is None or payment.amount >= spec.amount_min)
        and (spec.amount_max is None or payment.amount <= spec.amount_max)
        and within(spec.billing, payment.billing_country)
        and within(spec.shipping, payment.shipping_country)
        and locale_ok
        and all(payment.metadata.get(k) == v for k, v in spec.metadata)
        and all(k in payment.metadata for k in spec.metadata_keys)
    )


def test_the_rule_index_agrees_with_the_plain_semantics_on_a_realistic_rule_set() -> None:
    config = routing_config()
    specs = [match_spec(r.match) for r in config.rules]
    compiled = compile_policy(config)
    boundary_amounts = [D(10), D("10.01"), D(50), D(500), D(1000), D(2000), D(3000), D(10000)]
    sample = payments(3000, seed=11)
    sample += [replace(p, amount=a) for p, a in zip(sample, boundary_amounts * 100, strict=False)]
    for payment in sample:
        expected = tuple(
            r.name for r, s in zip(config.rules, specs, strict=True) if _reference_match(s, payment)
        )
        assert rank(payment, (), stats(), compiled).matched_rules == expected, payment
