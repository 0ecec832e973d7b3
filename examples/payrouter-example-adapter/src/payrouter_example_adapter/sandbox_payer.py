"""The sandbox's payer side: the hosted page, the outcome form, and the signed webhooks.

Faults never apply here: they model ExamplePay's API failing, while a person on the page
should still be able to finish a payment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from html import escape
from typing import TYPE_CHECKING, Final

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from payrouter_example_adapter.signing import signed_headers
from providers.base import SandboxContext
from router.money import format_amount, from_minor_units

if TYPE_CHECKING:
    from payrouter_example_adapter.sandbox import SandboxCheckout

logger = logging.getLogger(__name__)

OUTCOMES: Final = ("paid", "failed", "cancelled")
WEBHOOK_TIMEOUT_SECONDS: Final = 10.0


class WebhookSender:
    """Signs ExamplePay events and POSTs them to the router's webhook URL."""

    def __init__(self, context: SandboxContext) -> None:
        self._context = context
        self.undelivered: list[str] = []

    async def send(self, event_type: str, checkout: SandboxCheckout) -> None:
        """Deliver one event about ``checkout`` (awaited: the router knows before the payer
        is redirected). A failed delivery is logged, never raised."""
        now = int(self._context.clock().timestamp())
        event_id = f"evt_{secrets.token_hex(12)}"
        body = json.dumps(
            {"id": event_id, "type": event_type, "created": now, "data": checkout.view()}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **signed_headers(self._context.credentials["webhook_secret"], now, body),
        }
        reason = None
        try:
            async with asyncio.timeout(WEBHOOK_TIMEOUT_SECONDS):
                response = await self._context.http.post(
                    self._context.webhook_url, content=body, headers=headers
                )
            if not response.is_success:
                reason = f"HTTP {response.status_code}"
        except (TimeoutError, httpx.HTTPError) as exc:
            reason = type(exc).__name__
        if reason is not None:
            logger.warning(
                "example_pay sandbox %s: event %s not delivered: %s",
                self._context.instance_name,
                event_id,
                reason,
            )
            self.undelivered.append(event_id)


class PayerPages:
    """``GET /pay/{id}`` and ``POST /pay/{id}/outcome``."""

    def __init__(
        self,
        context: SandboxContext,
        checkouts: dict[str, SandboxCheckout],
        webhooks: WebhookSender,
    ) -> None:
        self._context = context
        self._checkouts = checkouts
        self._webhooks = webhooks

    def routes(self) -> list[Route]:
        return [
            Route("/pay/{id}", self._page, methods=["GET"]),
            Route("/pay/{id}/outcome", self._outcome, methods=["POST"]),
        ]

    async def _page(self, request: Request) -> Response:
        checkout = self._find(request)
        if checkout is None:
            return _html(404, "Checkout not found", "<p>No such checkout.</p>")
        amount = format_amount(
            from_minor_units(checkout.fields["amount"], checkout.fields["currency"]),
            checkout.fields["currency"],
        )
        summary = (
            f"<p>{escape(self._context.instance_name)} sandbox &middot; order "
            f"{escape(str(checkout.fields['reference']))}</p>"
            f"<p><strong>{escape(checkout.fields['currency'])} {escape(amount)}</strong></p>"
        )
        if checkout.status != "open":
            return _html(
                200,
                "Checkout closed",
                f"{summary}<p>This checkout is {escape(checkout.status)}.</p>",
            )
        action = escape(f"{checkout.url}/outcome")
        buttons = "".join(
            f'<button type="submit" name="outcome" value="{o}">{o.capitalize()}</button>'
            for o in OUTCOMES
        )
        return _html(
            200,
            "Pay with ExamplePay (sandbox)",
            f'{summary}<form method="post" action="{action}">{buttons}</form>',
        )

    async def _outcome(self, request: Request) -> Response:
        """Settle as the payer chose, notify the router, then 303 to where ExamplePay sends
        the payer: success_url after paying, cancel_url otherwise. 404 unknown checkout,
        400 bad outcome, 409 checkout not open."""
        checkout = self._find(request)
        if checkout is None:
            return _html(404, "Checkout not found", "<p>No such checkout.</p>")
        async with request.form() as form:
            outcome = form.get("outcome")
        if outcome not in OUTCOMES:
            return _html(400, "Bad request", "<p>outcome must be paid, failed or cancelled.</p>")
        if checkout.status != "open":
            return _html(
                409,
                "Checkout closed",
                f"<p>This checkout is {escape(checkout.status)}; nothing was changed.</p>",
            )
        if outcome == "cancelled":
            # Cancelling changes nothing at ExamplePay: the router expires the checkout.
            return RedirectResponse(checkout.cancel_url, status_code=303)
        checkout.status = str(outcome)
        await self._webhooks.send(f"checkout.{outcome}", checkout)
        target = checkout.success_url if outcome == "paid" else checkout.cancel_url
        return RedirectResponse(target, status_code=303)

    def _find(self, request: Request) -> SandboxCheckout | None:
        checkout = self._checkouts.get(request.path_params["id"])
        if checkout is not None:
            checkout.expire_if_due(self._context.clock())
        return checkout


def _html(status: int, title: str, body: str) -> HTMLResponse:
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    return HTMLResponse(page, status, {"Cache-Control": "no-store"})
