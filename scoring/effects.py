"""What a set of matched rules does to the candidates, compiled once per rule set.

Rules are compiled at load into frozensets and ready-made reason strings; the effects of
a given combination of matched rules are computed on first use and memoised, so a
decision only looks them up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from scoring.config import Rule

_MEMO_LIMIT = 4096
_NOTHING: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Split:
    """A volume split: bucket (0-99) -> owner, and the reason strings, all precomputed."""

    rule: str
    hash_prefix: bytes
    owners: tuple[str, ...]
    reasons: tuple[str, ...]
    ignored: tuple[str, ...]


def compile_split(rule: Rule) -> Split:
    """Buckets are handed out in the split's order: {a: 70, b: 30} gives a 0-69, b 70-99."""
    if rule.split is None:
        raise ValueError(f"rule {rule.name} has no split")
    owners: list[str] = []
    for provider, percent in rule.split.items():
        owners += [provider] * percent
    reasons = tuple(
        f"volume split {rule.name}: bucket {b} -> {owner} ({rule.split[owner]}%)"
        for b, owner in enumerate(owners)
    )
    ignored = tuple(
        f"volume split {rule.name}: bucket {b} -> {owner} ({rule.split[owner]}%) ignored: "
        f"{owner} is not eligible, ranked by score"
        for b, owner in enumerate(owners)
    )
    prefix = b"split\x00" + rule.name.encode() + b"\x00"
    return Split(rule.name, prefix, tuple(owners), reasons, ignored)


@dataclass(frozen=True)
class CompiledRule:
    name: str
    action: str
    providers: frozenset[str]
    exclusion: str  # the Excluded reason this rule gives
    prefer: tuple[Decimal, str] | None  # (points, reason)
    split: Split | None


def compile_rule(rule: Rule) -> CompiledRule:
    if rule.action == "exclude":
        exclusion = f"excluded by rule {rule.name}"
    else:
        exclusion = f"not in rule {rule.name}'s only list"
    prefer = None
    if rule.action == "prefer" and rule.weight is not None:
        sign = "+" if rule.weight >= 0 else ""
        prefer = (rule.weight, f"rule {rule.name}: {sign}{rule.weight} points")
    return CompiledRule(
        name=rule.name,
        action=rule.action,
        providers=frozenset(rule.providers),
        exclusion=exclusion,
        prefer=prefer,
        split=compile_split(rule) if rule.action == "split" else None,
    )


@dataclass(frozen=True)
class Effects:
    matched: tuple[str, ...]
    # provider -> reason, from the first matching exclude rule naming it
    excluded: Mapping[str, str]
    # The providers every matching only rule allows; None when no only rule matched.
    only: frozenset[str] | None
    only_rules: tuple[CompiledRule, ...]
    # provider -> (points, reasons) summed over the matching prefer rules
    prefer: Mapping[str, tuple[Decimal, tuple[str, ...]]]
    split: Split | None

    def only_reason(self, provider: str) -> str:
        """Why ``provider`` is outside :attr:`only`: the first only rule not listing it."""
        return next(r.exclusion for r in self.only_rules if provider not in r.providers)


def effects_of(rules: Sequence[CompiledRule]) -> Effects:
    """Combine matched rules (in config order) into their effect on the candidates."""
    excluded: dict[str, str] = {}
    only: frozenset[str] | None = None
    prefer: dict[str, tuple[Decimal, tuple[str, ...]]] = {}
    split = None
    for rule in rules:
        if rule.action == "exclude":
            for provider in rule.providers:
                excluded.setdefault(provider, rule.exclusion)
        elif rule.action == "only":
            only = rule.providers if only is None else only & rule.providers
        elif rule.prefer is not None:
            points, reason = rule.prefer
            for provider in rule.providers:
                total, reasons = prefer.get(provider, (Decimal(0), ()))
                prefer[provider] = (total + points, (*reasons, reason))
        elif split is None:
            split = rule.split
    return Effects(
        matched=tuple(rule.name for rule in rules),
        excluded=excluded or _NOTHING,
        only=only,
        only_rules=tuple(rule for rule in rules if rule.action == "only"),
        prefer=prefer,
        split=split,
    )


@dataclass(frozen=True)
class RuleEffects:
    """The compiled rules and a bounded memo of the effects per matched-rule bit set."""

    rules: tuple[CompiledRule, ...]
    memo: dict[int, Effects] = field(default_factory=dict, compare=False, repr=False)

    def of(self, mask: int) -> Effects:
        effects = self.memo.get(mask)
        if effects is None:
            effects = effects_of([rule for bit, rule in enumerate(self.rules) if mask >> bit & 1])
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[mask] = effects
        return effects
