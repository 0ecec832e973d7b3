"""The adapter kit (providers.testing) run against the adapters payrouter ships, and shown
to fail for adapters that break the contract.

The broken adapters wrap the real Stripe adapter and break one rule each; they are
published under entry-point names of their own for the length of one test, so the kit
loads them exactly as it loads any adapter.
"""

from __future__ import annotations

import importlib.metadata
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

import providers.registry as registry
from providers.base import (
    AdapterContext,
    Capabilities,
    CheckoutCreated,
    CheckoutRequest,
    PaymentStatus,
    ProviderAdapter,
    ProviderStatus,
    SandboxContext,
    WebhookNotification,
)
from providers.errors import NonRetryableProviderError, ProviderError
from providers.stripe.adapter import StripeAdapterFactory
from providers.stripe.webhook import read_notification
from providers.testing import AdapterContract


class TestStripeAdapterKit(AdapterContract):
    adapter = "stripe"
    settings = {"currencies": ["USD", "AUD"], "methods": ["card"]}


class TestCryptoCollectorAdapterKit(AdapterContract):
    adapter = "crypto_collector"
    settings = {"currencies": ["USD", "LKR"], "methods": ["crypto"]}
    # The collector's IPN is not signed: the router re-reads the payment before believing it.
    trusted_notifications = False


# --- the kit must be able to fail ------------------------------------------------------------


class Proxy:
    """The real adapter, unchanged; subclasses break one rule."""

    def __init__(self, inner: ProviderAdapter, context: AdapterContext) -> None:
        self.inner = inner
        self.context = context
        self.name = inner.name
        self.capabilities = inner.capabilities

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        return await self.inner.create_checkout(request)

    async def get_status(self, provider_reference: str) -> ProviderStatus:
        return await self.inner.get_status(provider_reference)

    async def expire(self, provider_reference: str) -> ProviderStatus:
        return await self.inner.expire(provider_reference)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotification:
        return self.inner.verify_webhook(headers, body)

    async def aclose(self) -> None:
        await self.inner.aclose()


class LeaksLibraryErrors(Proxy):
    """Lets the httpx/stripe exception under each ProviderError escape."""

    async def get_status(self, provider_reference: str) -> ProviderStatus:
        try:
            return await self.inner.get_status(provider_reference)
        except ProviderError as exc:
            cause = exc.__cause__
            raise (cause if isinstance(cause, Exception) else RuntimeError("leak")) from None


class IgnoresIdempotency(Proxy):
    async def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        return await self.inner.create_checkout(replace(request, idempotency_key=str(uuid.uuid4())))


class BelievesAnyNotification(Proxy):
    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotification:
        return read_notification(body)  # no signature check at all


class NeverSeesPayments(Proxy):
    async def get_status(self, provider_reference: str) -> ProviderStatus:
        status = await self.inner.get_status(provider_reference)
        return replace(status, status=PaymentStatus.PENDING)


class PutsTheKeyInErrors(Proxy):
    async def get_status(self, provider_reference: str) -> ProviderStatus:
        key = self.context.credentials["api_key"]
        raise NonRetryableProviderError("not_found", f"no such session (key {key})")


class WrappingFactory:
    """The Stripe factory, building ``proxy`` around each adapter it makes."""

    def __init__(
        self, proxy: type[Proxy], capabilities: Callable[[Capabilities], Capabilities] | None = None
    ) -> None:
        self._inner = StripeAdapterFactory()
        self._proxy = proxy
        self._capabilities = capabilities
        self.required_credentials = self._inner.required_credentials
        self.sandbox_credentials = self._inner.sandbox_credentials

    def capabilities(self) -> Capabilities:
        declared = self._inner.capabilities()
        return self._capabilities(declared) if self._capabilities else declared

    def validate_options(self, options: Mapping[str, Any]) -> None:
        self._inner.validate_options(options)

    def create(self, context: AdapterContext) -> Proxy:
        return self._proxy(self._inner.create(context), context)

    def sandbox_app(self, context: SandboxContext) -> Any:
        return self._inner.sandbox_app(context)


