"""The Stripe adapter factory (entry point ``stripe``) and the adapter it builds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from starlette.types import ASGIApp

from providers.base import (
    AdapterContext,
    Capabilities,
    CheckoutCreated,
    CheckoutRequest,
    Clock,
    PaymentStatus,
    ProviderStatus,
    SandboxContext,
    WebhookNotification,
)
from providers.errors import AdapterConfigError, NonRetryableProviderError, ProviderError
from providers.stripe.currency import (
    CARD_CURRENCIES,
    MAXIMUM_CHARGE,
    MINIMUM_CHARGE,
    THREE_DECIMAL,
)
from providers.stripe.errors import ErrorBoundary
from providers.stripe.transformers import build_session_params, checkout_created, session_status
from providers.stripe.transport import StripeTransport
from providers.stripe.webhook import verify_webhook

if TYPE_CHECKING:
    from providers.base import AdapterFactory, ProviderAdapter

API_BASE_OPTION: Final = "api_base"


class StripeAdapter:
    """One Stripe account (instance): hosted Checkout Sessions, signed webhooks.

    Every call raises only :mod:`providers.errors`; see :mod:`providers.stripe.errors`
    for which Stripe failures are retryable.
    """

    def __init__(
        self,
        *,
        name: str,
        capabilities: Capabilities,
        transport: StripeTransport,
        webhook_secret: str,
        clock: Clock,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.capabilities = capabilities
        self._transport = transport
        self._webhook_secret = webhook_secret
        self._clock = clock
        self._secrets = secrets

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        """Create a Checkout Session under ``request.idempotency_key``.

        Raises :class:`NonRetryableProviderError` when Stripe cannot take the request (or
        refuses it), a retryable error for timeouts, network failures, 409, 429 and 5xx.
        """
        with ErrorBoundary("create_checkout", self._secrets):
            params = build_session_params(request, self._clock())
            session = await self._transport.create_session(params, request.idempotency_key)
            # Without Stripe's own answer, the expiry sent (clamped into Stripe's window).
            sent_expiry = datetime.fromtimestamp(params["expires_at"], UTC)
            return checkout_created(session, sent_expiry)

    async def get_status(self, provider_reference: str) -> ProviderStatus:
        """Read the session (payment intent expanded) and map it. Raises ProviderError."""
        with ErrorBoundary("get_status", self._secrets):
            _check_reference(provider_reference)
            session = await self._transport.retrieve_session(provider_reference)
            return session_status(session, provider_reference)

    async def expire(self, provider_reference: str) -> ProviderStatus:
        """Expire an open session and return its status.

        Expiring a session that is already expired returns EXPIRED (so a retry after a
        lost answer is harmless). A session that is complete cannot be expired:
        :class:`NonRetryableProviderError` ``stripe_checkout_not_open``.
        """
        with ErrorBoundary("expire", self._secrets):
            _check_reference(provider_reference)
            try:
                session = await self._transport.expire_session(provider_reference)
            except NonRetryableProviderError as refused:
                if refused.http_status != 400:
                    raise
                # Stripe answers 400 for a session that is no longer open: find out why.
                current = await self._read_after_refusal(provider_reference, refused)
                status = session_status(current, provider_reference)
                if status.status is PaymentStatus.EXPIRED:
                    return status
                if current.get("status") == "open":
                    raise
                raise NonRetryableProviderError(
                    "stripe_checkout_not_open",
                    f"Stripe checkout session {provider_reference} is {status.provider_status}"
                    " and can no longer be expired",
                    http_status=400,
                ) from refused
            return session_status(session, provider_reference)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotification:
        """Verify ``Stripe-Signature`` against the injected clock and read the event.

        Raises :class:`providers.errors.WebhookVerificationError`.
        """
        return verify_webhook(headers, body, self._webhook_secret, self._clock())

    async def aclose(self) -> None:
        """Nothing to release: connections belong to the router's shared httpx client."""

    async def _read_after_refusal(
        self, provider_reference: str, refused: ProviderError
    ) -> Mapping[str, Any]:
        try:
            return await self._transport.retrieve_session(provider_reference)
        except ProviderError:
            # The refusal is what the caller asked about; the failed read adds nothing.
            raise refused from None


