"""The crypto collector's factory: entry point, capabilities, options, and instance set-up."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from providers.base import AdapterContext, SandboxContext
from providers.crypto_collector.adapter import CryptoCollectorAdapterFactory
from providers.errors import AdapterConfigError
from providers.registry import build_registry, load_factory
from router.settings import ProviderInstanceSettings, Settings

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
AUD = {"to": "USD", "rate": "0.65", "as_of": "2026-11-01"}


def instance_settings(**overrides: Any) -> ProviderInstanceSettings:
    data: dict[str, Any] = {
        "adapter": "crypto_collector",
        "currencies": ["USD", "LKR"],
        "methods": ["crypto"],
        **overrides,
    }
    return ProviderInstanceSettings.model_validate(data)


def adapter_context(http: httpx.AsyncClient, settings: ProviderInstanceSettings) -> AdapterContext:
    return AdapterContext(
        instance_name="cc",
        settings=settings,
        credentials={"api_key": "ak", "api_secret": "sk"},
        api_base=None,
        http=http,
        clock=lambda: NOW,
    )


def test_the_entry_point_loads_the_factory() -> None:
    factory = load_factory("crypto_collector", "cc")
    assert isinstance(factory, CryptoCollectorAdapterFactory)
    assert factory.required_credentials == ("api_key", "api_secret")
    assert dict(factory.sandbox_credentials) == {
        "api_key": "ak_test_payrouter_sandbox",
        "api_secret": "sk_test_payrouter_collector_sandbox",
    }


def test_capabilities_are_declared_honestly() -> None:
    capabilities = CryptoCollectorAdapterFactory().capabilities()
    assert capabilities.methods == {"crypto"}
    assert {"USD", "LKR", "AUD", "JPY", "EUR"} <= capabilities.currencies
    assert capabilities.can_expire is False
    assert capabilities.has_webhooks is True
    assert capabilities.min_amount["USD"] == Decimal("1.00")
    assert capabilities.refusal("USD", "crypto", Decimal("0.99")) is not None
    assert capabilities.refusal("USD", "crypto", Decimal("1.00")) is None
    assert capabilities.refusal("LKR", "crypto", Decimal("299.99")) is not None
    assert capabilities.refusal("USD", "card", Decimal("10")) is not None


def test_valid_options_pass() -> None:
    factory = CryptoCollectorAdapterFactory()
    factory.validate_options({})
    factory.validate_options(
        {
            "api_base": "https://collector.example.com/",
            # YAML reads an unquoted 2026-11-01 as a date: that is fine too.
            "conversion": {
                "AUD": AUD,
                "JPY": {"to": "LKR", "rate": "2", "as_of": date(2026, 1, 2)},
            },
        }
    )


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"apibase": "https://x.test"}, "apibase: unknown key"),
        ({"api_base": "ftp://x.test"}, "api_base:"),
        ({"api_base": "collector.test"}, "api_base:"),
        ({"api_base": 5}, "api_base:"),
        ({"conversion": ["AUD"]}, "conversion:"),
        ({"conversion": {"aud": AUD}}, "conversion.aud:"),
        ({"conversion": {"XXX1": AUD}}, "conversion.XXX1:"),
        ({"conversion": {"USD": AUD}}, "conversion.USD:"),
        ({"conversion": {"AUD": "0.65"}}, "conversion.AUD:"),
        ({"conversion": {"AUD": {**AUD, "to": "EUR"}}}, "conversion.AUD.to:"),
        ({"conversion": {"AUD": {**AUD, "rate": 0.65}}}, "conversion.AUD.rate:"),
        ({"conversion": {"AUD": {**AUD, "rate": "0"}}}, "conversion.AUD.rate:"),
        ({"conversion": {"AUD": {**AUD, "rate": "-1"}}}, "conversion.AUD.rate:"),
        ({"conversion": {"AUD": {**AUD, "rate": "1e3"}}}, "conversion.AUD.rate:"),
        ({"conversion": {"AUD": {"to": "USD", "rate": "0.65"}}}, "conversion.AUD.as_of:"),
        ({"conversion": {"AUD": {**AUD, "as_of": "1 Nov"}}}, "conversion.AUD.as_of:"),
        ({"conversion": {"AUD": {**AUD, "as_of": NOW}}}, "conversion.AUD.as_of:"),
        ({"conversion": {"AUD": {**AUD, "fee": "1"}}}, "conversion.AUD.fee: unknown key"),
    ],
)
def test_invalid_options_name_the_key_path(options: dict[str, Any], path: str) -> None:
    with pytest.raises(ValueError) as caught:
        CryptoCollectorAdapterFactory().validate_options(options)
    assert str(caught.value).startswith(path)


async def test_create_refuses_a_currency_the_collector_cannot_take() -> None:
    settings = instance_settings(currencies=["USD", "AUD"])
    async with httpx.AsyncClient() as http:
        with pytest.raises(AdapterConfigError, match=r"^providers\.cc\.options\.conversion\.AUD: "):
            CryptoCollectorAdapterFactory().create(adapter_context(http, settings))


async def test_create_names_the_full_path_of_a_bad_option() -> None:
    settings = instance_settings(options={"conversion": {"AUD": {**AUD, "rate": "x"}}})
    async with httpx.AsyncClient() as http:
        with pytest.raises(
            AdapterConfigError, match=r"^providers\.cc\.options\.conversion\.AUD\.rate"
        ):
            CryptoCollectorAdapterFactory().create(adapter_context(http, settings))


async def test_create_refuses_missing_credentials() -> None:
    async with httpx.AsyncClient() as http:
        context = adapter_context(http, instance_settings())
        context = AdapterContext(**{**context.__dict__, "credentials": {"api_key": "ak"}})
        with pytest.raises(AdapterConfigError, match=r"providers\.cc\.credentials\.api_secret"):
            CryptoCollectorAdapterFactory().create(context)


async def test_a_converted_currency_gets_a_minimum_that_converts_to_the_floor() -> None:
    settings = instance_settings(currencies=["USD", "AUD"], options={"conversion": {"AUD": AUD}})
    async with httpx.AsyncClient() as http:
        adapter = CryptoCollectorAdapterFactory().create(adapter_context(http, settings))
    # 1.00 USD / 0.65 = 1.5384...: rounded up, so 1.54 AUD -> 1.001 -> 1.00 USD.
    assert adapter.capabilities.min_amount["AUD"] == Decimal("1.54")
    assert adapter.capabilities.currencies == {"USD", "LKR", "AUD"}


async def test_the_registry_points_a_sandbox_instance_at_its_sandbox() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "pay_1", "status": "initiated"})

    settings = Settings.model_validate(
        {
            "providers": {
                "cc": {
                    "adapter": "crypto_collector",
                    "currencies": ["USD", "LKR"],
                    "methods": ["crypto"],
                    "options": {"api_base": "https://ignored-in-sandbox.test"},
                }
            }
        }
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        registry = build_registry(
            settings, environ={}, http=http, clock=lambda: NOW, public_url="http://r.test"
        )
        instance = registry.get("cc")
        assert instance is not None
        await instance.adapter.get_status("pay_1")
        await registry.aclose()
    assert str(seen[0].url) == "http://r.test/sandbox/cc/v1/payments/pay_1"
    assert seen[0].headers["X-API-Key"] == "ak_test_payrouter_sandbox"


async def test_the_sandbox_app_is_a_starlette_app() -> None:
    settings = instance_settings()

    async def no_sleep(seconds: float) -> None:
        return None

    async with httpx.AsyncClient() as http:
        app = CryptoCollectorAdapterFactory().sandbox_app(
            SandboxContext(
                instance_name="cc",
                settings=settings,
                credentials={"api_key": "ak", "api_secret": "sk"},
                base_url="http://r.test/sandbox/cc",
                webhook_url="http://r.test/api/v1/webhooks/cc",
                http=http,
                clock=lambda: NOW,
                sleep=no_sleep,
            )
        )
    assert isinstance(app, Starlette)
