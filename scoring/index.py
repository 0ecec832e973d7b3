"""Which rules match a payment, as a bit set computed with a few dictionary lookups.

Rule ``i`` is bit ``1 << i``. For every dimension (currency, method, countries, locale,
amount) the index holds, per value, the rules whose condition on that dimension holds;
a payment's matching rules are the AND over its dimensions. Amount conditions become
sorted break points, so an amount costs one bisection whatever the number of rules.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from scoring.model import PaymentFacts
from scoring.rules import MatchSpec, locale_prefixes

# Memo bound: the locale tag comes from the request, so an unbounded memo could grow.
_MEMO_LIMIT = 4096


@dataclass(frozen=True)
class _Dimension:
    """Per value, the rules whose condition on this dimension holds for it.

    A value no rule names (or a missing one, None) gets ``any_value``: the rules without a
    condition on this dimension.
    """

    by_value: Mapping[str | None, int]
    any_value: int


def _dimension(
    specs: Sequence[MatchSpec], values_of: Callable[[MatchSpec], frozenset[str] | None]
) -> _Dimension:
    any_value = 0
    named: dict[str | None, int] = {}
    for bit, spec in enumerate(specs):
        values = values_of(spec)
        if values is None:
            any_value |= 1 << bit
        else:
            for value in values:
                named[value] = named.get(value, 0) | 1 << bit
    return _Dimension({value: mask | any_value for value, mask in named.items()}, any_value)


def _holds(spec: MatchSpec, low: Decimal | None, high: Decimal | None) -> bool:
    """Does the rule's amount range contain the whole interval [low, high]?"""
    if spec.amount_min is not None and (low is None or spec.amount_min > low):
        return False
    return spec.amount_max is None or (high is not None and spec.amount_max >= high)


@dataclass(frozen=True)
class RuleIndex:
    all_rules: int
    currency: _Dimension
    method: _Dimension
    billing: _Dimension
    shipping: _Dimension
    locale_named: Mapping[str, int]  # rules naming that exact (normalised) locale
    locale_any: int
    points: tuple[Decimal, ...]
    at_point: tuple[int, ...]  # rules holding at points[i]
    between: tuple[int, ...]  # rules holding strictly between points[i-1] and points[i]
    # (bit, required items, required keys) of each rule with metadata conditions.
    metadata_rules: tuple[tuple[int, frozenset[tuple[str, str]], frozenset[str]], ...]
    metadata_bits: int
    locale_memo: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, specs: Sequence[MatchSpec]) -> RuleIndex:
        locale_any = 0
        locale_named: dict[str, int] = {}
        for bit, spec in enumerate(specs):
            if spec.locales is None:
                locale_any |= 1 << bit
            for tag in spec.locales or ():
                locale_named[tag] = locale_named.get(tag, 0) | 1 << bit
        bounds = {v for s in specs for v in (s.amount_min, s.amount_max) if v is not None}
        points = tuple(sorted(bounds))
        at_point = tuple(_mask(specs, point, point) for point in points)
        edges: list[Decimal | None] = [None, *points, None]
        between = tuple(_mask(specs, edges[i], edges[i + 1]) for i in range(len(points) + 1))
        metadata_rules = tuple(
            (1 << bit, frozenset(spec.metadata), spec.metadata_keys)
            for bit, spec in enumerate(specs)
            if spec.metadata or spec.metadata_keys
        )
        return cls(
            all_rules=(1 << len(specs)) - 1,
            currency=_dimension(specs, lambda s: s.currencies),
            method=_dimension(specs, lambda s: s.methods),
            billing=_dimension(specs, lambda s: s.billing),
            shipping=_dimension(specs, lambda s: s.shipping),
            locale_named=locale_named,
            locale_any=locale_any,
            points=points,
            at_point=at_point,
            between=between,
            metadata_rules=metadata_rules,
            metadata_bits=sum(bit for bit, _, _ in metadata_rules),
        )

    def match(self, facts: PaymentFacts) -> int:
        """The bit set of the rules whose every condition holds for ``facts``."""
        currency, method = self.currency, self.method
        billing, shipping = self.billing, self.shipping
        mask = (
            currency.by_value.get(facts.currency, currency.any_value)
            & method.by_value.get(facts.method, method.any_value)
            & billing.by_value.get(facts.billing_country, billing.any_value)
            & shipping.by_value.get(facts.shipping_country, shipping.any_value)
        )
        if not mask:
            return 0
        mask &= self._locale(facts.locale)
        points = self.points
        if points:
            i = bisect_left(points, facts.amount)
            if i < len(points) and points[i] == facts.amount:
                mask &= self.at_point[i]
            else:
                mask &= self.between[i]
        if mask & self.metadata_bits:
            metadata = facts.metadata
            if not metadata:
                return mask & ~self.metadata_bits
            items, keys = metadata.items(), metadata.keys()
            for bit, required_items, required_keys in self.metadata_rules:
                if mask & bit and not (items >= required_items and keys >= required_keys):
                    mask &= ~bit
        return mask

    def _locale(self, tag: str | None) -> int:
        if tag is None:
            return self.locale_any
        mask = self.locale_memo.get(tag)
        if mask is None:
            mask = self.locale_any
            for prefix in locale_prefixes(tag):
                mask |= self.locale_named.get(prefix, 0)
            if len(self.locale_memo) < _MEMO_LIMIT:
                self.locale_memo[tag] = mask
        return mask


def _mask(specs: Sequence[MatchSpec], low: Decimal | None, high: Decimal | None) -> int:
    """The rules whose amount condition holds on all of [low, high] (None: unbounded)."""
    mask = 0
    for bit, spec in enumerate(specs):
        if _holds(spec, low, high):
            mask |= 1 << bit
    return mask
