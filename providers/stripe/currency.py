"""Stripe's currency facts: which currencies it takes for cards, its minor units, its minimums.

Stripe's minor units are not always ISO 4217's: it sends MGA as zero-decimal (ISO: 2) and
ISK as two-decimal (ISO: 0), and three-decimal currencies must end in 0. So the amount sent
to Stripe is computed here, from the router's ``Decimal`` major units, never from ISO's
exponent and never through a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from providers.errors import NonRetryableProviderError


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Stripe's presentment currencies for card payments (its "Supported currencies" page),
# restricted to codes that are active in ISO 4217 (router/money.py).
CARD_CURRENCIES: Final[frozenset[str]] = _codes(
    """USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP
    GBP GEL GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF
    KRW KWD KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR
    SEK SGD SHP SLE SOS SRD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX UYU UZS VND VUV WST
    XAF XCD XCG XOF XPF YER ZAR ZMW"""
)

# Sent to Stripe as is (1 JPY -> 1).
ZERO_DECIMAL: Final[frozenset[str]] = _codes(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF"
)
# Sent x1000, and Stripe requires the last digit to be 0 (1.230 KWD -> 1230).
THREE_DECIMAL: Final[frozenset[str]] = _codes("BHD JOD KWD OMR TND")

# Stripe's minimum charge amounts, in major units, where its table lists the currency.
# Elsewhere Stripe checks the equivalent of 0.50 USD at the day's rate: not knowable here.
MINIMUM_CHARGE: Final[Mapping[str, Decimal]] = MappingProxyType(
    {
        code: Decimal(amount)
        for code, amount in (
            ("USD", "0.50"),
            ("AED", "2.00"),
            ("AUD", "0.50"),
            ("BGN", "1.00"),
            ("BRL", "0.50"),
            ("CAD", "0.50"),
            ("CHF", "0.50"),
            ("CZK", "15.00"),
            ("DKK", "2.50"),
            ("EUR", "0.50"),
            ("GBP", "0.30"),
            ("HKD", "4.00"),
            ("HUF", "175.00"),
            ("INR", "0.50"),
            ("JPY", "50"),
            ("MXN", "10"),
            ("MYR", "2"),
            ("NOK", "3.00"),
            ("NZD", "0.50"),
            ("PLN", "2.00"),
            ("RON", "2.00"),
            ("SEK", "3.00"),
            ("SGD", "0.50"),
            ("THB", "10"),
        )
    }
)


# Stripe's largest charge: 99,999,999 in the currency's smallest unit, in major units here.
MAXIMUM_CHARGE: Final[Mapping[str, Decimal]] = MappingProxyType(
    {
        code: Decimal(99_999_999).scaleb(
            0 if code in ZERO_DECIMAL else -3 if code in THREE_DECIMAL else -2
        )
        for code in CARD_CURRENCIES
    }
)


def to_stripe_amount(amount: Decimal, currency: str) -> int:
    """``amount`` (major units) as the integer Stripe expects for ``currency``.

    Zero-decimal currencies are sent as is, three-decimal ones x1000 (last digit 0), all
    others x100. Raises :class:`NonRetryableProviderError` (``stripe_invalid_amount``) for a
    negative or non-finite amount, or one Stripe cannot represent exactly (``10.5`` JPY,
    ``1.005`` KWD, ``1.001`` USD): money is never rounded silently.
    """
    code = currency.upper()
    if not amount.is_finite() or amount < 0:
        raise NonRetryableProviderError(
            "stripe_invalid_amount", f"Stripe cannot charge {amount} {code}"
        )
    if code in ZERO_DECIMAL:
        scaled = amount
    elif code in THREE_DECIMAL:
        scaled = amount.scaleb(3)
    else:
        scaled = amount.scaleb(2)
    # scaleb shifts the exponent exactly: no context rounding can creep in.
    if scaled != scaled.to_integral_value():
        raise NonRetryableProviderError(
            "stripe_invalid_amount",
            f"{amount} {code} has more decimals than Stripe accepts for {code}",
        )
    minor = int(scaled)
    if code in THREE_DECIMAL and minor % 10 != 0:
        raise NonRetryableProviderError(
            "stripe_invalid_amount",
            f"{amount} {code}: Stripe takes {code} amounts only in multiples of 0.010",
        )
    return minor