def _check_reference(provider_reference: str) -> None:
    # An empty id would turn GET /v1/checkout/sessions/{id} into the list endpoint.
    if not provider_reference or not provider_reference.strip():
        raise NonRetryableProviderError(
            "stripe_invalid_reference", "a Stripe checkout session id is required"
        )


class StripeAdapterFactory:
    """The entry point ``payrouter.providers:stripe``: builds :class:`StripeAdapter` s."""

    required_credentials: tuple[str, ...] = ("api_key", "webhook_secret")
    # Open only the local sandbox, which accepts exactly these.
    sandbox_credentials: Mapping[str, str] = MappingProxyType(
        {"api_key": "sk_test_payrouter_sandbox", "webhook_secret": "whsec_payrouter_sandbox"}
    )

    def capabilities(self) -> Capabilities:
        """Cards in every currency Stripe presents cards in, with Stripe's minimum charges."""
        return Capabilities(
            currencies=CARD_CURRENCIES,
            methods=frozenset({"card"}),
            min_amount=MINIMUM_CHARGE,
            max_amount=MAXIMUM_CHARGE,
            # Stripe takes three-decimal currencies in minor units ending in 0.
            amount_step={code: Decimal("0.010") for code in THREE_DECIMAL},
            can_expire=True,
            has_webhooks=True,
        )

    def validate_options(self, options: Mapping[str, Any]) -> None:
        """Accept only ``api_base``, an http(s) URL. Raises ``ValueError`` naming the key."""
        for key, value in options.items():
            if key != API_BASE_OPTION:
                raise ValueError(f"{key}: unknown option; the stripe adapter takes only api_base")
            if not _is_http_url(value):
                raise ValueError(
                    f"{key}: must be an http(s) URL without query or fragment, "
                    "such as https://api.stripe.com"
                )

    def create(self, context: AdapterContext) -> StripeAdapter:
        """Build the instance ``context`` describes.

        The API base is the router's (the sandbox in sandbox mode), else ``options.api_base``,
        else Stripe's. Raises :class:`AdapterConfigError` for bad options or a missing secret.
        """
        try:
            self.validate_options(context.settings.options)
        except ValueError as exc:
            raise AdapterConfigError(f"providers.{context.instance_name}.options.{exc}") from exc
        for secret in self.required_credentials:
            if not context.credentials.get(secret):
                raise AdapterConfigError(
                    f"providers.{context.instance_name}.credentials.{secret}: missing"
                )
        api_key = context.credentials["api_key"]
        webhook_secret = context.credentials["webhook_secret"]
        option_base = context.settings.options.get(API_BASE_OPTION)
        api_base = context.api_base or (option_base if isinstance(option_base, str) else None)
        transport = StripeTransport(
            api_key=api_key,
            api_base=api_base,
            http=context.http,
            timeout_seconds=float(context.settings.timeout_seconds),
        )
        return StripeAdapter(
            name=context.instance_name,
            capabilities=self.capabilities(),
            transport=transport,
            webhook_secret=webhook_secret,
            clock=context.clock,
            secrets=(api_key, webhook_secret),
        )

    def sandbox_app(self, context: SandboxContext) -> ASGIApp | None:
        """The local Stripe-compatible sandbox (imported only when a sandbox is wanted)."""
        from providers.sandbox.stripe_sandbox import build_stripe_sandbox

        app: ASGIApp = build_stripe_sandbox(context)
        return app


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
    )


if TYPE_CHECKING:
    # mypy proves the shapes the registry relies on, without doing anything at import time.
    def _conforms(factory: StripeAdapterFactory, adapter: StripeAdapter) -> None:
        _factory: AdapterFactory = factory
        _adapter: ProviderAdapter = adapter
