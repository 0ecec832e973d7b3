"""The crypto collector adapter through the ProviderAdapter protocol, over MockTransport."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from providers.base import (
    AdapterContext,
    CheckoutCreated,
    CheckoutRequest,
    Customer,
    LineItem,
    PaymentStatus,
    ProviderAdapter,
)
from providers.crypto_collector.adapter import CryptoCollectorAdapterFactory
from providers.crypto_collector.signing import compute_signature, unix_millis
from providers.errors import (
    NonRetryableProviderError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RetryableProviderError,
    WebhookVerificationError,
)
from router.settings import ProviderInstanceSettings

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
API_BASE = "https://collector.test/api"
API_KEY = "ak_live_123"
API_SECRET = "sk_live_very_secret_value"
CREATED = {
    "sessionId": "cs_live_1",
    "paymentId": "pay_1",
    "checkoutUrl": "https://checkout.collector.test/session/cs_live_1",
    "expiresAt": "2026-11-02T11:00:00Z",
}

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def instance_settings(**overrides: Any) -> ProviderInstanceSettings:
    data: dict[str, Any] = {
        "adapter": "crypto_collector",
        "mode": "live",
        "currencies": ["USD", "LKR"],
        "methods": ["crypto"],
        **overrides,
    }
    return ProviderInstanceSettings.model_validate(data)


def checkout_request(**overrides: Any) -> CheckoutRequest:
    fields: dict[str, Any] = {
        "session_id": "0b9b7a1e-5f7c-4d55-9d39-6f1f0f6d8a10",
        "idempotency_key": "attempt-0b9b7a1e-1",
        "order_reference": "ORD-1001",
        "method": "crypto",
        "currency": "USD",
        "amount_total": Decimal("140.76"),
        "shipping_amount": Decimal("9.95"),
        "tax_amount": Decimal("11.81"),
        "items": (LineItem("Shoes", 1, Decimal("119.00"), "SKU-1"),),
        "customer": Customer(email="payer@example.com"),
        "success_url": "https://router.test/return/s1?result=success",
        "cancel_url": "https://router.test/return/s1?result=cancel",
        "expires_at": NOW + timedelta(hours=1),
        **overrides,
    }
    return CheckoutRequest(**fields)


@asynccontextmanager
async def collector(
    handler: Handler, settings: ProviderInstanceSettings | None = None
) -> AsyncIterator[ProviderAdapter]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        context = AdapterContext(
            instance_name="cc",
            settings=settings or instance_settings(options={"api_base": API_BASE}),
            credentials={"api_key": API_KEY, "api_secret": API_SECRET},
            api_base=None,
            http=http,
            clock=lambda: NOW,
        )
        yield CryptoCollectorAdapterFactory().create(context)


def answer(status: int, payload: Any = None, *, content: bytes | None = None) -> Handler:
    async def handler(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content)
        return httpx.Response(status, json=payload)

    return handler


def raising(exc: BaseException) -> Handler:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


async def test_it_satisfies_the_protocol() -> None:
    async with collector(answer(201, CREATED)) as adapter:
        assert isinstance(adapter, ProviderAdapter)
        assert adapter.name == "cc"
        assert adapter.capabilities.can_expire is False


async def test_create_sends_one_signed_json_body_with_a_string_amount() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=CREATED)

    async with collector(handler) as adapter:
        created = await adapter.create_checkout(checkout_request())

    assert created == CheckoutCreated(
        provider_reference="pay_1",
        checkout_url=CREATED["checkoutUrl"],
        expires_at=datetime(2026, 11, 2, 11, 0, tzinfo=UTC),
    )
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{API_BASE}/v1/sdk/checkout/sessions"
    body = request.content
    assert b'"amount":"140.76"' in body  # a string, never a JSON number
    assert json.loads(body) == {
        "amount": "140.76",
        "currency": "USD",
        "successUrl": "https://router.test/return/s1?result=success",
        "cancelUrl": "https://router.test/return/s1?result=cancel",
        "orderId": "0b9b7a1e-5f7c-4d55-9d39-6f1f0f6d8a10",
        "description": "Order ORD-1001",
        "customerEmail": "payer@example.com",
        "metadata": {
            "orderReference": "ORD-1001",
            "payrouter_session_id": "0b9b7a1e-5f7c-4d55-9d39-6f1f0f6d8a10",
        },
    }
    timestamp = str(unix_millis(NOW))
    assert request.headers["X-API-Key"] == API_KEY
    assert request.headers["X-Timestamp"] == timestamp
    # Signed over the path relative to the API base and the exact bytes sent.
    assert request.headers["X-Signature"] == compute_signature(
        API_SECRET, timestamp, "POST", "/v1/sdk/checkout/sessions", body
    )
    assert request.headers["Idempotency-Key"] == "attempt-0b9b7a1e-1"
    assert request.headers["Content-Type"] == "application/json"


async def test_lkr_amounts_keep_their_two_decimals() -> None:
    seen: list[bytes] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(201, json=CREATED)

    async with collector(handler) as adapter:
        await adapter.create_checkout(
            checkout_request(currency="LKR", amount_total=Decimal("42000.5"))
        )
    assert json.loads(seen[0])["amount"] == "42000.50"


@pytest.mark.parametrize(
    ("currency", "total", "conversion", "sent_amount", "sent_currency"),
    [
        # 140.76 x 0.65 = 91.494 -> 91.49
        ("AUD", "140.76", {"to": "USD", "rate": "0.65", "as_of": "2026-11-01"}, "91.49", "USD"),
        # 10.10 x 0.65 = 6.565: half-up gives 6.57 (half-even would give 6.56)
        ("AUD", "10.10", {"to": "USD", "rate": "0.65", "as_of": "2026-11-01"}, "6.57", "USD"),
        # a zero-decimal currency into LKR: 1000 x 2.0123 = 2012.3 -> 2012.30
        ("JPY", "1000", {"to": "LKR", "rate": "2.0123", "as_of": "2026-11-01"}, "2012.30", "LKR"),
    ],
)
async def test_a_converted_currency_is_charged_in_usd_or_lkr_with_its_rate_recorded(
    currency: str, total: str, conversion: dict[str, str], sent_amount: str, sent_currency: str
) -> None:
    seen: list[bytes] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(201, json=CREATED)

    settings = instance_settings(
        currencies=["USD", currency],
        options={"api_base": API_BASE, "conversion": {currency: conversion}},
    )
    async with collector(handler, settings) as adapter:
        assert currency in adapter.capabilities.currencies
        await adapter.create_checkout(
            checkout_request(currency=currency, amount_total=Decimal(total))
        )
    sent = json.loads(seen[0])
    assert (sent["amount"], sent["currency"]) == (sent_amount, sent_currency)
    assert sent["metadata"] | {} == {
        "orderReference": "ORD-1001",
        "payrouter_session_id": "0b9b7a1e-5f7c-4d55-9d39-6f1f0f6d8a10",
        "originalAmount": total if currency == "JPY" else f"{Decimal(total):.2f}",
        "originalCurrency": currency,
        "conversionRate": conversion["rate"],
        "conversionRateAsOf": "2026-11-01",
    }


async def test_refuses_without_a_call_what_it_cannot_take() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no call expected")

    async with collector(handler) as adapter:
        cases = [
            (checkout_request(currency="EUR"), "currency_not_supported"),
            (checkout_request(method="card"), "method_not_supported"),
            (checkout_request(amount_total=Decimal("0.99")), "amount_too_small"),
            (checkout_request(amount_total=Decimal("1.005")), "amount_invalid"),
        ]
        for request, code in cases:
            with pytest.raises(NonRetryableProviderError) as caught:
                await adapter.create_checkout(request)
            assert caught.value.code == code
        with pytest.raises(NonRetryableProviderError) as bad_reference:
            await adapter.get_status("../v1/other")
        assert bad_reference.value.code == "collector_bad_reference"


@pytest.mark.parametrize(
    ("provider_status", "status"),
    [
        ("initiated", PaymentStatus.PENDING),
        ("pending", PaymentStatus.PENDING),
        ("confirming", PaymentStatus.PENDING),
        ("paid", PaymentStatus.COMPLETED),
        ("failed", PaymentStatus.FAILED),
        ("expired", PaymentStatus.EXPIRED),
    ],
)
async def test_status_table(provider_status: str, status: PaymentStatus) -> None:
    async with collector(answer(200, {"id": "pay_1", "status": provider_status})) as adapter:
        read = await adapter.get_status("pay_1")
    assert (read.provider_reference, read.status, read.provider_status) == (
        "pay_1",
        status,
        provider_status,
    )


async def test_an_unknown_status_is_pending_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        async with collector(answer(200, {"id": "pay_1", "status": "refunding"})) as adapter:
            read = await adapter.get_status("pay_1")
    assert read.status is PaymentStatus.PENDING
    assert read.provider_status == "refunding"
    assert "refunding" in caplog.text


async def test_get_status_is_a_signed_get_with_an_empty_body() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "pay_1", "status": "paid"})

    async with collector(handler) as adapter:
        await adapter.get_status("pay_1")
    (request,) = seen
    assert (request.method, str(request.url)) == ("GET", f"{API_BASE}/v1/payments/pay_1")
    assert request.content == b""
    assert request.headers["X-Signature"] == compute_signature(
        API_SECRET, request.headers["X-Timestamp"], "GET", "/v1/payments/pay_1", b""
    )


@pytest.mark.parametrize(
    ("status", "body", "error_type", "code"),
    [
        (400, {"error": {"code": "VALIDATION_ERROR", "message": "amount: bad"}},
         NonRetryableProviderError, "collector_rejected"),
        (401, {"error": {"code": "UNAUTHORIZED", "message": "x"}},
         NonRetryableProviderError, "collector_unauthorized"),
        (403, None, NonRetryableProviderError, "collector_forbidden"),
        (404, {"error": {"code": "NOT_FOUND", "message": "no such payment"}},
         NonRetryableProviderError, "collector_not_found"),
        (409, {"error": {"code": "DUPLICATE_ORDER", "message": "orderId must be unique"}},
         NonRetryableProviderError, "collector_conflict"),
        (409, {"error": {"code": "IDEMPOTENCY_KEY_IN_USE", "message": "busy"}},
         RetryableProviderError, "collector_request_in_progress"),
        (422, None, NonRetryableProviderError, "collector_rejected"),
        (429, None, RetryableProviderError, "collector_rate_limited"),
        (500, {"error": {"code": "INTERNAL_ERROR", "message": "boom"}},
         RetryableProviderError, "collector_server_error"),
        (502, None, RetryableProviderError, "collector_server_error"),
        (503, None, RetryableProviderError, "collector_server_error"),
        (302, None, RetryableProviderError, "collector_bad_response"),
    ],
)  # fmt: skip
async def test_http_errors_map_by_status(
    status: int, body: Any, error_type: type[ProviderError], code: str
) -> None:
    async with collector(answer(status, body)) as adapter:
        for call in (adapter.create_checkout(checkout_request()), adapter.get_status("pay_1")):
            with pytest.raises(error_type) as caught:
                await call
            assert caught.value.code == code
            assert caught.value.http_status == status
            assert type(caught.value.__cause__) is not httpx.HTTPStatusError


async def test_the_collector_message_is_passed_on_for_a_400() -> None:
    body = {"error": {"code": "VALIDATION_ERROR", "message": "successUrl: must be absolute"}}
    async with collector(answer(400, body)) as adapter:
        with pytest.raises(NonRetryableProviderError, match="successUrl: must be absolute"):
            await adapter.create_checkout(checkout_request())


async def test_a_401_names_the_instance_and_never_the_secret() -> None:
    async with collector(answer(401, {"error": {"code": "UNAUTHORIZED"}})) as adapter:
        with pytest.raises(NonRetryableProviderError) as caught:
            await adapter.get_status("pay_1")
        assert API_SECRET not in repr(vars(adapter))  # e.g. an adapter dumped in a log
    message = str(caught.value)
    assert "API key/secret of instance cc" in message
    assert API_SECRET not in message and API_SECRET not in repr(caught.value.__dict__)


@pytest.mark.parametrize(
    ("content", "payload"),
    [
        (b"<html>gateway</html>", None),
        (b"\xff\xfe", None),
        (b"[" * 100_000, None),  # deep enough to exhaust the JSON parser's stack
        (None, ["not", "an", "object"]),
        (None, {"sessionId": "cs_1", "checkoutUrl": "https://c.test/s"}),  # no paymentId
        (None, {**CREATED, "checkoutUrl": "javascript:alert(1)"}),
        (None, {**CREATED, "expiresAt": "tomorrow"}),
        (None, {**CREATED, "paymentId": 17}),
    ],
)
async def test_garbage_in_a_2xx_create_is_a_retryable_bad_response(
    content: bytes | None, payload: Any
) -> None:
    async with collector(answer(201, payload, content=content)) as adapter:
        with pytest.raises(RetryableProviderError) as caught:
            await adapter.create_checkout(checkout_request())
    assert caught.value.code == "collector_bad_response"


@pytest.mark.parametrize(
    "payload",
    [{"id": "pay_1"}, {"id": "pay_1", "status": None}, {"id": "pay_2", "status": "paid"}, []],
)
async def test_garbage_in_a_2xx_status_is_a_retryable_bad_response(payload: Any) -> None:
    async with collector(answer(200, payload)) as adapter:
        with pytest.raises(RetryableProviderError) as caught:
            await adapter.get_status("pay_1")
    assert caught.value.code == "collector_bad_response"


async def test_a_slow_collector_times_out_within_timeout_seconds() -> None:
    never = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        await never.wait()
        return httpx.Response(200)

    settings = instance_settings(timeout_seconds="0.05", options={"api_base": API_BASE})
    async with collector(handler, settings) as adapter:
        with pytest.raises(ProviderTimeoutError) as caught:
            await adapter.get_status("pay_1")
    assert caught.value.code == "collector_timeout"
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("exc", "error_type"),
    [
        (httpx.ConnectError("refused"), ProviderUnavailableError),
        (httpx.ConnectTimeout("slow"), ProviderTimeoutError),
        (httpx.ReadTimeout("slow"), ProviderTimeoutError),
        (httpx.PoolTimeout("busy"), ProviderTimeoutError),
        (httpx.ReadError("reset"), RetryableProviderError),
        (httpx.WriteError("broken"), RetryableProviderError),
        (httpx.RemoteProtocolError("bad"), RetryableProviderError),
        (httpx.ProxyError("proxy"), ProviderUnavailableError),
        (httpx.UnsupportedProtocol("ftp"), ProviderUnavailableError),
        (httpx.DecodingError("gzip"), RetryableProviderError),
        (httpx.InvalidURL("bad url"), NonRetryableProviderError),
        (httpx.StreamConsumed(), RetryableProviderError),
        (ConnectionResetError("reset"), RetryableProviderError),
        (ValueError("surprise"), RetryableProviderError),
        (RuntimeError("surprise"), RetryableProviderError),
        (json.JSONDecodeError("x", "doc", 0), RetryableProviderError),
    ],
)
async def test_nothing_escapes_unmapped(exc: Exception, error_type: type[ProviderError]) -> None:
    async with collector(raising(exc)) as adapter:
        for call in (adapter.create_checkout(checkout_request()), adapter.get_status("pay_1")):
            with pytest.raises(ProviderError) as caught:
                await call
            assert type(caught.value) is error_type
            assert caught.value.__cause__ is exc


async def test_expire_returns_a_terminal_status_else_says_it_cannot() -> None:
    async with collector(answer(200, {"id": "pay_1", "status": "paid"})) as adapter:
        read = await adapter.expire("pay_1")
        assert read.status is PaymentStatus.COMPLETED
    async with collector(answer(200, {"id": "pay_1", "status": "confirming"})) as adapter:
        with pytest.raises(NonRetryableProviderError) as caught:
            await adapter.expire("pay_1")
    assert caught.value.code == "expire_not_supported"


async def test_an_ipn_is_parsed_but_never_trusted() -> None:
    body = json.dumps(
        {
            "id": "pay_1",
            "paymentId": "pay_1",
            "eventId": "evt_9",
            "status": "paid",
            "amount": "140.76",
            "metadata": {"payrouter_session_id": "sess-1", "orderReference": "ORD-1001"},
        }
    ).encode()
    async with collector(answer(500)) as adapter:
        notification = adapter.verify_webhook({"content-type": "application/json"}, body)
        assert notification.trusted is False
        assert notification.status is PaymentStatus.COMPLETED
        assert notification.provider_reference == "pay_1"
        assert notification.session_id == "sess-1"
        assert notification.event_id == "evt_9"
        assert notification.event_type == "payment.paid"

        bare = adapter.verify_webhook({}, b'{"id": "pay_2", "status": "confirming"}')
        assert (bare.event_id, bare.status, bare.session_id) == (
            "pay_2:confirming",
            PaymentStatus.PENDING,
            None,
        )
        odd = adapter.verify_webhook({}, b'{"paymentId": "pay_3", "status": "weird"}')
        assert (odd.status, odd.provider_reference, odd.trusted) == (None, "pay_3", False)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff",
        b"[1, 2]",
        b"[" * 100_000,
        b'{"status": "paid"}',
        b'{"id": 5}',
        b'{"id": ""}',
    ],
)
async def test_a_malformed_ipn_fails_verification(body: bytes) -> None:
    async with collector(answer(500)) as adapter:
        with pytest.raises(WebhookVerificationError):
            adapter.verify_webhook({}, body)
