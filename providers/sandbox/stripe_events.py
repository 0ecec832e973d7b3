"""Stripe events: built from a session snapshot, kept, signed and POSTed to the router.

Delivery is awaited by the caller so the outcome of a payer's click is known before the
payer is redirected. A failed delivery is logged (never with a secret or the signature)
and the event id kept in :attr:`SandboxState.undelivered`; real Stripe would retry, the
router heals by reading the session's status.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import stripe

from providers.base import SandboxContext
from providers.sandbox.stripe_objects import event_object, session_object, to_json
from providers.sandbox.stripe_state import SandboxState, SessionRecord, new_id

logger = logging.getLogger(__name__)


def sign_payload(payload: str, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header for ``payload``, as Stripe builds it."""
    header: str = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return header


class EventSender:
    """Creates events for one sandbox and delivers them to ``context.webhook_url``."""

    def __init__(self, context: SandboxContext, state: SandboxState) -> None:
        self._context = context
        self._state = state

    async def emit(self, event_type: str, record: SessionRecord) -> dict[str, Any]:
        """Record a ``event_type`` event about ``record`` (its state now) and deliver it.

        Never raises for a delivery failure: it is logged and remembered as undelivered.
        """
        now = int(self._context.clock().timestamp())
        event = event_object(
            new_id("evt_"), event_type, now, session_object(record, self._context.base_url)
        )
        self._state.events[event["id"]] = event
        delivered = await self._deliver(event, now)
        if delivered:
            event["pending_webhooks"] = 0
        else:
            self._state.undelivered.append(event["id"])
        return event

    async def _deliver(self, event: dict[str, Any], timestamp: int) -> bool:
        payload = to_json(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign_payload(
                payload, self._context.credentials["webhook_secret"], timestamp
            ),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            response = await self._context.http.post(
                self._context.webhook_url, content=payload.encode("utf-8"), headers=headers
            )
        except httpx.HTTPError as exc:
            self._warn(event, type(exc).__name__)
            return False
        if not response.is_success:
            self._warn(event, f"HTTP {response.status_code}")
            return False
        return True

    def _warn(self, event: dict[str, Any], reason: str) -> None:
        logger.warning(
            "stripe sandbox %s: event %s (%s) was not delivered to %s: %s",
            self._context.instance_name,
            event["id"],
            event["type"],
            self._context.webhook_url,
            reason,
        )
