"""A realistic routing set-up: 20 provider instances, 50 rules, varied payments and stats.

Everything is generated from a fixed seed, so two runs time the same work.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import yaml

from providers.base import Capabilities
from scoring.config import RoutingConfig
from scoring.model import Candidate, HealthState, PaymentFacts, ProviderStats

CARD = frozenset({"card"})
CRYPTO = frozenset({"crypto"})
EU = frozenset({"DE", "FR", "NL", "IT", "ES", "AT", "BE", "IE", "PT", "FI"})


@dataclass(frozen=True)
class Instance:
    name: str
    currencies: tuple[str, ...]
    methods: frozenset[str]
    priority: int
    fee_percent: str
    fixed: dict[str, str]
    countries: frozenset[str] | None = None
    enabled: bool = True
    max_amount: str | None = None


INSTANCES = (
    Instance("stripe_us", ("USD", "CAD"), CARD, 90, "2.9", {"USD": "0.30", "CAD": "0.30"}),
    Instance("stripe_eu", ("EUR", "GBP", "CHF"), CARD, 88, "1.5", {"EUR": "0.25"}),
    Instance("stripe_uk", ("GBP", "EUR"), CARD, 85, "1.5", {"GBP": "0.20"}),
    Instance("stripe_au", ("AUD", "NZD"), CARD, 85, "1.75", {"AUD": "0.30"}),
    Instance("stripe_jp", ("JPY",), CARD, 80, "3.6", {}),
    Instance("stripe_sg", ("SGD", "USD"), CARD, 75, "3.4", {"SGD": "0.50"}),
    Instance(
        "adyen_global",
        ("USD", "EUR", "GBP", "AUD", "JPY", "SGD", "INR", "BRL", "NGN", "CAD"),
        CARD,
        70,
        "0.6",
        {"USD": "0.13", "EUR": "0.11", "GBP": "0.10"},
    ),
    Instance("adyen_eu", ("EUR", "GBP"), CARD, 72, "0.6", {"EUR": "0.11"}, EU),
    Instance("checkout_com", ("USD", "EUR", "GBP"), CARD, 65, "2.0", {"USD": "0.20"}),
    Instance("braintree_us", ("USD",), CARD, 60, "2.59", {"USD": "0.49"}, frozenset({"US"})),
    Instance("worldpay_uk", ("GBP",), CARD, 55, "1.8", {"GBP": "0.15"}),
    Instance("mollie_eu", ("EUR",), CARD, 60, "1.8", {"EUR": "0.25"}, EU),
    Instance("payu_in", ("INR",), CARD, 70, "2.0", {}, frozenset({"IN"})),
    Instance("paystack_ng", ("NGN",), CARD, 70, "1.5", {"NGN": "100"}, frozenset({"NG"})),
    Instance("mercadopago_br", ("BRL",), CARD, 70, "3.99", {}, frozenset({"BR"})),
    Instance("crypto_a", ("USD", "EUR"), CRYPTO, 80, "1.0", {}),
    Instance("crypto_b", ("USD", "LKR"), CRYPTO, 75, "0.8", {"USD": "0"}),
    Instance("crypto_c", ("USD", "EUR", "GBP"), CRYPTO, 60, "0.5", {}, max_amount="5000"),
    Instance("local_lk", ("LKR",), CARD, 70, "2.5", {"LKR": "30"}, frozenset({"LK"})),
    Instance("backup_card", ("USD", "EUR", "GBP"), CARD, 40, "3.5", {}, enabled=False),
)


def candidates() -> tuple[Candidate, ...]:
    built = []
    for spec in INSTANCES:
        limit = spec.max_amount
        capabilities = Capabilities(
            currencies=frozenset(spec.currencies),
            methods=spec.methods,
            max_amount={c: Decimal(limit) for c in spec.currencies} if limit else {},
        )
        built.append(
            Candidate(
                name=spec.name,
                enabled=spec.enabled,
                capabilities=capabilities,
                priority=Decimal(spec.priority),
                countries=spec.countries,
                fee_percent=Decimal(spec.fee_percent),
                fee_fixed={c: Decimal(v) for c, v in spec.fixed.items()},
            )
        )
    return tuple(built)


# A realistic mix: local-only markets, risk exclusions, acquirer A/B splits, preferences by
# metadata, locale, amount and country, and a long tail of per-country home acquirers.
RULES_YAML = """
- {name: inr_local, match: {currency: [INR]}, action: only, providers: [payu_in, adyen_global]}
- {name: ngn_local, match: {currency: [NGN]}, action: only,
   providers: [paystack_ng, adyen_global]}
