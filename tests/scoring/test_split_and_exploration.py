"""Volume splits and exploration: shares that hold over many requests, and a retry of one
request that always lands the same way."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from scoring.model import Ranking
from scoring.policy import Policy
from tests.scoring.builders import D, candidate, facts, policy, run

KEYS = [f"key-{i}" for i in range(10_000)]
# c has the best score by far: whatever moves another provider to the top is a split or
# exploration, never the score.
CANDIDATES = [candidate(n, priority=D(p)) for n, p in (("a", 10), ("b", 20), ("c", 100))]


def split_rule(shares: dict[str, int], name: str = "ab", **rule: Any) -> dict[str, Any]:
    return {"name": name, "action": "split", "split": shares, **rule}


def tops(compiled: Policy, keys: list[str] = KEYS) -> list[str]:
    return [
        run(CANDIDATES, facts(routing_key=k), compiled=compiled).ranked[0].provider for k in keys
    ]


@pytest.mark.parametrize(
    "shares",
    [{"a": 70, "b": 30}, {"a": 50, "b": 25, "c": 25}, {"a": 10, "b": 90}],
    ids=["70-30", "50-25-25", "10-90"],
)
def test_split_shares_hold_within_two_percent_over_10000_requests(shares: dict[str, int]) -> None:
    counts = Counter(tops(policy(rules=[split_rule(shares)])))
    assert set(counts) == set(shares)
    for provider, percent in shares.items():
        assert abs(counts[provider] - percent * 100) <= 200, counts


def test_a_request_always_lands_on_the_same_split_share() -> None:
    rules = [split_rule({"a": 70, "b": 30})]
    first = tops(policy(rules=rules), KEYS[:500])
    # A freshly compiled policy (another process, a reload) and another candidate order.
    shuffled = CANDIDATES[::-1]
    again = [
        run(shuffled, facts(routing_key=k), compiled=policy(rules=rules)).ranked[0].provider
        for k in KEYS[:500]
    ]
    assert first == again


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        # Buckets come from BLAKE2b, not hash(): these are the same in every process.
        ("key-3", "volume split ab: bucket 1 -> a (70%)"),
        ("key-2", "volume split ab: bucket 67 -> a (70%)"),
        ("key-1", "volume split ab: bucket 73 -> b (30%)"),
    ],
)
def test_split_reason_names_the_bucket(key: str, reason: str) -> None:
    ranking = run(
        CANDIDATES, facts(routing_key=key), compiled=policy(rules=[split_rule({"a": 70, "b": 30})])
    )
    top = ranking.ranked[0]
    assert top.reasons[0] == reason
    assert top.provider == reason.split("-> ")[1].split(" ")[0]
    # Moved to the top with its own score: the others stay in score order behind it.
    assert [r.provider for r in ranking.ranked[1:]] == [
        p for p in ("c", "b", "a") if p != top.provider
    ]
    assert ranking.notes == ()


def test_a_split_to_an_ineligible_provider_is_ignored_and_said_so() -> None:
    compiled = policy(rules=[split_rule({"a": 70, "b": 30})])
    ranking = run(
        [candidate("a", enabled=False), *CANDIDATES[1:]],
        facts(routing_key="key-3"),
        compiled=compiled,
    )
    assert [r.provider for r in ranking.ranked] == ["c", "b"]
    assert ranking.notes == (
        "volume split ab: bucket 1 -> a (70%) ignored: a is not eligible, ranked by score",
    )
    assert not any(
        reason.startswith("volume split") for r in ranking.ranked for reason in r.reasons
    )


def test_the_first_matching_split_wins() -> None:
    rules = [
        split_rule({"b": 100}, name="eur_to_b", match={"currency": ["EUR"]}),
        split_rule({"a": 100}, name="all_to_a"),
        split_rule({"b": 100}, name="all_to_b"),
    ]
    usd = run(CANDIDATES, facts(currency="USD"), compiled=policy(rules=rules))
    eur = run(CANDIDATES, facts(currency="EUR"), compiled=policy(rules=rules))
    assert (usd.ranked[0].provider, usd.matched_rules) == ("a", ("all_to_a", "all_to_b"))
    assert (eur.ranked[0].provider, eur.matched_rules) == (
        "b",
        ("eur_to_b", "all_to_a", "all_to_b"),
    )


def explored(ranking: Ranking) -> bool:
    return any(reason.startswith("exploration") for reason in ranking.ranked[0].reasons)


def exploring(rate: str, seed: int = 0, rules: list[dict[str, Any]] | None = None) -> Policy:
    return policy(exploration={"rate": rate, "seed": seed}, rules=rules or [])


@pytest.mark.parametrize("rate", ["0", "0.05", "0.1", "0.2"])
def test_exploration_rate_is_bounded_by_config(rate: str) -> None:
    compiled = exploring(rate)
    rankings = [run(CANDIDATES, facts(routing_key=k), compiled=compiled) for k in KEYS]
    moved = [r for r in rankings if r.ranked[0].provider != "c"]
    assert all(explored(r) for r in moved)
    assert sum(explored(r) for r in rankings) == len(moved)
    share = len(moved) / len(KEYS)
    assert abs(share - float(rate)) <= 0.02, share
    # Only ever a candidate other than the best one; both of them get picked.
    assert {r.ranked[0].provider for r in moved} == ({"a", "b"} if moved else set())


def test_exploration_is_deterministic_under_a_seed() -> None:
    def explored_keys(seed: int) -> list[str]:
        compiled = exploring("0.1", seed)
        return [
            k
            for k in KEYS[:2000]
            if explored(run(CANDIDATES, facts(routing_key=k), compiled=compiled))
        ]

    assert explored_keys(7) == explored_keys(7)
    assert explored_keys(7) != explored_keys(8)


def test_exploration_never_overrides_a_split() -> None:
    compiled = exploring("0.2", rules=[split_rule({"a": 70, "b": 30})])
    for key in KEYS[:2000]:
        ranking = run(CANDIDATES, facts(routing_key=key), compiled=compiled)
        assert ranking.ranked[0].reasons[0].startswith("volume split")
        assert not explored(ranking)


def test_exploration_needs_an_alternative() -> None:
    compiled = exploring("0.2")
    for key in KEYS[:500]:
        ranking = run([candidate("only_one")], facts(routing_key=key), compiled=compiled)
        assert not explored(ranking)


def test_same_request_same_exploration_whatever_the_candidate_order() -> None:
    compiled = exploring("0.2")
    rng = random.Random(5)
    for key in KEYS[:300]:
        shuffled = CANDIDATES[:]
        rng.shuffle(shuffled)
        assert run(shuffled, facts(routing_key=key), compiled=compiled) == run(
            CANDIDATES, facts(routing_key=key), compiled=compiled
        )
