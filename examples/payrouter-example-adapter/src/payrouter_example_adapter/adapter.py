"""The ExamplePay adapter: one ExamplePay account, through the ProviderAdapter Protocol.

It only orchestrates: :mod:`.wire` maps payrouter's DTOs to ExamplePay's JSON,
:mod:`.transport` does HTTP and the error mapping, :mod:`.signing` checks notifications.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from payrouter_example_adapter import signing
from payrouter_example_adapter.transport import ExamplePayTransport, provider_errors
from payrouter_example_adapter.wire import (
    REFERENCE,
    checkout_created,
    checkout_payload,
    parse_checkout,
    provider_status,
)
from providers.base import (
    Capabilities,
    CheckoutCreated,
    CheckoutRequest,
    Clock,
    PaymentStatus,
    ProviderStatus,
    WebhookNotification,
)
from providers.errors import NonRetryableProviderError, WebhookVerificationError

if TYPE_CHECKING:
    from providers.base import ProviderAdapter

# What each event type announces; the router applies it as it is (trusted notifications).
EVENT_STATUS: Mapping[str, PaymentStatus] = {
    "checkout.paid": PaymentStatus.COMPLETED,
    "checkout.failed": PaymentStatus.FAILED,
    "checkout.expired": PaymentStatus.EXPIRED,
}


class ExamplePayAdapter:
    """One ExamplePay instance. Every call raises only :mod:`providers.errors`."""

    def __init__(
        self,
        *,
        name: str,
        capabilities: Capabilities,
        transport: ExamplePayTransport,
        webhook_secret: str,
        clock: Clock,
    ) -> None:
        self.name = name
        self.capabilities = capabilities
        self._transport = transport
        self._webhook_secret = webhook_secret
        self._clock = clock

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        """``POST /v1/checkouts`` under the request's idempotency key: the same key gives
        the same checkout. Raises :class:`NonRetryableProviderError` for a payment this
        instance cannot take, else what :meth:`ExamplePayTransport.call` raises."""
        refusal = self.capabilities.refusal(request.currency, request.method, request.amount_total)
        if refusal is not None:
            raise NonRetryableProviderError("examplepay_cannot_take_payment", refusal)
        with provider_errors("create_checkout"):
            try:
                payload = checkout_payload(request)
            except ValueError as exc:
                raise NonRetryableProviderError("examplepay_invalid_amount", str(exc)) from exc
            answer = await self._transport.call(
                "POST", "/v1/checkouts", payload, idempotency_key=request.idempotency_key
            )
            return checkout_created(parse_checkout(answer))

    async def get_status(self, provider_reference: str) -> ProviderStatus:
        """``GET /v1/checkouts/{id}``, mapped by :data:`wire.STATUS_TABLE`.

        Raises :class:`NonRetryableProviderError` for a malformed or unknown reference.
        """
        _check_reference(provider_reference)
        with provider_errors("get_status"):
            answer = await self._transport.call("GET", f"/v1/checkouts/{provider_reference}")
            return provider_status(parse_checkout(answer), provider_reference)

    async def expire(self, provider_reference: str) -> ProviderStatus:
        """``POST /v1/checkouts/{id}/expire``: EXPIRED, also for one already expired (a
        retry after a lost answer is harmless). Raises :class:`NonRetryableProviderError`
        ``examplepay_checkout_not_open`` for a paid or failed checkout."""
        _check_reference(provider_reference)
        with provider_errors("expire"):
            answer = await self._transport.call(
                "POST", f"/v1/checkouts/{provider_reference}/expire"
            )
            return provider_status(parse_checkout(answer), provider_reference)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotification:
        """Check the signature against the injected clock, then read the event.

        Raises :class:`WebhookVerificationError` for anything not proven to come from
        ExamplePay, or not shaped like its events.
        """
        signing.verify(headers, body, self._webhook_secret, self._clock())
        return read_event(body)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is the router's, shared by all adapters."""


def read_event(body: bytes) -> WebhookNotification:
    """The notification a verified event body carries.

    ``{"id": "evt_...", "type": "checkout.paid", "created": 1780000000, "data": <checkout>}``.
    Raises :class:`WebhookVerificationError` when it is not shaped like that.
    """
    try:
        event: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise WebhookVerificationError("the event is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("the event is not a JSON object")
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookVerificationError("the event has no id")
    if not isinstance(event_type, str) or event_type not in EVENT_STATUS:
        raise WebhookVerificationError("the event has no known type")
    if not isinstance(data, dict):
        raise WebhookVerificationError("the event has no data object")
    reference = data.get("id")
    if not isinstance(reference, str) or not REFERENCE.match(reference):
        raise WebhookVerificationError("the event names no checkout")
    session_id = data.get("session_id")
    return WebhookNotification(
        event_id=event_id,
        event_type=event_type,
        provider_reference=reference,
        session_id=session_id if isinstance(session_id, str) and session_id else None,
        status=EVENT_STATUS[event_type],
        trusted=True,
    )


def _check_reference(provider_reference: str) -> None:
    # Only ids ExamplePay issues go into a URL path: never "", "../" or a query.
    if not REFERENCE.match(provider_reference):
        raise NonRetryableProviderError(
            "examplepay_invalid_reference", "not an ExamplePay checkout id (chk_...)"
        )


if TYPE_CHECKING:
    # mypy proves the adapter has the Protocol's shape, without any import-time work.
    def _conforms(adapter: ExamplePayAdapter) -> ProviderAdapter:
        return adapter
