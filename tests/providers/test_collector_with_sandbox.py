"""The real collector adapter against the real collector sandbox, mounted under a prefix."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from providers.base import (
    AdapterContext,
    CheckoutRequest,
    Customer,
    LineItem,
    PaymentStatus,
    ProviderAdapter,
    SandboxContext,
)
from providers.crypto_collector.adapter import CryptoCollectorAdapterFactory
from providers.errors import NonRetryableProviderError, RetryableProviderError
from router.settings import ProviderInstanceSettings

START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
API_BASE = "http://sandbox.test/sandbox/collector"
WEBHOOK_URL = "http://router.test/api/v1/webhooks/collector"
FACTORY = CryptoCollectorAdapterFactory()


@dataclass
class World:
    adapter: ProviderAdapter
    http: httpx.AsyncClient
    now: datetime = START
    ipns: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@asynccontextmanager
async def world(
    *, credentials: dict[str, str] | None = None, **settings_overrides: Any
) -> AsyncIterator[World]:
    settings = ProviderInstanceSettings.model_validate(
        {
            "adapter": "crypto_collector",
            "currencies": ["USD", "LKR"],
            "methods": ["crypto"],
            **settings_overrides,
        }
    )
    holder: list[World] = []

    async def router_webhook(request: httpx.Request) -> httpx.Response:
        holder[0].ipns.append((dict(request.headers), request.content))
        return httpx.Response(200)

    async def sleep(seconds: float) -> None:
        return None

    async with httpx.AsyncClient(transport=httpx.MockTransport(router_webhook)) as ipn_http:
        sandbox_app = FACTORY.sandbox_app(
            SandboxContext(
                instance_name="collector",
                settings=settings,
                credentials=FACTORY.sandbox_credentials,
                base_url=API_BASE,
                webhook_url=WEBHOOK_URL,
                http=ipn_http,
                clock=lambda: holder[0].now,
                sleep=sleep,
            )
        )
        # ASGITransport passes the full path: mount the sandbox where the router would.
        service = Starlette(routes=[Mount("/sandbox/collector", sandbox_app)])
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://irrelevant") as http:
            adapter = FACTORY.create(
                AdapterContext(
                    instance_name="collector",
                    settings=settings,
                    credentials=credentials or FACTORY.sandbox_credentials,
                    api_base=API_BASE,
                    http=http,
                    clock=lambda: holder[0].now,
                )
            )
            holder.append(World(adapter, http))
            yield holder[0]


def checkout_request(**overrides: Any) -> CheckoutRequest:
    fields: dict[str, Any] = {
        "session_id": "5d2c8f8e-0c1a-4a51-bb0e-3f7f1f7c9d21",
        "idempotency_key": "attempt-5d2c8f8e-1",
        "order_reference": "ORD-1001",
        "method": "crypto",
        "currency": "USD",
        "amount_total": Decimal("140.76"),
        "shipping_amount": Decimal("9.95"),
        "tax_amount": Decimal("11.81"),
        "items": (LineItem("Shoes", 1, Decimal("119.00"), "SKU-1"),),
        "customer": Customer(email="payer@example.com"),
        "success_url": "http://router.test/return/5d2c?to=success",
        "cancel_url": "http://router.test/return/5d2c?to=failure",
        "expires_at": START + timedelta(hours=1),
        **overrides,
    }
    return CheckoutRequest(**fields)


async def test_a_payment_from_checkout_to_ipn_to_confirmed_status() -> None:
    async with world() as w:
        created = await w.adapter.create_checkout(checkout_request())
        assert created.checkout_url.startswith(f"{API_BASE}/session/cs_")
        assert created.expires_at == START + timedelta(minutes=60)
        # A retry of the same attempt (same idempotency key) gets the same payment back.
        retried = await w.adapter.create_checkout(checkout_request())
        assert retried == created

        status = await w.adapter.get_status(created.provider_reference)
        assert (status.status, status.provider_status) == (PaymentStatus.PENDING, "initiated")

        page = await w.http.get(created.checkout_url)
        assert page.status_code == 200 and "140.900760 USDT" in page.text

        w.now = START + timedelta(minutes=4)
        paid = await w.http.post(f"{created.checkout_url}/outcome", data={"outcome": "paid"})
        assert paid.status_code == 303
        assert paid.headers["location"].startswith("http://router.test/return/5d2c?to=success&")

        ((headers, body),) = w.ipns
        assert headers["content-type"] == "application/json"
        notification = w.adapter.verify_webhook(headers, body)
        assert notification.trusted is False
        assert notification.provider_reference == created.provider_reference
        assert notification.session_id == "5d2c8f8e-0c1a-4a51-bb0e-3f7f1f7c9d21"
        assert notification.status is PaymentStatus.COMPLETED

        confirmed = await w.adapter.get_status(created.provider_reference)
        assert confirmed.status is PaymentStatus.COMPLETED
        assert await w.adapter.expire(created.provider_reference) == confirmed


async def test_an_open_payment_cannot_be_expired_but_lapses_by_itself() -> None:
    async with world() as w:
        created = await w.adapter.create_checkout(checkout_request())
        with pytest.raises(NonRetryableProviderError) as caught:
            await w.adapter.expire(created.provider_reference)
        assert caught.value.code == "expire_not_supported"
        w.now = START + timedelta(minutes=61)
        # The clock moved for both sides: the signature is still fresh, the payment is not.
        lapsed = await w.adapter.get_status(created.provider_reference)
    assert lapsed.status is PaymentStatus.EXPIRED


async def test_a_converted_currency_reaches_the_sandbox_in_usd_with_its_rate() -> None:
    options = {"conversion": {"AUD": {"to": "USD", "rate": "0.65", "as_of": "2026-11-01"}}}
    async with world(currencies=["USD", "AUD"], options=options) as w:
        created = await w.adapter.create_checkout(checkout_request(currency="AUD"))
        w.now = START + timedelta(minutes=1)
        await w.http.post(f"{created.checkout_url}/outcome", data={"outcome": "failed"})
        ((_, body),) = w.ipns
        status = await w.adapter.get_status(created.provider_reference)
    ipn = json.loads(body)
    assert (ipn["amount"], ipn["currency"]) == ("91.49", "USD")
    assert ipn["metadata"]["originalAmount"] == "140.76"
    assert ipn["metadata"]["conversionRate"] == "0.65"
    assert status.status is PaymentStatus.FAILED


async def test_wrong_credentials_are_an_unauthorized_error_naming_the_instance() -> None:
    credentials = {"api_key": "ak_test_payrouter_sandbox", "api_secret": "sk_wrong_secret"}
    async with world(credentials=credentials) as w:
        with pytest.raises(NonRetryableProviderError) as caught:
            await w.adapter.create_checkout(checkout_request())
    assert caught.value.code == "collector_unauthorized"
    assert "instance collector" in caught.value.message
    assert "sk_wrong_secret" not in caught.value.message


async def test_a_faulty_sandbox_is_a_retryable_error() -> None:
    async with world(sandbox={"fault": "error"}) as w:
        with pytest.raises(RetryableProviderError) as caught:
            await w.adapter.create_checkout(checkout_request())
    assert caught.value.code == "collector_server_error"
    assert caught.value.http_status == 500


async def test_a_duplicate_order_is_not_retried() -> None:
    async with world() as w:
        await w.adapter.create_checkout(checkout_request())
        with pytest.raises(NonRetryableProviderError) as caught:
            # Same router session, another attempt key: the collector refuses a second order.
            await w.adapter.create_checkout(checkout_request(idempotency_key="attempt-2"))
    assert caught.value.code == "collector_conflict"
