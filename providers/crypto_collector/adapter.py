"""The crypto collector adapter (seeds 000-002) and its factory, the entry point
``crypto_collector`` in group ``payrouter.providers``.

The collector prices payments in USD or LKR and collects USDT on chain; it has no
endpoint to expire a payment (it expires by itself after 60 minutes), and its IPN is not
signed, so notifications are only hints that make the router re-read the payment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from starlette.types import ASGIApp

from providers.base import (
    AdapterContext,
    Capabilities,
    CheckoutCreated,
    CheckoutRequest,
    ProviderStatus,
    SandboxContext,
    WebhookNotification,
)
from providers.crypto_collector.options import (
    NATIVE_CURRENCIES,
    NATIVE_MINIMUMS,
    CollectorOptions,
    Conversion,
    parse_options,
)
from providers.crypto_collector.transformers import (
    ShapeError,
    charge_for,
    checkout_payload,
    encode_json,
    parse_created,
    parse_ipn,
    parse_status,
)
from providers.crypto_collector.transport import CollectorTransport, bad_response
from providers.errors import AdapterConfigError, NonRetryableProviderError
from router.money import CURRENCIES, fits_currency

# The collector's public API (seed 002); an instance's options.api_base overrides it.
DEFAULT_API_BASE = "https://olp-api.nipuntheekshana.com"
CREATE_SESSION_PATH = "/v1/sdk/checkout/sessions"
PAYMENT_PATH = "/v1/payments/{id}"
METHODS = frozenset({"crypto"})
# Payment ids go into a signed URL path: only characters that need no escaping.
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class CryptoCollectorAdapter:
    """One collector account. Build it with :meth:`CryptoCollectorAdapterFactory.create`."""

    def __init__(
        self,
        name: str,
        transport: CollectorTransport,
        conversions: Mapping[str, Conversion],
    ) -> None:
        self.name = name
        self._transport = transport
        self._conversions = dict(conversions)
        minimums = dict(NATIVE_MINIMUMS)
        minimums.update({code: conv.minimum() for code, conv in conversions.items()})
        self.capabilities = Capabilities(
            currencies=NATIVE_CURRENCIES | frozenset(conversions),
            methods=METHODS,
            min_amount=minimums,
            can_expire=False,
            has_webhooks=True,
        )

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        """Create a collector checkout session; ``provider_reference`` is its paymentId.

        Raises :class:`NonRetryableProviderError` for a payment this instance cannot take
        (method, currency without a conversion, amount under the collector's minimum),
        else whatever :meth:`CollectorTransport.call` raises.
        """
        if request.method not in METHODS:
            raise NonRetryableProviderError(
                "method_not_supported", f"the crypto collector takes no {request.method} payments"
            )
        conversion = None
        if request.currency not in NATIVE_CURRENCIES:
            conversion = self._conversions.get(request.currency)
            if conversion is None:
                raise NonRetryableProviderError(
                    "currency_not_supported",
                    f"instance {self.name} has no conversion for {request.currency}",
                )
        if not fits_currency(request.amount_total, request.currency):
            raise NonRetryableProviderError(
                "amount_invalid", f"the amount has more decimals than {request.currency} allows"
            )
        charge = charge_for(request, conversion)
        minimum = NATIVE_MINIMUMS[charge.currency]
        if charge.amount < minimum:
            raise NonRetryableProviderError(
                "amount_too_small",
                f"the crypto collector takes at least {minimum} {charge.currency} "
                f"(this payment is {charge.amount} {charge.currency})",
            )
        # Serialized once: these exact bytes are signed and sent.
        body = encode_json(checkout_payload(request, charge))
        payload = await self._transport.call(
            "POST", CREATE_SESSION_PATH, body, {"Idempotency-Key": request.idempotency_key}
        )
        try:
            return parse_created(payload)
        except ShapeError as exc:
            raise bad_response(self.name, str(exc)) from exc

    async def get_status(self, provider_reference: str) -> ProviderStatus:
        """Read a payment with an authenticated ``GET /v1/payments/{id}``.

        Raises :class:`NonRetryableProviderError` for a malformed reference or an unknown
        payment, else whatever :meth:`CollectorTransport.call` raises.
        """
        if not _REFERENCE.match(provider_reference):
            raise NonRetryableProviderError(
                "collector_bad_reference", "not a crypto collector payment id"
            )
        payload = await self._transport.call("GET", PAYMENT_PATH.format(id=provider_reference))
        try:
            return parse_status(payload, provider_reference)
        except ShapeError as exc:
            raise bad_response(self.name, str(exc)) from exc

    async def expire(self, provider_reference: str) -> ProviderStatus:
        """The collector cannot expire a payment on request (it lapses after 60 minutes).

        Returns the payment's status when it is already terminal; otherwise raises
        :class:`NonRetryableProviderError` ``expire_not_supported``.
        """
        status = await self.get_status(provider_reference)
        if status.status.is_terminal:
            return status
        raise NonRetryableProviderError(
            "expire_not_supported",
            "the crypto collector has no way to expire a payment; it lapses by itself "
            "60 minutes after creation",
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotification:
        """Parse an IPN as an untrusted claim (``trusted=False``): it carries no signature.

        Raises :class:`providers.errors.WebhookVerificationError` when it is malformed.
        """
        return parse_ipn(body)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is the router's, shared by all adapters."""


class CryptoCollectorAdapterFactory:
    """Builds collector adapters and sandboxes (the ``AdapterFactory`` protocol)."""

    required_credentials: tuple[str, ...] = ("api_key", "api_secret")
    # Open only the local sandbox, never a real collector account.
    sandbox_credentials: Mapping[str, str] = MappingProxyType(
        {
            "api_key": "ak_test_payrouter_sandbox",
            "api_secret": "sk_test_payrouter_collector_sandbox",
        }
    )

    def capabilities(self) -> Capabilities:
        """USD and LKR natively, and any ISO currency an instance gives a conversion for."""
        return Capabilities(
            currencies=CURRENCIES,
            methods=METHODS,
            min_amount=dict(NATIVE_MINIMUMS),
            can_expire=False,
            has_webhooks=True,
        )

    def validate_options(self, options: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` naming the key path (``conversion.AUD.rate``) when wrong."""
        parse_options(options)

    def create(self, context: AdapterContext) -> CryptoCollectorAdapter:
        """Build one instance.

        Raises :class:`AdapterConfigError` naming the key when the options are invalid, a
        configured currency is neither USD, LKR nor converted, or a secret is missing.
        """
        name = context.instance_name
        options = _options_of(context)
        for currency in context.settings.currencies:
            if currency not in NATIVE_CURRENCIES and currency not in options.conversions:
                raise AdapterConfigError(
                    f"providers.{name}.options.conversion.{currency}: the crypto collector "
                    f"takes only USD and LKR; give a conversion for {currency} "
                    f"(to, rate, as_of) or remove it from providers.{name}.currencies"
                )
        for secret in self.required_credentials:
            if not context.credentials.get(secret):
                raise AdapterConfigError(f"providers.{name}.credentials.{secret}: not set")
        transport = CollectorTransport(
            instance_name=name,
            api_base=(context.api_base or options.api_base or DEFAULT_API_BASE).rstrip("/"),
            api_key=context.credentials["api_key"],
            api_secret=context.credentials["api_secret"],
            timeout=float(context.settings.timeout_seconds),
            http=context.http,
            clock=context.clock,
        )
        return CryptoCollectorAdapter(name, transport, options.conversions)

    def sandbox_app(self, context: SandboxContext) -> ASGIApp:
        """The local collector sandbox for one instance."""
        # Imported here: the sandbox (and its page rendering) is only needed in sandbox mode.
        from providers.sandbox.collector_sandbox import build_collector_sandbox

        return build_collector_sandbox(context)


def _options_of(context: AdapterContext) -> CollectorOptions:
    try:
        return parse_options(context.settings.options)
    except ValueError as exc:
        raise AdapterConfigError(f"providers.{context.instance_name}.options.{exc}") from exc
