"""Load-time checks of a rule set as a whole: names, provider references, contradictions.

A contradiction is a pair of rules that some payment can match together and that leave
it nowhere to go (``only [a]`` with ``only [b]``, or ``only [a]`` with ``exclude [a]``), or a
split that can never do what it says (it always sends a share to a provider another rule
always removes, or an earlier split always wins). Rules are compared pairwise: a payment
that only three rules together leave without a provider is not detected here (the ranking
then reports every exclusion with its reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from scoring.rules import MatchSpec, implies, match_spec, overlaps

if TYPE_CHECKING:
    from scoring.config import Rule

Problem = tuple[str, str]


def _listing(names: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(names)) + "]"


def rule_set_problems(
    rules: Sequence[Rule], providers: frozenset[str], prefix: str
) -> list[Problem]:
    """Every problem of ``rules`` against the instance names ``providers``, in rule order."""
    base = f"{prefix}.rules"
    problems: list[Problem] = []
    problems += _duplicate_names(rules, base)
    problems += _unknown_providers(rules, providers, base)
    specs = [match_spec(rule.match) for rule in rules]
    problems += _excludes_everyone(rules, providers, base)
    problems += _dead_ends(rules, specs, base)
    problems += _broken_splits(rules, specs, base)
    return sorted(problems, key=lambda problem: _path_order(problem[0]))


def _path_order(path: str) -> tuple[int, ...]:
    # By rule index (rules.10 after rules.9), then the order the checks found them in.
    return tuple(int(part) if part.isdigit() else -1 for part in path.split("."))


def _duplicate_names(rules: Sequence[Rule], base: str) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for index, rule in enumerate(rules):
        if rule.name in first:
            problems.append(
                (
                    f"{base}.{index}.name",
                    f"rule name {rule.name!r} is already used by rules.{first[rule.name]}",
                )
            )
        else:
            first[rule.name] = index
    return problems


def _unknown_providers(
    rules: Sequence[Rule], providers: frozenset[str], base: str
) -> list[Problem]:
    known = ", ".join(sorted(providers)) or "none"
    problems = []
    for index, rule in enumerate(rules):
        if rule.split:
            paths = [(f"{base}.{index}.split.{name}", name) for name in rule.split]
        else:
            paths = [(f"{base}.{index}.providers.{j}", n) for j, n in enumerate(rule.providers)]
        problems += [
            (path, f"unknown provider {name!r} (configured: {known})")
            for path, name in paths
            if name not in providers
        ]
    return problems


def _excludes_everyone(
    rules: Sequence[Rule], providers: frozenset[str], base: str
) -> list[Problem]:
    return [
        (
            f"{base}.{index}.providers",
            "excludes every configured provider: a payment it matches can never be routed",
        )
        for index, rule in enumerate(rules)
        if rule.action == "exclude" and providers and providers <= set(rule.providers)
    ]


def _dead_ends(rules: Sequence[Rule], specs: Sequence[MatchSpec], base: str) -> list[Problem]:
    """Pairs of only/exclude rules that leave a payment matching both with no provider."""
    problems = []
    for later, rule in enumerate(rules):
        for earlier in range(later):
            other = rules[earlier]
            clash = _clash(other, rule)
            if clash and overlaps(specs[earlier], specs[later]):
                problems.append(
                    (
                        f"{base}.{later}",
                        f"contradicts rule {other.name!r}: a payment matching both has no "
                        f"provider left ({clash})",
                    )
                )
    return problems


def _clash(a: Rule, b: Rule) -> str | None:
    """How two rules' actions leave nobody, when both apply; ``None`` if they don't."""
    a_set, b_set = set(a.providers), set(b.providers)
    if a.action == "only" and b.action == "only" and not a_set & b_set:
        return f"only {_listing(a_set)} vs only {_listing(b_set)}"
    if a.action == "only" and b.action == "exclude" and a_set <= b_set:
        return f"only {_listing(a_set)}, then exclude {_listing(b_set)}"
    if a.action == "exclude" and b.action == "only" and b_set <= a_set:
        return f"exclude {_listing(a_set)}, then only {_listing(b_set)}"
    return None


def _broken_splits(rules: Sequence[Rule], specs: Sequence[MatchSpec], base: str) -> list[Problem]:
    problems = []
    for index, rule in enumerate(rules):
        if not rule.split:
            continue
        for other_index, other in enumerate(rules):
            if other_index == index or not implies(specs[index], specs[other_index]):
                continue
            if other.split and other_index < index:
                problems.append(
                    (
                        f"{base}.{index}",
                        f"never applies: the earlier split rule {other.name!r} matches every "
                        "payment this one matches (the first matching split wins)",
                    )
                )
                continue
            for provider, percent in rule.split.items():
                removed = (other.action == "exclude" and provider in other.providers) or (
                    other.action == "only" and provider not in other.providers
                )
                if removed:
                    problems.append(
                        (
                            f"{base}.{index}.split.{provider}",
                            f"rule {other.name!r} always removes {provider} from the payments "
                            f"this split matches: its {percent}% can never be sent there",
                        )
                    )
    return problems