- {name: brl_local, match: {currency: [BRL]}, action: only,
   providers: [mercadopago_br, adyen_global]}
- {name: lkr_card, match: {currency: [LKR], payment_method: [card]}, action: only,
   providers: [local_lk]}
- {name: high_risk, match: {metadata: {risk: high}}, action: exclude,
   providers: [checkout_com, crypto_c]}
- {name: sanctioned_shipping, match: {shipping_country: [RU, BY, IR]}, action: exclude,
   providers: [stripe_us, stripe_eu, stripe_uk]}
- {name: big_tickets, match: {amount: {min: 10000}}, action: exclude,
   providers: [crypto_a, crypto_b]}
- {name: no_test_merchant, match: {metadata: {merchant: test}}, action: exclude,
   providers: [adyen_global]}
- {name: crypto_kyc, match: {payment_method: [crypto], amount: {min: 3000}}, action: exclude,
   providers: [crypto_c]}
- {name: usd_card_split, match: {currency: [USD], payment_method: [card], amount: {max: 2000}},
   action: split, split: {stripe_us: 70, braintree_us: 20, checkout_com: 10}}
- {name: eur_card_split, action: split, split: {stripe_eu: 50, adyen_eu: 30, mollie_eu: 20},
   match: {currency: [EUR], payment_method: [card],
           billing_country: [AT, BE, DE, ES, FI, FR, IE, IT, NL, PT]}}
- {name: gbp_card_split, match: {currency: [GBP], payment_method: [card]}, action: split,
   split: {stripe_uk: 60, worldpay_uk: 40}}
- {name: crypto_usd_split, match: {currency: [USD], payment_method: [crypto],
   amount: {max: 3000}}, action: split, split: {crypto_a: 50, crypto_b: 50}}
- {name: enterprise, match: {metadata: {plan: enterprise}}, action: prefer,
   providers: [adyen_global], weight: 10}
- {name: coupon_cheap, match: {metadata_keys: [coupon]}, action: prefer,
   providers: [adyen_global, adyen_eu], weight: 4}
- {name: german_speakers, match: {locale: [de]}, action: prefer, providers: [mollie_eu],
   weight: 5}
- {name: french_speakers, match: {locale: [fr]}, action: prefer, providers: [adyen_eu],
   weight: 3}
- {name: japanese, match: {locale: [ja], currency: [JPY]}, action: prefer,
   providers: [stripe_jp], weight: 6}
- {name: small_amounts, match: {amount: {max: 10}}, action: prefer,
   providers: [adyen_global], weight: 5}
- {name: large_amounts, match: {amount: {min: 1000}}, action: prefer,
   providers: [adyen_global, stripe_eu], weight: 7}
- {name: mid_amounts, match: {amount: {min: 50, max: 500}}, action: prefer,
   providers: [stripe_us], weight: 2}
- {name: au_nz, match: {billing_country: [AU, NZ]}, action: prefer, providers: [stripe_au],
   weight: 8}
- {name: sg_local, match: {billing_country: [SG]}, action: prefer, providers: [stripe_sg],
   weight: 8}
- {name: uk_shipping, match: {shipping_country: [GB]}, action: prefer,
   providers: [worldpay_uk], weight: 3}
- {name: crypto_eur, match: {currency: [EUR], payment_method: [crypto]}, action: prefer,
   providers: [crypto_a], weight: 5}
- {name: subscription, match: {metadata: {kind: subscription}}, action: prefer,
   providers: [stripe_us, stripe_eu, stripe_uk], weight: 6}
- {name: marketplace, match: {metadata_keys: [seller_id]}, action: prefer,
   providers: [adyen_global], weight: 4}
- {name: penalise_small_uk, match: {amount: {max: 20}}, action: prefer,
   providers: [worldpay_uk], weight: -5}