def _lowercase_currency(declared: Capabilities) -> Capabilities:
    return replace(declared, currencies=declared.currencies | {"usd"})


BROKEN: dict[str, WrappingFactory] = {
    "kit_plain": WrappingFactory(Proxy),
    "kit_leaky": WrappingFactory(LeaksLibraryErrors),
    "kit_forgetful": WrappingFactory(IgnoresIdempotency),
    "kit_credulous": WrappingFactory(BelievesAnyNotification),
    "kit_blind": WrappingFactory(NeverSeesPayments),
    "kit_indiscreet": WrappingFactory(PutsTheKeyInErrors),
    "kit_lowercase": WrappingFactory(Proxy, _lowercase_currency),
}


class FakeEntryPoint:
    def __init__(self, name: str, factory: WrappingFactory) -> None:
        self.name = name
        self.value = f"tests.providers.test_adapter_kit:{name}"
        self._factory = factory

    def load(self) -> WrappingFactory:
        return self._factory


@pytest.fixture
def broken_adapters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Publish :data:`BROKEN` in the entry-point group the router (and the kit) reads."""
    real = importlib.metadata.entry_points

    def entry_points(*, group: str, name: str) -> Any:
        if group == registry.ENTRY_POINT_GROUP and name in BROKEN:
            return [FakeEntryPoint(name, BROKEN[name])]
        return real(group=group, name=name)

    monkeypatch.setattr(registry, "entry_points", entry_points)
    yield


def contract_for(adapter: str) -> AdapterContract:
    # Built at run time, named without "Test": pytest never collects it as a suite itself.
    cls = type(
        "BrokenContract",
        (AdapterContract,),
        {"adapter": adapter, "settings": {"currencies": ["USD"], "methods": ["card"]}},
    )
    contract: AdapterContract = cls()
    return contract


@pytest.mark.parametrize(
    ("adapter", "check", "complaint"),
    [
        ("kit_leaky", "test_nothing_listening_is_unavailable", "APIConnectionError escape"),
        ("kit_leaky", "test_a_hung_provider_is_a_timeout", "escape"),
        (
            "kit_forgetful",
            "test_the_same_idempotency_key_gives_the_same_checkout",
            "made a second checkout",
        ),
        (
            "kit_credulous",
            "test_a_notification_signed_with_another_secret_is_refused",
            "accepted a notification signed with another secret",
        ),
        ("kit_credulous", "test_a_tampered_notification_is_refused", "accepted a body"),
        ("kit_credulous", "test_a_wrong_signature_is_refused", "accepted"),
        ("kit_credulous", "test_a_notification_without_its_headers_is_refused", "accepted"),
        ("kit_credulous", "test_a_stale_notification_is_refused", "replayed"),
        (
            "kit_blind",
            "test_paying_on_the_sandbox_page_completes_the_checkout",
            "expected COMPLETED",
        ),
        ("kit_indiscreet", "test_an_unknown_reference_is_refused_without_retry", "credentials"),
        ("kit_lowercase", "test_capabilities_are_declared_up_front", "not ISO 4217"),
    ],
)
async def test_the_kit_fails_an_adapter_that_breaks_the_contract(
    broken_adapters: None, adapter: str, check: str, complaint: str
) -> None:
    with pytest.raises(pytest.fail.Exception, match=complaint):
        await getattr(contract_for(adapter), check)()
    # The same check passes on the same adapter unbroken: the wrapping is not the cause.
    await getattr(contract_for("kit_plain"), check)()


async def test_an_adapter_declared_untrusted_must_say_so(broken_adapters: None) -> None:
    contract = contract_for("kit_plain")
    type(contract).trusted_notifications = False
    with pytest.raises(pytest.fail.Exception, match="trusted=True"):
        await contract.test_a_notification_the_sandbox_sent_verifies()


async def test_an_adapter_that_is_not_installed_fails_with_the_routers_message() -> None:
    with pytest.raises(pytest.fail.Exception, match="no adapter 'kit_not_installed'"):
        await contract_for("kit_not_installed").test_capabilities_are_declared_up_front()
