"""The pure Stripe wire mapping: request -> Checkout Session params, session -> status."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import stripe

from providers.base import (
    CheckoutRequest,
    Customer,
    LineItem,
    PaymentStatus,
)
from providers.errors import NonRetryableProviderError, RetryableProviderError
from providers.stripe.currency import CARD_CURRENCIES, MINIMUM_CHARGE, to_stripe_amount
from providers.stripe.locales import stripe_locale
from providers.stripe.metadata import stripe_metadata
from providers.stripe.transformers import (
    build_session_params,
    checkout_created,
    session_status,
    stripe_expires_at,
)
from router.money import is_currency

NOW = datetime(2024, 1, 15, 11, 0, tzinfo=UTC)
SESSION_ID = "e4b8c1a2-b088-4e79-99ad-2c3e0fa3f1b9"


def seed_003_request(**changes: Any) -> CheckoutRequest:
    """The seed 003 example payload as the router hands it to an adapter."""
    request = CheckoutRequest(
        session_id=SESSION_ID,
        idempotency_key="attempt-e4b8c1a2-1",
        order_reference="ORD-2024-001",
        method="card",
        currency="AUD",
        amount_total=Decimal("140.76"),
        shipping_amount=Decimal("9.95"),
        tax_amount=Decimal("11.81"),
        items=(LineItem("Wireless Headphones", 1, Decimal("119"), "WH-100"),),
        customer=Customer(email="jane.smith@example.com", first_name="Jane", last_name="Smith"),
        success_url="http://127.0.0.1:8000/return/success?s=1",
        cancel_url="http://127.0.0.1:8000/return/cancel?s=1",
        expires_at=NOW + timedelta(hours=1),
        locale="en_AU",
        shipping_label="express",
        metadata={"campaignId": "summer-sale-2024", "referralCode": "REF-ABC"},
    )
    return replace(request, **changes)


# --- the seed 003 example ------------------------------------------------------------------


def test_seed_003_becomes_these_exact_params() -> None:
    params = build_session_params(seed_003_request(), NOW)

    assert params == {
        "mode": "payment",
        "payment_method_types": ["card"],
        "client_reference_id": "ORD-2024-001",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "aud",
                    "unit_amount": 11900,
                    "product_data": {"name": "Wireless Headphones", "metadata": {"sku": "WH-100"}},
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "aud",
                    "unit_amount": 1181,
                    "product_data": {"name": "Tax"},
                },
            },
        ],
        "shipping_options": [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": "express",
                    "fixed_amount": {"amount": 995, "currency": "aud"},
                }
            }
        ],
        "customer_email": "jane.smith@example.com",
        "locale": "en",
        "success_url": "http://127.0.0.1:8000/return/success?s=1",
        "cancel_url": "http://127.0.0.1:8000/return/cancel?s=1",
        "expires_at": int((NOW + timedelta(hours=1)).timestamp()),
        "metadata": {
            "campaignId": "summer-sale-2024",
            "referralCode": "REF-ABC",
            "payrouter_session_id": SESSION_ID,
        },
    }


def test_seed_003_stripe_total_equals_the_request_total() -> None:
    params = build_session_params(seed_003_request(), NOW)
    lines = sum(i["quantity"] * i["price_data"]["unit_amount"] for i in params["line_items"])
    shipping = params["shipping_options"][0]["shipping_rate_data"]["fixed_amount"]["amount"]
    assert lines + shipping == 14076


def test_no_shipping_and_no_tax_means_no_extra_lines() -> None:
    params = build_session_params(
        seed_003_request(
            amount_total=Decimal("119"), shipping_amount=Decimal(0), tax_amount=Decimal("0.00")
        ),
        NOW,
    )
    assert "shipping_options" not in params
    assert [line["price_data"]["unit_amount"] for line in params["line_items"]] == [11900]


def test_shipping_without_label_is_called_shipping() -> None:
    params = build_session_params(seed_003_request(shipping_label=None), NOW)
    assert params["shipping_options"][0]["shipping_rate_data"]["display_name"] == "Shipping"


def test_optional_fields_are_left_out_when_absent() -> None:
    params = build_session_params(
        seed_003_request(
            customer=Customer(), locale=None, items=(LineItem("Mug", 1, Decimal(119)),)
        ),
        NOW,
    )
    assert "customer_email" not in params
    assert "locale" not in params
    assert params["line_items"][0]["price_data"]["product_data"] == {"name": "Mug"}


def test_zero_decimal_currency_jpy_is_sent_as_is() -> None:
    request = seed_003_request(
        currency="JPY",
        items=(LineItem("Tea", 2, Decimal(1500), "T-1"),),
        shipping_amount=Decimal(500),
        tax_amount=Decimal(300),
        amount_total=Decimal(3800),
    )
    params = build_session_params(request, NOW)
    assert [(i["quantity"], i["price_data"]["unit_amount"]) for i in params["line_items"]] == [
        (2, 1500),
        (1, 300),
    ]
    assert params["line_items"][0]["price_data"]["currency"] == "jpy"
    assert params["shipping_options"][0]["shipping_rate_data"]["fixed_amount"] == {
        "amount": 500,
        "currency": "jpy",
    }


def test_three_decimal_currency_kwd_is_sent_times_1000() -> None:
    request = seed_003_request(
        currency="KWD",
        items=(LineItem("Lamp", 1, Decimal("10.250")),),
        shipping_amount=Decimal("1.5"),
        tax_amount=Decimal("0.75"),
        amount_total=Decimal("12.500"),
    )
    params = build_session_params(request, NOW)
    assert [i["price_data"]["unit_amount"] for i in params["line_items"]] == [10250, 750]
    assert params["shipping_options"][0]["shipping_rate_data"]["fixed_amount"]["amount"] == 1500


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("140.76", "AUD", 14076),
        ("119", "AUD", 11900),
        ("0.5", "USD", 50),
        ("5000", "JPY", 5000),
        ("10.0", "JPY", 10),
        ("100", "KRW", 100),
        ("1.23", "KWD", 1230),
        ("12.340", "KWD", 12340),
        ("0.01", "BHD", 10),
        ("1000", "ISK", 100000),  # ISO zero-decimal, Stripe two-decimal
        ("100", "MGA", 100),  # ISO two-decimal, Stripe zero-decimal
        ("0", "EUR", 0),
        ("99999999.99", "USD", 9999999999),
    ],
)
def test_minor_units_follow_stripe_not_iso(amount: str, currency: str, minor: int) -> None:
    assert to_stripe_amount(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("10.5", "JPY"),
        ("1.005", "KWD"),  # ISO allows it, Stripe needs the last digit 0
        ("1.001", "USD"),
        ("10.50", "MGA"),
        ("-1", "USD"),
        ("NaN", "USD"),
        ("Infinity", "EUR"),
    ],
)
def test_amounts_stripe_cannot_represent_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(NonRetryableProviderError) as caught:
        to_stripe_amount(Decimal(amount), currency)
    assert caught.value.code == "stripe_invalid_amount"
    assert caught.value.retryable is False


def test_a_kwd_request_stripe_cannot_take_is_refused_before_any_call() -> None:
    request = seed_003_request(
        currency="KWD",
        items=(LineItem("Lamp", 1, Decimal("10.255")),),
        shipping_amount=Decimal(0),
        tax_amount=Decimal(0),
        amount_total=Decimal("10.255"),
    )
    with pytest.raises(NonRetryableProviderError, match=r"multiples of 0\.010"):
        build_session_params(request, NOW)


def test_a_total_that_the_lines_do_not_add_up_to_is_refused() -> None:
    with pytest.raises(NonRetryableProviderError) as caught:
        build_session_params(seed_003_request(amount_total=Decimal("140.77")), NOW)
    assert caught.value.code == "stripe_amount_mismatch"


def test_more_than_100_lines_with_tax_are_refused() -> None:
    items = tuple(LineItem(f"Item {n}", 1, Decimal(1)) for n in range(100))
    fits = seed_003_request(
        items=items, shipping_amount=Decimal(0), tax_amount=Decimal(0), amount_total=Decimal(100)
    )
    assert len(build_session_params(fits, NOW)["line_items"]) == 100
    with pytest.raises(NonRetryableProviderError) as caught:
        build_session_params(replace(fits, tax_amount=Decimal(1), amount_total=Decimal(101)), NOW)
    assert caught.value.code == "stripe_too_many_line_items"


@pytest.mark.parametrize(
    "changes",
    [
        {"method": "crypto"},
        {"items": (LineItem("Zero", 0, Decimal(1)),)},
        {"items": (), "tax_amount": Decimal(0), "shipping_amount": Decimal(0)},
    ],
)
def test_requests_stripe_cannot_take_are_non_retryable(changes: dict[str, Any]) -> None:
    with pytest.raises(NonRetryableProviderError):
        build_session_params(seed_003_request(**changes), NOW)


def test_a_long_order_reference_is_cut_to_stripes_200_characters() -> None:
    params = build_session_params(seed_003_request(order_reference="R" * 250), NOW)
    assert params["client_reference_id"] == "R" * 200


# --- locale --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("en_AU", "en"),
        ("en-US", "en"),
        ("en_GB", "en-GB"),
        ("en-gb", "en-GB"),
        ("pt_BR", "pt-BR"),
        ("pt_PT", "pt"),
        ("fr_CA", "fr-CA"),
        ("fr_FR", "fr"),
        ("zh_TW", "zh-TW"),
        ("zh_HK", "zh-HK"),
        ("zh_Hant_HK", "zh-HK"),
        ("zh-Hant", "zh-TW"),
        ("zh_CN", "zh"),
        ("es_MX", "es-419"),
        ("es_AR", "es-419"),
        ("es-419", "es-419"),
        ("es_ES", "es"),
        ("de_AT.UTF-8", "de"),
        ("nb_NO", "nb"),
        ("no", "nb"),
        ("hi_IN", "hi-IN"),
        ("hi", "hi-IN"),
        ("fil_PH", "fil"),
        ("ja", "ja"),
        ("xx_YY", "auto"),
        ("klingon", "auto"),
        ("_", "auto"),
        ("", None),
        (None, None),
    ],
)
def test_locale_is_one_stripe_accepts(given: str | None, sent: str | None) -> None:
    assert stripe_locale(given) == sent


# --- metadata ------------------------------------------------------------------------------


def test_metadata_keeps_what_fits_and_adds_the_session_id() -> None:
    metadata = {
        "ok": "value",
        "k" * 40: "forty is fine",
        "k" * 41: "dropped: key too long",
        "bad[key]": "dropped: brackets",
        "long": "v" * 600,
        "empty": "",
        "payrouter_session_id": "forged",
    }
    result = stripe_metadata(metadata, SESSION_ID)
    assert result == {
        "ok": "value",
        "k" * 40: "forty is fine",
        "long": "v" * 500,
        "payrouter_session_id": SESSION_ID,
    }


def test_metadata_has_at_most_50_keys_and_the_same_ones_in_any_order() -> None:
    entries = [(f"key{n:03d}", str(n)) for n in range(80)]
    forward = stripe_metadata(dict(entries), SESSION_ID)
    backward = stripe_metadata(dict(reversed(entries)), SESSION_ID)
    assert len(forward) == 50
    assert forward == backward
    assert list(forward) == list(backward)
    assert forward["payrouter_session_id"] == SESSION_ID
    assert "key000" in forward and "key048" in forward and "key049" not in forward


def test_metadata_values_become_strings() -> None:
    result = stripe_metadata({"n": 5, "d": Decimal("1.50"), "none": None}, "s")
    assert result == {"n": "5", "d": "1.50", "payrouter_session_id": "s"}


def test_metadata_in_params_respects_every_limit() -> None:
    metadata = {f"key-{n}": "x" * 700 for n in range(70)}
    params = build_session_params(seed_003_request(metadata=metadata), NOW)
    sent = params["metadata"]
    assert len(sent) <= 50
    assert all(isinstance(k, str) and len(k) <= 40 for k in sent)
    assert all(isinstance(v, str) and len(v) <= 500 for v in sent.values())


# --- expiry --------------------------------------------------------------------------------


def test_expiry_inside_stripes_window_is_kept() -> None:
    wanted = NOW + timedelta(hours=3, seconds=17)
    assert stripe_expires_at(wanted, NOW) == int(wanted.timestamp())


def test_too_soon_expiry_moves_to_at_least_30_minutes_and_is_stable_on_retry() -> None:
    first = stripe_expires_at(NOW + timedelta(minutes=5), NOW)
    retry = stripe_expires_at(NOW + timedelta(minutes=5), NOW + timedelta(seconds=20))
    assert first == retry
    assert NOW.timestamp() + 30 * 60 < first <= NOW.timestamp() + 40 * 60


def test_too_late_expiry_moves_to_at_most_24_hours() -> None:
    clamped = stripe_expires_at(NOW + timedelta(days=3), NOW)
    assert NOW.timestamp() + 23 * 3600 < clamped < NOW.timestamp() + 24 * 3600


def test_naive_datetimes_are_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    wanted = naive_now + timedelta(hours=2)
    assert stripe_expires_at(wanted, naive_now) == int((NOW + timedelta(hours=2)).timestamp())


def test_params_expiry_is_clamped_from_the_given_clock() -> None:
    params = build_session_params(seed_003_request(expires_at=NOW + timedelta(minutes=5)), NOW)
    assert params["expires_at"] >= NOW.timestamp() + 30 * 60


# --- capabilities facts --------------------------------------------------------------------


def test_every_card_currency_is_iso_and_the_brief_ones_are_there() -> None:
    assert all(is_currency(code) for code in CARD_CURRENCIES)
    wanted = {
        *("AUD", "USD", "EUR", "GBP", "NZD", "CAD", "JPY", "SGD", "HKD", "CHF", "SEK", "NOK"),
        *("DKK", "PLN", "CZK", "MXN", "BRL", "INR", "KWD", "BHD", "JOD", "OMR", "TND", "KRW"),
    }
    assert set(wanted) <= CARD_CURRENCIES
    assert set(MINIMUM_CHARGE) <= CARD_CURRENCIES
    assert MINIMUM_CHARGE["USD"] == Decimal("0.50")
    assert MINIMUM_CHARGE["GBP"] == Decimal("0.30")
    assert MINIMUM_CHARGE["JPY"] == Decimal(50)


# --- created -------------------------------------------------------------------------------


def test_created_checkout_takes_id_url_and_stripes_expiry() -> None:
    session = {"id": "cs_test_1", "url": "https://checkout.stripe.com/c/pay/cs_test_1"}
    created = checkout_created({**session, "expires_at": 1705320000}, NOW)
    assert created.provider_reference == "cs_test_1"
    assert created.checkout_url == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert created.expires_at == datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
    assert checkout_created(session, NOW).expires_at == NOW


@pytest.mark.parametrize("session", [{"id": "cs_1"}, {"url": "https://x"}, {}, "cs_1", None])
def test_created_checkout_without_id_or_url_is_a_retryable_bad_answer(session: object) -> None:
    with pytest.raises(RetryableProviderError) as caught:
        checkout_created(session, NOW)
    assert caught.value.code == "stripe_invalid_response"


# --- status --------------------------------------------------------------------------------


def _intent(status: str, error: bool = False) -> dict[str, Any]:
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "status": status,
        "last_payment_error": {"code": "card_declined"} if error else None,
    }


@pytest.mark.parametrize(
    ("status", "payment_status", "intent", "expected"),
    [
        ("open", "unpaid", None, PaymentStatus.PENDING),
        ("open", "unpaid", _intent("requires_payment_method", error=True), PaymentStatus.PENDING),
        ("complete", "paid", _intent("succeeded"), PaymentStatus.COMPLETED),
        ("complete", "no_payment_required", None, PaymentStatus.COMPLETED),
        ("complete", "unpaid", _intent("processing"), PaymentStatus.PENDING),
        ("complete", "unpaid", "pi_1", PaymentStatus.PENDING),
        ("complete", "unpaid", None, PaymentStatus.PENDING),
        ("complete", "unpaid", _intent("requires_payment_method"), PaymentStatus.PENDING),
        ("complete", "unpaid", _intent("requires_payment_method", True), PaymentStatus.FAILED),
        ("complete", "unpaid", _intent("canceled", error=True), PaymentStatus.FAILED),
        ("complete", "unpaid", _intent("canceled"), PaymentStatus.FAILED),
        ("expired", "unpaid", None, PaymentStatus.EXPIRED),
        ("complete", "refunded_someday", None, PaymentStatus.PENDING),
        ("archived", "paid", None, PaymentStatus.PENDING),
        (None, None, None, PaymentStatus.PENDING),
    ],
)
def test_status_table(
    status: str | None, payment_status: str | None, intent: object, expected: PaymentStatus
) -> None:
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "status": status,
        "payment_status": payment_status,
        "payment_intent": intent,
    }
    assert session_status(session).status is expected
    as_sdk_object = stripe.checkout.Session.construct_from(session, None)
    assert session_status(as_sdk_object).status is expected


def test_status_keeps_stripes_words_and_reference() -> None:
    result = session_status(
        {
            "id": "cs_9",
            "status": "complete",
            "payment_status": "unpaid",
            "payment_intent": _intent("processing"),
        },
        "cs_other",
    )
    assert result.provider_reference == "cs_9"
    assert result.provider_status == "complete/unpaid/processing"
    assert session_status({"status": "open"}, "cs_given").provider_reference == "cs_given"


def test_unknown_status_is_pending_and_logged_never_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="providers.stripe.transformers"):
        result = session_status({"id": "cs_1", "status": "teleported"})
        garbage = session_status(["not", "a", "session"], "cs_2")
    assert result.status is PaymentStatus.PENDING
    assert garbage.status is PaymentStatus.PENDING
    assert garbage.provider_reference == "cs_2"
    assert "teleported" in caplog.text