"""

# The long tail: a home acquirer preferred per billing country.
HOME = {
    "US": "stripe_us", "CA": "stripe_us", "DE": "stripe_eu", "FR": "adyen_eu",
    "NL": "mollie_eu", "IT": "stripe_eu", "ES": "adyen_eu", "GB": "stripe_uk",
    "IE": "stripe_uk", "JP": "stripe_jp", "IN": "payu_in", "BR": "mercadopago_br",
    "NG": "paystack_ng", "LK": "local_lk", "AT": "mollie_eu", "BE": "mollie_eu",
    "PT": "adyen_eu", "FI": "stripe_eu", "MX": "adyen_global", "CH": "stripe_eu",
    "NZ": "stripe_au", "SE": "adyen_eu",
}  # fmt: skip


def _rules() -> list[dict[str, object]]:
    rules: list[dict[str, object]] = yaml.safe_load(RULES_YAML)
    for country, provider in HOME.items():
        rules.append(
            {
                "name": f"home_{country.lower()}",
                "match": {"billing_country": [country]},
                "action": "prefer",
                "providers": [provider],
                "weight": 3,
            }
        )
    return rules


def routing_config() -> RoutingConfig:
    config = RoutingConfig.model_validate(
        {"exploration": {"rate": "0.02", "seed": 7}, "rules": _rules()}
    )
    problems = config.check({spec.name for spec in INSTANCES})
    if problems:
        raise SystemExit("benchmark config is invalid: " + "; ".join(map(str, problems)))
    return config


_CURRENCIES = (
    ["USD"] * 30
    + ["EUR"] * 25
    + ["GBP"] * 12
    + ["AUD", "JPY", "SGD", "INR", "BRL", "NGN", "LKR", "CAD", "NZD", "CHF"] * 3
)
_COUNTRIES = [
    None,
    "US",
    "DE",
    "FR",
    "GB",
    "NL",
    "AU",
    "JP",
    "IN",
    "BR",
    "NG",
    "LK",
    "SG",
    "CA",
    "ES",
    "IT",
    "MX",
    "SE",
    "RU",
    "CH",
]
_LOCALES = [None, "en", "en-US", "de", "de-CH", "fr", "fr-CA", "ja", "es", "pt-BR", "nl"]
_METADATA_ITEMS = [
    ("risk", "high"),
    ("risk", "low"),
    ("plan", "enterprise"),
    ("plan", "free"),
    ("coupon", "SPRING"),
    ("seller_id", "s-123"),
    ("kind", "subscription"),
    ("merchant", "test"),
    ("channel", "web"),
]


def payments(count: int, seed: int = 1) -> list[PaymentFacts]:
    rng = random.Random(seed)  # noqa: S311  (benchmark data, not security)
    built = []
    for index in range(count):
        amount = Decimal(rng.choice([1, 5, 9, 20, 49, 99, 150, 499, 1200, 2500, 12000]))
        amount += Decimal(rng.randrange(100)) / 100
        billing = rng.choice(_COUNTRIES)
        metadata = dict(rng.sample(_METADATA_ITEMS, rng.randrange(4)))
        built.append(
            PaymentFacts(
                currency=rng.choice(_CURRENCIES),
                method="crypto" if rng.random() < 0.15 else "card",
                amount=amount,
                parts=(amount,),
                billing_country=billing,
                shipping_country=billing if rng.random() < 0.8 else rng.choice(_COUNTRIES),
                locale=rng.choice(_LOCALES),
                metadata=metadata,
                routing_key=f"idem-{seed}-{index}",
            )
        )
    return built


def stats(seed: int = 2) -> ProviderStats:
    rng = random.Random(seed)  # noqa: S311  (benchmark data, not security)
    outcomes = {}
    latency = {}
    for spec in INSTANCES:
        for currency in spec.currencies:
            for method in spec.methods:
                volume = rng.choice([0, 5, 15, 40, 300, 5000])
                successes = round(volume * rng.uniform(0.7, 0.99))
                outcomes[(spec.name, currency, method)] = (successes, volume - successes)
        if rng.random() < 0.85:
            latency[spec.name] = Decimal(rng.randrange(150, 2500))
    health: dict[str, HealthState] = {"checkout_com": "half_open", "worldpay_uk": "open"}
    return ProviderStats(outcomes=outcomes, latency_ms=latency, health=health)


def all_eligible() -> tuple[tuple[Candidate, ...], list[PaymentFacts], Callable[[], ProviderStats]]:
    """The worst case for scoring: every instance takes every payment (USD or EUR card)."""
    capabilities = Capabilities(currencies=frozenset({"USD", "EUR"}), methods=CARD)
    instances = tuple(
        replace(candidate, enabled=True, capabilities=capabilities, countries=None)
        for candidate in candidates()
    )
    facts = [
        replace(payment, currency=currency, method="card")
        for payment, currency in zip(payments(2_000, seed=3), ["USD", "EUR"] * 1_000, strict=True)
    ]

    def new_stats() -> ProviderStats:
        base = stats()
        outcomes = {
            (candidate.name, currency, "card"): (900, 100)
            for candidate in instances
            for currency in ("USD", "EUR")
        }
        # Every circuit closed, so no instance drops out.
        return ProviderStats(outcomes=outcomes, latency_ms=base.latency_ms)

    return instances, facts, new_stats
