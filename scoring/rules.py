"""Rule matches in a normal form, and the set logic the load-time checks need.

A :class:`MatchSpec` is what a :class:`scoring.config.RuleMatch` means: sets instead of
lists, locales lower case with ``-``. ``overlaps`` says whether some payment can match two
rules at once; ``implies`` whether every payment matching one matches the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scoring.config import RuleMatch


@dataclass(frozen=True)
class MatchSpec:
    """``None`` for a dimension means "any value" (no condition)."""

    currencies: frozenset[str] | None
    methods: frozenset[str] | None
    amount_min: Decimal | None
    amount_max: Decimal | None
    billing: frozenset[str] | None
    shipping: frozenset[str] | None
    locales: frozenset[str] | None
    metadata: tuple[tuple[str, str], ...]
    metadata_keys: frozenset[str]


def normalize_locale(tag: str) -> str:
    return tag.replace("_", "-").lower()


def locale_prefixes(tag: str) -> tuple[str, ...]:
    """``de-CH`` -> ``("de-ch", "de")``: the rule locales that match this payment locale."""
    parts = normalize_locale(tag).split("-")
    return tuple("-".join(parts[:end]) for end in range(len(parts), 0, -1))


def match_spec(match: RuleMatch) -> MatchSpec:
    def as_set(values: tuple[str, ...] | None) -> frozenset[str] | None:
        return None if values is None else frozenset(values)

    amount = match.amount
    locales = None if match.locale is None else frozenset(map(normalize_locale, match.locale))
    return MatchSpec(
        currencies=as_set(match.currency),
        methods=as_set(match.payment_method),
        amount_min=amount.min if amount else None,
        amount_max=amount.max if amount else None,
        billing=as_set(match.billing_country),
        shipping=as_set(match.shipping_country),
        locales=locales,
        metadata=tuple(sorted((match.metadata or {}).items())),
        metadata_keys=frozenset(match.metadata_keys or ()),
    )


def _sets_overlap(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    return a is None or b is None or not a.isdisjoint(b)


def _set_implies(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    return b is None or (a is not None and a <= b)


def _locale_covered(tag: str, locales: frozenset[str]) -> bool:
    return any(prefix in locales for prefix in locale_prefixes(tag))


def _locales_overlap(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    # Two locale lists share a payment locale when one entry is a prefix of another:
    # the longer entry itself is such a locale.
    if a is None or b is None:
        return True
    return any(_locale_covered(x, b) for x in a) or any(_locale_covered(y, a) for y in b)


def _locales_imply(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    if b is None:
        return True
    return a is not None and all(_locale_covered(x, b) for x in a)


def overlaps(a: MatchSpec, b: MatchSpec) -> bool:
    """True when at least one payment can match both."""
    low = max((v for v in (a.amount_min, b.amount_min) if v is not None), default=None)
    high = min((v for v in (a.amount_max, b.amount_max) if v is not None), default=None)
    if low is not None and high is not None and low > high:
        return False
    a_meta, b_meta = dict(a.metadata), dict(b.metadata)
    if any(key in b_meta and b_meta[key] != value for key, value in a_meta.items()):
        return False
    return (
        _sets_overlap(a.currencies, b.currencies)
        and _sets_overlap(a.methods, b.methods)
        and _sets_overlap(a.billing, b.billing)
        and _sets_overlap(a.shipping, b.shipping)
        and _locales_overlap(a.locales, b.locales)
    )


def implies(a: MatchSpec, b: MatchSpec) -> bool:
    """True when every payment matching ``a`` also matches ``b``."""
    if b.amount_min is not None and (a.amount_min is None or a.amount_min < b.amount_min):
        return False
    if b.amount_max is not None and (a.amount_max is None or a.amount_max > b.amount_max):
        return False
    if not set(b.metadata) <= set(a.metadata):
        return False
    if not b.metadata_keys <= a.metadata_keys | {key for key, _ in a.metadata}:
        return False
    return (
        _set_implies(a.currencies, b.currencies)
        and _set_implies(a.methods, b.methods)
        and _set_implies(a.billing, b.billing)
        and _set_implies(a.shipping, b.shipping)
        and _locales_imply(a.locales, b.locales)
    )
