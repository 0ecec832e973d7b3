"""Time routing decisions: 20 provider instances, 50 rules, ``--decisions`` payments.

Prints the median, p95, p99 and mean microseconds per decision, and exits 1 when the
median of the realistic mix is over the budget (50 us, issue 4). The learned figures are
rebuilt every ``--refresh-every`` decisions, as the router does on its stats interval, so
recomputing them after a refresh is in the distribution. A second, informational run
makes all 20 instances eligible for every payment (the worst case for scoring).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from benchmarks.scenario import (
    all_eligible,
    candidates,
    payments,
    routing_config,
    stats,
)
from scoring.model import Candidate, PaymentFacts, ProviderStats
from scoring.policy import Policy, compile_policy, rank

BUDGET_MEDIAN_US = 50.0


def _time(
    policy: Policy,
    instances: Sequence[Candidate],
    facts: Sequence[PaymentFacts],
    new_stats: Callable[[], ProviderStats],
    decisions: int,
    refresh_every: int,
) -> tuple[list[int], float]:
    """Nanoseconds per decision (sorted) and the mean number of eligible candidates."""
    clock = time.perf_counter_ns
    durations: list[int] = []
    eligible = 0
    current = new_stats()
    for index in range(decisions):
        if index % refresh_every == 0:
            current = new_stats()  # a new object: memos start empty, as after a refresh
        payment = facts[index % len(facts)]
        started = clock()
        ranking = rank(payment, instances, current, policy)
        durations.append(clock() - started)
        eligible += len(ranking.ranked)
    durations.sort()
    return durations, eligible / decisions


def _summary(durations: Sequence[int]) -> tuple[float, str]:
    def us(ns: float) -> str:
        return f"{ns / 1000:.1f} us"

    def percentile(share: float) -> int:
        return durations[min(len(durations) - 1, int(share * len(durations)))]

    median = statistics.median(durations)
    text = (
        f"median {us(median)}, p95 {us(percentile(0.95))}, p99 {us(percentile(0.99))}, "
        f"mean {us(statistics.fmean(durations))}"
    )
    return median / 1000, text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--refresh-every", type=int, default=5_000)
    parser.add_argument("--budget-us", type=float, default=BUDGET_MEDIAN_US)
    args = parser.parse_args(argv)

    config = routing_config()
    started = time.perf_counter_ns()
    policy = compile_policy(config)
    compile_us = (time.perf_counter_ns() - started) / 1000
    instances = candidates()
    print(
        f"routing: {len(instances)} provider instances, {len(config.rules)} rules, "
        f"{args.decisions} decisions per run, stats rebuilt every {args.refresh_every}; "
        f"policy compiled in {compile_us:.0f} us"
    )
    durations, eligible = _time(
        policy, instances, payments(2_000), stats, args.decisions, args.refresh_every
    )
    median, text = _summary(durations)
    print(f"  realistic mix ({eligible:.1f} eligible per decision): {text}")
    stress_instances, stress_facts, stress_stats = all_eligible()
    stress, stress_eligible = _time(
        policy, stress_instances, stress_facts, stress_stats, args.decisions, args.refresh_every
    )
    print(f"  worst case ({stress_eligible:.1f} eligible per decision): {_summary(stress)[1]}")
    if median > args.budget_us:
        print(f"FAIL: median {median:.1f} us is over the {args.budget_us:g} us budget")
        return 1
    print(f"ok: realistic median within the {args.budget_us:g} us budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
