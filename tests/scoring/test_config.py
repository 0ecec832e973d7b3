"""The routing section is checked at load: every problem named by its exact path."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.scenario import INSTANCES, routing_config
from scoring.config import RoutingConfig
from tests.scoring.builders import D, problems


def rule(name: str, action: str, providers: list[str] | None = None, **rest: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "action": action, **rest}
    if providers is not None:
        body["providers"] = providers
    return body


def test_defaults_are_valid_and_documented_values() -> None:
    config = RoutingConfig()
    assert config.weights.as_dict() == {
        "success_rate": D("0.4"),
        "cost": D("0.2"),
        "latency": D("0.15"),
        "health": D("0.15"),
        "priority": D("0.1"),
    }
    assert config.failover.deadline_seconds == D(30)
    assert config.failover.max_attempts == 3
    assert config.circuit_breaker.failure_threshold == 5
    assert config.circuit_breaker.cooldown_seconds == D(30)
    assert config.stats_refresh_seconds == 10
    assert config.check(["a"]) == []


def test_a_realistic_rule_set_has_no_problems() -> None:
    config = routing_config()
    assert len(config.rules) == 50
    assert config.check([i.name for i in INSTANCES]) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({"weight": {}}, [("routing.weight", "unknown key")], id="unknown-section"),
        pytest.param(
            {"weights": {"speed": 1}}, [("routing.weights.speed", "unknown key")],
            id="unknown-weight",
        ),
        pytest.param(
            {"weights": {"success_rate": 0, "cost": 0, "latency": 0, "health": 0, "priority": 0}},
            [("routing.weights", "at least one weight must be above 0")],
            id="all-weights-zero",
        ),
        pytest.param(
            {"weights": {"cost": -1}},
            [("routing.weights.cost", "Input should be greater than or equal to 0")],
            id="negative-weight",
        ),
        pytest.param(
            {"exploration": {"rate": 0.3}},
            [("routing.exploration.rate", "Input should be less than or equal to 0.2")],
            id="exploration-over-bound",
        ),
        pytest.param(
            {"success_rate": {"prior_successes": 0, "prior_failures": 0}},
            [("routing.success_rate", "prior_successes + prior_failures must be above 0")],
            id="empty-prior",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], colour="red")]},
            [("routing.rules.0.colour", "unknown key")],
            id="unknown-rule-key",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], match={"country": ["DE"]})]},
            [("routing.rules.0.match.country", "unknown key")],
            id="unknown-match-key",
        ),
        pytest.param(
            {"rules": [rule("r", "route", ["a"])]},
            [("routing.rules.0.action",
              "Input should be 'only', 'exclude', 'prefer' or 'split'")],
            id="unknown-action",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], match={"currency": ["usd"]})]},
            [("routing.rules.0.match.currency",
              "'usd' is not an ISO 4217 currency code (upper case)")],
            id="bad-currency",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], match={"billing_country": []})]},
            [("routing.rules.0.match.billing_country",
              "list at least one value (leave the key out to match any)")],
            id="empty-list",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], match={"locale": ["german"]})]},
            [("routing.rules.0.match.locale", "'german' is not a locale such as de or de-CH")],
            id="bad-locale",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], match={"payment_method": ["cash"]})]},
            [("routing.rules.0.match.payment_method.0", "Input should be 'card' or 'crypto'")],
            id="bad-method",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], match={"amount": {"min": 10, "max": 5}})]},
            [("routing.rules.0.match.amount", "min must not exceed max")],
            id="amount-range-reversed",
        ),
        pytest.param(
            {"rules": [rule("r", "prefer", ["a"])]},
            [("routing.rules.0.weight",
              "a prefer rule needs a weight (points added to the score, -100..100)")],
            id="prefer-without-weight",
        ),
        pytest.param(
            {"rules": [rule("r", "prefer", ["a"], weight=101)]},
            [("routing.rules.0.weight", "Input should be less than or equal to 100")],
            id="weight-out-of-range",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], weight=5)]},
            [("routing.rules.0.weight", "only a prefer rule takes a weight")],
            id="weight-on-only",
        ),
        pytest.param(
            {"rules": [rule("r", "exclude", [])]},
            [("routing.rules.0.providers", "the exclude action needs at least one provider")],
            id="exclude-without-providers",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a", "a"])]},
            [("routing.rules.0.providers", "names a provider twice")],
            id="provider-twice",
        ),
        pytest.param(
            {"rules": [rule("r", "split", split={"a": 60, "b": 30})]},
            [("routing.rules.0.split", "percentages must sum to 100, not 90")],
            id="split-not-100",
        ),
        pytest.param(
            {"rules": [rule("r", "split", split={"a": 100, "b": 0})]},
            [("routing.rules.0.split.b", "Input should be greater than or equal to 1")],
            id="split-zero-share",
        ),
        pytest.param(
            {"rules": [rule("r", "split", split={"a": 50.5, "b": 49.5})]},
            [("routing.rules.0.split.a",
              "Input should be a valid integer, got a number with a fractional part"),
             ("routing.rules.0.split.b",
              "Input should be a valid integer, got a number with a fractional part")],
            id="split-fractional",
        ),
        pytest.param(
            {"rules": [rule("r", "split", ["a"], split={"a": 100})]},
            [("routing.rules.0.providers",
              "a split rule names its providers in split, not providers")],
            id="split-with-providers",
        ),
        pytest.param(
            {"rules": [rule("r", "split")]},
            [("routing.rules.0.split", "a split rule needs split: {provider: percent, ...}")],
            id="split-without-shares",
        ),
        pytest.param(
            {"rules": [rule("r", "only", ["a"], split={"a": 100})]},
            [("routing.rules.0.split", "only a split rule takes split")],
            id="split-on-only",
        ),
        pytest.param(
            {"rules": [rule("has space", "only", ["a"])]},
            [("routing.rules.0.name",
              "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}$'")],
            id="bad-rule-name",
        ),
    ],
)  # fmt: skip
def test_shape_problems(data: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems(data) == expected


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param(
            [rule("r", "only", ["a", "x"])],
            [("routing.rules.0.providers.1", "unknown provider 'x' (configured: a, b, c)")],
            id="unknown-provider",
        ),
        pytest.param(
            [rule("r", "split", split={"a": 50, "zz": 50})],
            [("routing.rules.0.split.zz", "unknown provider 'zz' (configured: a, b, c)")],
            id="unknown-split-provider",
        ),
        pytest.param(
            [rule("r", "only", ["a"]), rule("s", "exclude", ["b"]), rule("r", "exclude", ["c"])],
            [("routing.rules.2.name", "rule name 'r' is already used by rules.0")],
            id="duplicate-name",
        ),
        pytest.param(
            [rule("eu_a", "only", ["a"], match={"currency": ["EUR"]}),
             rule("eu_b", "only", ["b"], match={"currency": ["EUR"]})],
            [("routing.rules.1", "contradicts rule 'eu_a': a payment matching both has no "
              "provider left (only [a] vs only [b])")],
            id="only-vs-only-same-match",
        ),
        pytest.param(
            [rule("eu_a", "only", ["a"], match={"currency": ["EUR"]}),
             rule("no_a", "exclude", ["a", "c"], match={"currency": ["EUR", "USD"]})],
            [("routing.rules.1", "contradicts rule 'eu_a': a payment matching both has no "
              "provider left (only [a], then exclude [a, c])")],
            id="only-then-exclude",
        ),
        pytest.param(
            [rule("no_a", "exclude", ["a"]), rule("a_for_cards", "only", ["a"],
             match={"payment_method": ["card"]})],
            [("routing.rules.1", "contradicts rule 'no_a': a payment matching both has no "
              "provider left (exclude [a], then only [a])")],
            id="exclude-then-only",
        ),
        pytest.param(
            [rule("eur", "only", ["a"], match={"currency": ["EUR"]}),
             rule("cards", "only", ["b"], match={"payment_method": ["card"]})],
            [("routing.rules.1", "contradicts rule 'eur': a payment matching both has no "
              "provider left (only [a] vs only [b])")],
            id="overlapping-matches-clash",
        ),
        pytest.param(
            [rule("de", "only", ["a"], match={"locale": ["de"]}),
             rule("de_ch", "only", ["b"], match={"locale": ["de-CH"]})],
            [("routing.rules.1", "contradicts rule 'de': a payment matching both has no "
              "provider left (only [a] vs only [b])")],
            id="locale-and-its-region-overlap",
        ),
        pytest.param(
            [rule("eur", "only", ["a"], match={"currency": ["EUR"]}),
             rule("usd", "only", ["b"], match={"currency": ["USD"]})],
            [], id="disjoint-currencies",
        ),
        pytest.param(
            [rule("small", "only", ["a"], match={"amount": {"max": 10}}),
             rule("big", "only", ["b"], match={"amount": {"min": 10.01}})],
            [], id="disjoint-amounts",
        ),
        pytest.param(
            [rule("vip", "only", ["a"], match={"metadata": {"tier": "vip"}}),
             rule("basic", "only", ["b"], match={"metadata": {"tier": "basic"}})],
            [], id="disjoint-metadata-values",
        ),
        pytest.param(
            [rule("de", "only", ["a"], match={"locale": ["de"]}),
             rule("fr_ca", "only", ["b"], match={"locale": ["fr-CA"]})],
            [], id="disjoint-locales",
        ),
        pytest.param(
            [rule("fr", "only", ["a", "c"], match={"locale": ["fr"]}),
             rule("fr_ca", "only", ["c"], match={"locale": ["fr-CA"]}),
             rule("no_a", "exclude", ["a"])],
            [], id="a-provider-is-left",
        ),
        pytest.param(
            [rule("nobody", "exclude", ["a", "b", "c"], match={"currency": ["EUR"]})],
            [("routing.rules.0.providers",
              "excludes every configured provider: a payment it matches can never be routed")],
            id="excludes-everyone",
        ),
        pytest.param(
            [rule("first", "split", split={"a": 50, "b": 50}, match={"currency": ["EUR"]}),
             rule("second", "split", split={"a": 10, "c": 90},
                  match={"currency": ["EUR"], "amount": {"min": 100}})],
            [("routing.rules.1", "never applies: the earlier split rule 'first' matches every "
              "payment this one matches (the first matching split wins)")],
            id="split-shadowed",
        ),
        pytest.param(
            [rule("no_b_in_eur", "exclude", ["b"], match={"currency": ["EUR"]}),
             rule("eu_split", "split", split={"a": 60, "b": 40},
                  match={"currency": ["EUR"], "billing_country": ["DE"]})],
            [("routing.rules.1.split.b", "rule 'no_b_in_eur' always removes b from the "
              "payments this split matches: its 40% can never be sent there")],
            id="split-to-excluded-provider",
        ),
        pytest.param(
            [rule("eu_split", "split", split={"a": 60, "c": 40}, match={"currency": ["EUR"]}),
             rule("only_ab", "only", ["a", "b"])],
            [("routing.rules.0.split.c", "rule 'only_ab' always removes c from the "
              "payments this split matches: its 40% can never be sent there")],
            id="split-outside-only-list",
        ),
        pytest.param(
            [rule("no_b_big", "exclude", ["b"], match={"amount": {"min": 1000}}),
             rule("split", "split", split={"a": 60, "b": 40})],
            [],
            id="split-partly-excluded-is-fine",
        ),
    ],
)  # fmt: skip
def test_rule_set_problems(rules: list[dict[str, Any]], expected: list[tuple[str, str]]) -> None:
    assert problems({"rules": rules}) == expected


def test_problems_come_in_rule_order_with_a_custom_prefix() -> None:
    config = RoutingConfig.model_validate(
        {"rules": [rule(f"r{i}", "only", ["a", "x"]) for i in range(12)]}
    )
    found = config.check({"a"}, prefix="config.routing")
    assert [path for path, _ in found] == [
        f"config.routing.rules.{i}.providers.1" for i in range(12)
    ]
