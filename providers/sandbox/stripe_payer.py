"""The payer's side: the hosted checkout page and the form that settles it.

Fault settings never apply here: they model the provider's API failing, while a person
looking at a page should still be able to finish a payment.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from providers.base import SandboxContext
from providers.sandbox.stripe_pages import checkout_page, closed_page, message_page
from providers.sandbox.stripe_sessions import Sessions

OUTCOMES = ("paid", "failed", "cancelled")
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # Everything is inline and escaped; the policy is a second line of defence.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


class PayerPages:
    """``GET /pay/{id}`` and ``POST /pay/{id}/outcome`` for one sandbox."""

    def __init__(self, context: SandboxContext, sessions: Sessions) -> None:
        self._context = context
        self._sessions = sessions

    def routes(self) -> list[Route]:
        return [
            Route("/pay/{session}", self._page, methods=["GET"]),
            Route("/pay/{session}/outcome", self._outcome, methods=["POST"]),
        ]

    async def _page(self, request: Request) -> Response:
        """The checkout form of an open session, or what became of it; 404 for an
        unknown id."""
        record = await self._sessions.get(request.path_params["session"])
        if record is None:
            return _html(404, message_page("Checkout not found", "No such checkout session."))
        merchant = self._context.instance_name
        if not record.is_open:
            return _html(200, closed_page(record, merchant=merchant))
        action = f"{self._context.base_url}/pay/{quote(record.id, safe='')}/outcome"
        return _html(200, checkout_page(record, merchant=merchant, action_url=action))

    async def _outcome(self, request: Request) -> Response:
        """Settle an open session as the payer chose, then 303 to where Stripe sends the
        payer: success_url after paying or a declined (asynchronous) payment, cancel_url
        after cancelling. 404 unknown id, 400 bad outcome, 409 session not open."""
        record = await self._sessions.get(request.path_params["session"])
        if record is None:
            return _html(404, message_page("Checkout not found", "No such checkout session."))
        async with request.form() as form:
            outcome = form.get("outcome")
        if outcome not in OUTCOMES:
            return _html(
                400,
                message_page("Bad request", "The outcome must be paid, failed or cancelled."),
            )
        if not record.is_open:
            return _html(
                409,
                message_page(
                    "Checkout no longer open",
                    f"This checkout session is {record.status}; nothing was changed.",
                ),
            )
        draft = record.draft
        if outcome == "cancelled":
            # Cancelling changes nothing at Stripe: the session stays open until it expires.
            if draft.cancel_url is None:
                return _html(
                    400,
                    message_page("Cannot cancel", "This checkout has no cancel URL to return to."),
                )
            return RedirectResponse(draft.cancel_url, status_code=303)
        if outcome == "paid":
            await self._sessions.pay(record)
        else:
            await self._sessions.fail(record)
        return RedirectResponse(
            draft.success_url.replace(SESSION_ID_PLACEHOLDER, record.id), status_code=303
        )


def _html(status: int, page: str) -> HTMLResponse:
    return HTMLResponse(page, status, _PAGE_HEADERS)
