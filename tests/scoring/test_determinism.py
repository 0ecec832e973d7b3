"""Same input, same Ranking: whatever was memoised before, whatever the candidate order."""

from __future__ import annotations

from benchmarks.scenario import candidates, payments, routing_config, stats
from scoring.model import Ranked, new_ranked
from scoring.policy import compile_policy, rank
from tests.scoring.builders import D


def test_same_input_gives_an_identical_ranking() -> None:
    config = routing_config()
    instances = candidates()
    learned = stats()
    warm = compile_policy(config)
    for payment in payments(300):
        first = rank(payment, instances, learned, warm)
        # Memos warm on the first call; a fresh policy and fresh stats start cold.
        assert rank(payment, instances, learned, warm) == first
        assert rank(payment, instances[::-1], stats(), compile_policy(config)) == first


def test_memoised_figures_follow_a_stats_refresh() -> None:
    config = routing_config()
    policy = compile_policy(config)
    instances = candidates()
    payment = next(p for p in payments(50) if p.currency == "USD" and p.method == "card")
    before = rank(payment, instances, stats(seed=2), policy)
    after = rank(payment, instances, stats(seed=9), policy)
    assert [r.factors for r in before.ranked] != [r.factors for r in after.ranked]
    assert rank(payment, instances, stats(seed=9), compile_policy(config)) == after


def test_rankings_cover_every_candidate_exactly_once() -> None:
    policy = compile_policy(routing_config())
    instances = candidates()
    names = sorted(c.name for c in instances)
    for payment in payments(300):
        ranking = rank(payment, instances, stats(), policy)
        listed = [r.provider for r in ranking.ranked] + [e.provider for e in ranking.excluded]
        assert sorted(listed) == names
        assert all(D(0) <= r.score <= D(100) for r in ranking.ranked)
        assert all(D(0) <= f <= D(1) for r in ranking.ranked for f in r.factors.values())


def test_the_fast_ranked_constructor_builds_an_equal_object() -> None:
    args = ("a", D("12.34"), {"cost": D(1)}, ("why",))
    fast = new_ranked(*args)
    assert fast == Ranked(*args)
    assert repr(fast) == repr(Ranked(*args))
    assert type(fast) is Ranked
