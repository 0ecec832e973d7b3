"""A local service speaking the crypto collector's API (seeds 000-002), for sandbox mode.

API (HMAC-signed as the real one, see :mod:`providers.crypto_collector.signing`):
``POST /v1/sdk/checkout/sessions`` and ``GET /v1/payments/{id}``. Payer pages:
``GET /session/{sessionId}`` (the hosted checkout), ``GET /session/{sessionId}/qr.svg``
and ``POST /session/{sessionId}/outcome`` (form field ``outcome`` = paid | overpaid |
underpaid | failed | cancelled), which notifies the router by IPN and sends the payer
back with ``sessionId`` and ``status`` appended to the merchant's URL.

Fault modes (``settings.sandbox``, read at each request) apply to the API only:
``latency_ms`` delays every answer, ``error`` answers 500, ``timeout`` answers after an
hour. ``refuse`` is done by the router, which points the adapter at a closed port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from providers.base import SandboxContext
from providers.crypto_collector.signing import SignatureError, verify_signature
from providers.sandbox.collector_pages import (
    OUTCOMES,
    checkout_page,
    message_page,
    qr_svg_document,
)
from providers.sandbox.collector_state import CollectorLedger, SandboxPayment
from providers.sandbox.collector_wire import ValidationProblem, decode_body, parse_new_payment

logger = logging.getLogger(__name__)

TIMEOUT_FAULT_SECONDS = 3600
IPN_TIMEOUT_SECONDS = 10.0
_IDEMPOTENCY_KEY_MAX = 255
# Where each outcome sends the payer, and the status it tells them (seeds 000 and 001).
_RETURNS: Mapping[str, tuple[str, str]] = {
    "paid": ("success", "COMPLETED"),
    "overpaid": ("success", "COMPLETED"),
    "underpaid": ("success", "PENDING"),
    "failed": ("cancel", "FAILED"),
    "cancelled": ("cancel", "CANCELLED"),
}


@dataclass(frozen=True)
class IpnFailure:
    """An IPN the router did not take (network error or non-2xx answer)."""

    event_id: str
    payment_id: str
    reason: str


def build_collector_sandbox(context: SandboxContext) -> Starlette:
    """A fresh collector sandbox for one instance, with its own in-memory payments.

    ``app.state.ipn_failures`` lists the IPNs that could not be delivered.
    """
    sandbox = _CollectorSandbox(context)
    app = Starlette(
        routes=[
            Route("/v1/sdk/checkout/sessions", sandbox.create_session, methods=["POST"]),
            Route("/v1/payments/{payment_id}", sandbox.read_payment, methods=["GET"]),
            Route("/session/{session_id}", sandbox.checkout, methods=["GET"]),
            Route("/session/{session_id}/qr.svg", sandbox.qr_code, methods=["GET"]),
            Route("/session/{session_id}/outcome", sandbox.outcome, methods=["POST"]),
        ]
    )
    app.state.ipn_failures = sandbox.ipn_failures
    return app


class _CollectorSandbox:
    """The handlers of one sandbox, over its ledger."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.base_url = context.base_url.rstrip("/")
        self.ledger = CollectorLedger()
        self.ipn_failures: list[IpnFailure] = []

    # --- API -----------------------------------------------------------------------------

    async def create_session(self, request: Request) -> Response:
        """``POST /v1/sdk/checkout/sessions``: 201 with the session, or 400/401/409."""
        body = await request.body()
        refused = await self._api_fault()
        if refused is None:
            refused = self._authenticate(request, body)
        if refused is not None:
            return refused
        try:
            new = parse_new_payment(decode_body(body))
        except ValidationProblem as exc:
            return _error(400, "VALIDATION_ERROR", str(exc))
        key = request.headers.get("idempotency-key")
        if key is not None:
            if not 1 <= len(key) <= _IDEMPOTENCY_KEY_MAX:
                return _error(400, "VALIDATION_ERROR", "Idempotency-Key: 1 to 255 characters")
            known = self.ledger.idempotency.get(key)
            if known is not None:
                previous, payment_id = known
                if previous != new:
                    return _error(
                        409, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key came with another body"
                    )
                return self._created(self.ledger.payments[payment_id], replayed=True)
        if new.order_id is not None and new.order_id in self.ledger.orders:
            return _error(409, "DUPLICATE_ORDER", "orderId must be unique")
        payment = self.ledger.create(new, self.context.clock())
        if key is not None:
            self.ledger.idempotency[key] = (new, payment.id)
        return self._created(payment)

    async def read_payment(self, request: Request) -> Response:
        """``GET /v1/payments/{id}``: the payment (seed 002's shape), or 401/404."""
        refused = await self._api_fault()
        if refused is None:
            refused = self._authenticate(request, await request.body())
        if refused is not None:
            return refused
        payment = self.ledger.payments.get(request.path_params["payment_id"])
        if payment is None:
            return _error(404, "NOT_FOUND", "no such payment")
        payment.refresh(self.context.clock())
        return _json(200, payment.view(self.base_url))

    def _created(self, payment: SandboxPayment, *, replayed: bool = False) -> Response:
        view = payment.view(self.base_url)
        return _json(
            201,
            {key: view[key] for key in ("sessionId", "checkoutUrl", "expiresAt")}
            | {"paymentId": payment.id},
            {"Idempotent-Replayed": "true"} if replayed else None,
        )

    async def _api_fault(self) -> Response | None:
        """Apply the configured latency and fault; a response when the fault answers."""
        sandbox = self.context.settings.sandbox
        if sandbox.latency_ms:
            await self.context.sleep(sandbox.latency_ms / 1000)
        if sandbox.fault == "error":
            return _error(500, "INTERNAL_ERROR", "sandbox fault mode: error")
        if sandbox.fault == "timeout":
            await self.context.sleep(TIMEOUT_FAULT_SECONDS)
        return None

    def _authenticate(self, request: Request, body: bytes) -> Response | None:
        """401 unless the request is signed with this instance's key and secret."""
        try:
            verify_signature(
                request.headers,
                api_key=self.context.credentials.get("api_key", ""),
                secret=self.context.credentials.get("api_secret", ""),
                method=request.method,
                path=_signed_path(request.scope),
                body=body,
                now=self.context.clock(),
            )
        except SignatureError as exc:
            return _error(401, "UNAUTHORIZED", str(exc))
        return None

    # --- payer pages ---------------------------------------------------------------------

    async def checkout(self, request: Request) -> Response:
        """``GET /session/{id}``: the hosted checkout page."""
        payment = self.ledger.by_session(request.path_params["session_id"])
        if payment is None:
            return _page(404, "Checkout not found", "There is no such checkout session.")
        return HTMLResponse(checkout_page(payment, self.base_url, self.context.clock()))

    async def qr_code(self, request: Request) -> Response:
        """``GET /session/{id}/qr.svg``: the deposit address as a QR code."""
        payment = self.ledger.by_session(request.path_params["session_id"])
        if payment is None:
            return _page(404, "Checkout not found", "There is no such checkout session.")
        return Response(qr_svg_document(payment.crypto_address), media_type="image/svg+xml")

    async def outcome(self, request: Request) -> Response:
        """``POST /session/{id}/outcome``: settle, send the IPN, 303 the payer back."""
        form = await request.form()
        outcome = form.get("outcome")
        if not isinstance(outcome, str) or outcome not in OUTCOMES:
            return _page(400, "Unknown outcome", "outcome must be one of " + ", ".join(OUTCOMES))
        payment = self.ledger.by_session(request.path_params["session_id"])
        if payment is None:
            return _page(404, "Checkout not found", "There is no such checkout session.")
        now = self.context.clock()
        if not payment.is_open(now):
            return _page(409, "Checkout closed", f"This payment is {payment.status}.")
        if payment.settle(outcome, now):
            # Awaited before the redirect: the router knows before the payer arrives.
            await self._send_ipn(payment)
        target, status = _RETURNS[outcome]
        url = payment.request.success_url if target == "success" else payment.request.cancel_url
        return RedirectResponse(
            with_query(url, {"sessionId": payment.session_id, "status": status}), status_code=303
        )

    async def _send_ipn(self, payment: SandboxPayment) -> None:
        """POST the payment's details to the router; failures are logged and kept."""
        event_id = f"evt_{secrets.token_hex(12)}"
        body = {**payment.view(self.base_url), "eventId": event_id, "paymentId": payment.id}
        reason: str | None = None
        try:
            async with asyncio.timeout(IPN_TIMEOUT_SECONDS):
                response = await self.context.http.post(
                    self.context.webhook_url,
                    content=_encode(body),
                    headers={"Content-Type": "application/json"},
                )
            if not 200 <= response.status_code < 300:
                reason = f"HTTP {response.status_code}"
        except (TimeoutError, httpx.HTTPError, OSError) as exc:
            reason = type(exc).__name__
        if reason is not None:
            logger.warning(
                "collector sandbox %s: IPN %s for %s not delivered: %s",
                self.context.instance_name,
                event_id,
                payment.id,
                reason,
            )
            self.ipn_failures.append(IpnFailure(event_id, payment.id, reason))


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` set in its query string, other parameters kept.

    An existing query is kept as it is, unless it already holds one of ``params`` (then
    that value is replaced); the fragment stays at the end.
    """
    parts = urlsplit(url)
    existing = parse_qsl(parts.query, keep_blank_values=True)
    if any(name in params for name, _ in existing):
        kept = [(name, value) for name, value in existing if name not in params]
        query = urlencode([*kept, *params.items()])
    else:
        query = "&".join(filter(None, [parts.query, urlencode(list(params.items()))]))
    return urlunsplit(parts._replace(query=query))


def _signed_path(scope: Scope) -> str:
    """The request path relative to where the sandbox is mounted, with its query: what
    the client signed against its API base."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def _encode(payload: Any) -> bytes:
    # Metadata may hold numbers read as Decimal: they go back out as strings, never floats.
    def fallback(value: object) -> str:
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    return json.dumps(payload, separators=(",", ":"), default=fallback).encode("utf-8")


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        _encode(payload), status_code=status, headers=headers, media_type="application/json"
    )


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"error": {"code": code, "message": message}})


def _page(status: int, title: str, message: str) -> Response:
    return HTMLResponse(message_page(title, message), status_code=status)
