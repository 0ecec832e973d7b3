"""Currencies and money arithmetic: ``Decimal`` everywhere, minor units only at the edge."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 active codes by minor-unit exponent. Codes not listed under 0, 3 or 4 use 2.
_EXPONENT_0 = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_EXPONENT_3 = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_EXPONENT_4 = frozenset(["CLF", "UYW"])
_EXPONENT_2 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IRR",
        "JMD",
        "KES",
        "KGS",
        "KHR",
        "KPW",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "USD",
        "USN",
        "UYU",
        "UZS",
        "VES",
        "VED",
        "WST",
        "XCD",
        "XCG",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

CURRENCIES: frozenset[str] = _EXPONENT_0 | _EXPONENT_2 | _EXPONENT_3 | _EXPONENT_4


def is_currency(code: str) -> bool:
    """True when ``code`` is an active ISO 4217 alphabetic code (upper case)."""
    return code in CURRENCIES


def exponent(currency: str) -> int:
    """The number of minor-unit digits of an ISO 4217 currency.

    Raises ``KeyError`` for a code that is not an active ISO 4217 currency.
    """
    if currency in _EXPONENT_0:
        return 0
    if currency in _EXPONENT_3:
        return 3
    if currency in _EXPONENT_4:
        return 4
    if currency in _EXPONENT_2:
        return 2
    raise KeyError(currency)


def fits_currency(value: Decimal, currency: str) -> bool:
    """True when ``value`` has no more significant decimals than ``currency`` allows."""
    places = exponent(currency)
    return value == value.quantize(Decimal(1).scaleb(-places)) if value.is_finite() else False


def to_minor_units(value: Decimal, currency: str) -> int:
    """Convert a major-unit amount to integer minor units by the currency's exponent.

    Raises ``ValueError`` when the amount has more decimals than the currency has: money
    is never rounded silently.
    """
    if not fits_currency(value, currency):
        raise ValueError(f"{value} has more decimals than {currency} allows")
    return int(value.scaleb(exponent(currency)))


def from_minor_units(amount: int, currency: str) -> Decimal:
    """Convert integer minor units back to a ``Decimal`` in major units."""
    return Decimal(amount).scaleb(-exponent(currency))


def format_amount(value: Decimal, currency: str) -> str:
    """The canonical string of an amount with exactly the currency's decimals (``140.76``)."""
    places = exponent(currency)
    return str(value.quantize(Decimal(1).scaleb(-places)))
