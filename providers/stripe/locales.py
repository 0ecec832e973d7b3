"""Map a payer's locale (``en_AU``, ``pt-BR``, ``fr``) to one Stripe Checkout accepts."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


def _words(text: str) -> list[str]:
    return text.split()


# Every value Checkout Session ``locale`` takes, by lower-cased tag.
_STRIPE_LOCALES: Final[Mapping[str, str]] = MappingProxyType(
    {
        tag.lower(): tag
        for tag in _words(
            """auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hi-IN hr hu id it ja
            ko lt lv ms mt nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW"""
        )
    }
)

# Spanish outside Spain: Stripe's Latin American Spanish.
_LATIN_AMERICA: Final[frozenset[str]] = frozenset(
    _words("419 AR BO CL CO CR CU DO EC GT HN MX NI PA PE PR PY SV US UY VE")
)

# Languages Stripe knows under another tag.
_LANGUAGE_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {"no": "nb", "nn": "nb", "tl": "fil", "hi": "hi-IN", "in": "id"}
)

# Chinese written in traditional script, by region or script subtag.
_TRADITIONAL_CHINESE: Final[Mapping[str, str]] = MappingProxyType(
    {"tw": "zh-TW", "hk": "zh-HK", "mo": "zh-HK", "hant": "zh-TW"}
)


def stripe_locale(locale: str | None) -> str | None:
    """The Stripe Checkout locale for a BCP 47 / POSIX locale, or ``None`` when none was given.

    An exact Stripe tag wins (``en_GB`` -> ``en-GB``), then Spanish of the Americas
    (``es_MX`` -> ``es-419``), traditional Chinese (``zh_Hant_TW`` -> ``zh-TW``), then the
    language alone (``en_AU`` -> ``en``). Anything else is ``auto`` (the payer's browser
    decides), never an error: a locale is a preference, not a reason to refuse a payment.
    """
    if locale is None or not locale.strip():
        return None
    # POSIX "en_AU.UTF-8@euro" -> "en-au"
    tag = locale.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    parts = [part for part in tag.split("-") if part]
    if not parts:
        return "auto"
    exact = _STRIPE_LOCALES.get("-".join(parts))
    if exact is not None:
        return exact
    language, subtags = parts[0], parts[1:]
    if language == "es" and any(sub.upper() in _LATIN_AMERICA for sub in subtags):
        return "es-419"
    if language == "zh":
        # The region decides before the script: zh-Hant-HK is Hong Kong's.
        for sub in sorted(subtags, key=lambda s: s == "hant"):
            if sub in _TRADITIONAL_CHINESE:
                return _TRADITIONAL_CHINESE[sub]
        return "zh"
    if language in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[language]
    return _STRIPE_LOCALES.get(language, "auto")
