"""The collector instance's ``options``: where its API is, and currency conversions.

The collector takes USD and LKR only. An instance may still offer another currency when
its config gives a fixed conversion for it::

    options:
      conversion:
        AUD: {to: USD, rate: "0.65", as_of: "2026-11-01"}

The order amount is then converted at checkout creation, with ``Decimal`` and rounded
half-up to the target currency's exponent, and the rate and its date travel with the
checkout so a reconciliation can show what was charged and why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from router.money import exponent, is_currency

# The fiat currencies the collector prices in (seed 000).
NATIVE_CURRENCIES = frozenset({"USD", "LKR"})
# Seed 001: amount >= 1 USD. The collector documents no LKR minimum; 300 LKR is about
# the same USD 1 at 2026 rates, and a smaller crypto payment costs more in fees than it is worth.
NATIVE_MINIMUMS: Mapping[str, Decimal] = {"USD": Decimal("1.00"), "LKR": Decimal("300.00")}

_RATE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_OPTION_KEYS = frozenset({"api_base", "conversion"})
_CONVERSION_KEYS = frozenset({"to", "rate", "as_of"})


@dataclass(frozen=True)
class Conversion:
    """A fixed rate from ``source`` (the order's currency) to ``target`` (USD or LKR)."""

    source: str
    target: str
    rate: Decimal
    as_of: date

    def convert(self, amount: Decimal) -> Decimal:
        """``amount`` in ``target``, rounded half-up to the target currency's exponent."""
        step = Decimal(1).scaleb(-exponent(self.target))
        return (amount * self.rate).quantize(step, rounding=ROUND_HALF_UP)

    def minimum(self) -> Decimal:
        """The smallest ``source`` amount that converts to at least the target's minimum.

        Rounded up, so that even after half-up rounding the converted amount stays at or
        above the collector's floor.
        """
        step = Decimal(1).scaleb(-exponent(self.source))
        return (NATIVE_MINIMUMS[self.target] / self.rate).quantize(step, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class CollectorOptions:
    api_base: str | None = None
    conversions: Mapping[str, Conversion] = field(default_factory=dict)


def parse_options(options: Mapping[str, Any]) -> CollectorOptions:
    """Validate an instance's ``options`` and read them into :class:`CollectorOptions`.

    Raises ``ValueError`` whose message starts with the key path inside ``options``
    (``conversion.AUD.rate: ...``) on any problem, unknown keys included.
    """
    unknown = sorted(set(options) - _OPTION_KEYS)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown key (allowed: api_base, conversion)")
    api_base = options.get("api_base")
    if api_base is not None:
        api_base = _parse_api_base(api_base)
    raw_conversions = options.get("conversion", {})
    if not isinstance(raw_conversions, Mapping):
        raise ValueError("conversion: must be a mapping of currency code to conversion")
    conversions = {
        str(code): _parse_conversion(str(code), spec) for code, spec in raw_conversions.items()
    }
    return CollectorOptions(api_base=api_base, conversions=conversions)


def _parse_api_base(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("api_base: must be an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("api_base: must be an http(s) URL such as https://api.example.com")
    return value.rstrip("/")


def _parse_conversion(code: str, spec: Any) -> Conversion:
    path = f"conversion.{code}"
    if not is_currency(code):
        raise ValueError(f"{path}: {code!r} is not an ISO 4217 currency code (upper case)")
    if code in NATIVE_CURRENCIES:
        raise ValueError(f"{path}: the collector takes {code} itself; remove the conversion")
    if not isinstance(spec, Mapping):
        raise ValueError(f"{path}: must be a mapping with to, rate and as_of")
    unknown = sorted(set(spec) - _CONVERSION_KEYS)
    if unknown:
        raise ValueError(f"{path}.{unknown[0]}: unknown key (allowed: to, rate, as_of)")
    target = spec.get("to")
    if target not in NATIVE_CURRENCIES:
        raise ValueError(f"{path}.to: must be USD or LKR")
    return Conversion(
        source=code,
        target=str(target),
        rate=_parse_rate(spec.get("rate"), f"{path}.rate"),
        as_of=_parse_as_of(spec.get("as_of"), f"{path}.as_of"),
    )


def _parse_rate(value: Any, path: str) -> Decimal:
    # A string, never a YAML number: YAML reads 0.65 as a float, which is not exact.
    if not isinstance(value, str) or not _RATE.match(value):
        raise ValueError(f'{path}: must be a positive decimal string such as "0.65" (quoted)')
    rate = Decimal(value)
    if rate <= 0:
        raise ValueError(f"{path}: must be greater than zero")
    return rate


def _parse_as_of(value: Any, path: str) -> date:
    # YAML reads an unquoted 2026-11-01 as a date already; a datetime is not a date here.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{path}: must be an ISO date such as 2026-11-01")
