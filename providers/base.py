"""The contract between the router and a provider adapter.

An adapter declares its capabilities up front (so routing never learns at call time that a
provider cannot take a payment), keeps transport apart from wire mapping, and raises only
:mod:`providers.errors`. The router builds one adapter per configured provider *instance*
(two Stripe accounts are two instances of one adapter) through an :class:`AdapterFactory`
published in the entry-point group ``payrouter.providers``.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx
from starlette.types import ASGIApp

if TYPE_CHECKING:  # router.settings imports the scoring config, which imports this module
    from router.settings import ProviderInstanceSettings

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class PaymentStatus(enum.StrEnum):
    """The router's session statuses; every provider status maps to one of these."""

    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        return self is not PaymentStatus.PENDING


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do, declared before any call is made."""

    currencies: frozenset[str]
    methods: frozenset[str]
    # Per-currency bounds in major units; a currency missing here is unbounded.
    min_amount: Mapping[str, Decimal] = field(default_factory=dict)
    max_amount: Mapping[str, Decimal] = field(default_factory=dict)
    # Per currency, the unit every amount must be a whole multiple of (Stripe takes KWD only
    # in steps of 0.010); a currency missing here takes any amount its exponent allows.
    amount_step: Mapping[str, Decimal] = field(default_factory=dict)
    can_expire: bool = True
    has_webhooks: bool = True

    def refusal(
        self, currency: str, method: str, amount: Decimal, parts: Sequence[Decimal] = ()
    ) -> str | None:
        """Why this adapter cannot take the payment, or ``None`` when it can.

        ``parts`` are the amounts the payment is made of (unit prices, shipping, tax): each
        is sent to the provider, so each must fit its ``amount_step`` too.
        """
        if method not in self.methods:
            return f"payment method {method} not supported"
        if currency not in self.currencies:
            return f"currency {currency} not supported"
        low = self.min_amount.get(currency)
        if low is not None and amount < low:
            return f"amount below the minimum of {low} {currency}"
        high = self.max_amount.get(currency)
        if high is not None and amount > high:
            return f"amount above the maximum of {high} {currency}"
        step = self.amount_step.get(currency)
        if step is not None and any(value % step for value in (amount, *parts)):
            return f"amounts must be whole multiples of {step} {currency}"
        return None


@dataclass(frozen=True)
class LineItem:
    name: str
    quantity: int
    unit_price: Decimal
    sku: str | None = None


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Customer:
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """One attempt to create a hosted checkout at a provider.

    ``idempotency_key`` is stable for this attempt: sending the same request again with it
    (after a crash or a timeout) must return the same provider checkout, never a second one.
    ``success_url`` and ``cancel_url`` are the router's own payer-return URLs, not the
    merchant's: the router confirms the status before it sends the payer on.
    """

    session_id: str
    idempotency_key: str
    order_reference: str
    method: str
    currency: str
    amount_total: Decimal
    shipping_amount: Decimal
    tax_amount: Decimal
    items: tuple[LineItem, ...]
    customer: Customer
    success_url: str
    cancel_url: str
    expires_at: datetime
    locale: str | None = None
    shipping_label: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutCreated:
    provider_reference: str
    checkout_url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ProviderStatus:
    """A payment's status as read from the provider, mapped to the router's."""

    provider_reference: str
    status: PaymentStatus
    provider_status: str


@dataclass(frozen=True)
class WebhookNotification:
    """A verified provider notification.

    ``status`` is what the notification says. When ``trusted`` is false (a provider whose
    notifications are not signed), the router re-reads the status with :meth:`get_status`
    before it changes anything.
    """

    event_id: str
    event_type: str
    provider_reference: str | None
    session_id: str | None
    status: PaymentStatus | None
    trusted: bool


@runtime_checkable
class ProviderAdapter(Protocol):
    """One provider instance, ready to take calls."""

    name: str
    capabilities: Capabilities

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        """Create a hosted checkout. Raises :class:`providers.errors.ProviderError`."""
        ...

    async def get_status(self, provider_reference: str) -> ProviderStatus:
        """Read a payment's current status. Raises :class:`providers.errors.ProviderError`."""
        ...

    async def expire(self, provider_reference: str) -> ProviderStatus:
        """Close an open checkout so it can no longer be paid; returns the status after.

        Raises :class:`providers.errors.ProviderError` (non-retryable when the checkout is
        already complete).
        """
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotification:
        """Check a notification's authenticity and parse it.

        Raises :class:`providers.errors.WebhookVerificationError` for anything not proven
        to come from the provider.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class AdapterContext:
    """What the router hands a factory to build one instance."""

    instance_name: str
    settings: ProviderInstanceSettings
    credentials: Mapping[str, str]
    # Where to reach the provider's API: the sandbox in sandbox mode, else the adapter's
    # default (None) unless ``options`` says otherwise.
    api_base: str | None
    http: httpx.AsyncClient
    clock: Clock


@dataclass(frozen=True)
class SandboxContext:
    """What the router hands a factory to build a sandbox for one instance."""

    instance_name: str
    settings: ProviderInstanceSettings
    credentials: Mapping[str, str]
    # The absolute URL the sandbox is served under, e.g. http://127.0.0.1:8000/sandbox/stripe
    base_url: str
    # Where the sandbox sends its notifications (the router's webhook route for the instance).
    webhook_url: str
    http: httpx.AsyncClient
    clock: Clock
    sleep: Sleep


class AdapterFactory(Protocol):
    """What the entry point ``payrouter.providers`` names (a class or an object)."""

    # Logical names of the secrets the adapter needs (``api_key``...). Each instance maps
    # them to environment variables in ``credentials``.
    required_credentials: tuple[str, ...]
    # Well-known values used in sandbox mode when the environment does not set them. They
    # open only the local sandbox, never a real account.
    sandbox_credentials: Mapping[str, str]

    def capabilities(self) -> Capabilities:
        """Everything the adapter could ever support; config narrows it per instance."""
        ...

    def validate_options(self, options: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` naming the key when an instance's ``options`` are wrong."""
        ...

    def create(self, context: AdapterContext) -> ProviderAdapter:
        """Build one instance. Raises ``AdapterConfigError`` when it cannot."""
        ...

    def sandbox_app(self, context: SandboxContext) -> ASGIApp | None:
        """A local service speaking the provider's wire protocol, or None when there is none."""
        ...
