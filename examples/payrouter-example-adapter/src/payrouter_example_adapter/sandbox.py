"""A local ExamplePay for sandbox mode: its JSON API, its hosted page, signed webhooks.

payrouter mounts the app at ``/sandbox/<instance>`` (``context.base_url``). Routes,
relative to that base:

- ``POST /v1/checkouts`` (``Idempotency-Key`` required: the same key and body give the same
  checkout, another body 422), ``GET /v1/checkouts/{id}``, ``POST /v1/checkouts/{id}/expire``
  (409 unless open or already expired): ``Authorization: Bearer <api_key>``, JSON in and
  out, errors as ``{"error": {"code", "message"}}``. ``context.settings.sandbox`` is read
  on every call: ``latency_ms`` delays it, fault ``error`` answers 500, fault ``timeout``
  waits an hour (through ``context.sleep``) first.
- ``GET /pay/{id}``: the hosted checkout page; ``POST /pay/{id}/outcome`` with form field
  ``outcome`` = paid | failed | cancelled (CONTRACT.md "Sandbox providers"): see
  :mod:`.sandbox_payer`.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payrouter_example_adapter.factory import CURRENCIES
from payrouter_example_adapter.sandbox_payer import PayerPages, WebhookSender
from providers.base import SandboxContext

HANG_SECONDS: Final = 3600
_MAX_BODY: Final = 64 * 1024
_FIELDS: Final = frozenset(
    {
        "amount",
        "currency",
        "reference",
        "session_id",
        "success_url",
        "cancel_url",
        "expires_at",
        "customer_email",
    }
)


class ApiError(Exception):
    """An answer other than 2xx, in ExamplePay's error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class SandboxCheckout:
    """One checkout as the sandbox keeps it."""

    id: str
    fields: dict[str, Any]
    url: str
    created: int
    status: str = "open"

    def view(self) -> dict[str, Any]:
        """The checkout object every API call answers."""
        return {
            "id": self.id,
            "status": self.status,
            "amount": self.fields["amount"],
            "currency": self.fields["currency"],
            "reference": self.fields["reference"],
            "session_id": self.fields["session_id"],
            "url": self.url,
            "expires_at": self.fields["expires_at"],
            "created": self.created,
        }

    @property
    def success_url(self) -> str:
        return str(self.fields["success_url"])

    @property
    def cancel_url(self) -> str:
        return str(self.fields["cancel_url"])

    def expire_if_due(self, now: datetime) -> None:
        """An open checkout past its ``expires_at`` reads as expired."""
        if self.status == "open" and now.timestamp() >= self.fields["expires_at"]:
            self.status = "expired"


@dataclass
class SandboxState:
    checkouts: dict[str, SandboxCheckout] = field(default_factory=dict)
    # Idempotency-Key -> (the body it came with, the checkout it created).
    idempotency: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)


def build_sandbox(context: SandboxContext) -> Starlette:
    """One sandbox with its own memory (``app.state.example_pay`` is its
    :class:`SandboxState`). Raises ``KeyError`` when a credential is missing."""
    for secret in ("api_key", "webhook_secret"):
        if not context.credentials.get(secret):
            raise KeyError(f"the ExamplePay sandbox needs credentials[{secret!r}]")
    state = SandboxState()
    webhooks = WebhookSender(context)
    api = _Api(context, state, webhooks)
    payer = PayerPages(context, state.checkouts, webhooks)
    app = Starlette(routes=[*api.routes(), *payer.routes()])
    app.state.example_pay = state
    return app


class _Api:
    def __init__(self, context: SandboxContext, state: SandboxState, webhooks: WebhookSender):
        self._context = context
        self._state = state
        self._webhooks = webhooks

    def routes(self) -> list[Route]:
        return [
            Route("/v1/checkouts", self._wrap(self._create), methods=["POST"]),
            Route("/v1/checkouts/{id}", self._wrap(self._read), methods=["GET"]),
            Route("/v1/checkouts/{id}/expire", self._wrap(self._expire), methods=["POST"]),
        ]

    def _wrap(
        self, handler: Callable[[Request], Awaitable[tuple[int, dict[str, Any]]]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                await self._apply_faults()
                self._authenticate(request)
                status, body = await handler(request)
            except ApiError as exc:
                status, body = exc.status, {"error": {"code": exc.code, "message": exc.message}}
            return Response(json.dumps(body), status, media_type="application/json")

        return endpoint

    async def _apply_faults(self) -> None:
        sandbox = self._context.settings.sandbox
        if sandbox.latency_ms:
            await self._context.sleep(sandbox.latency_ms / 1000)
        if sandbox.fault == "timeout":
            await self._context.sleep(HANG_SECONDS)
        if sandbox.fault in ("error", "timeout"):
            raise ApiError(500, "server_error", f"sandbox fault: {sandbox.fault}")

    def _authenticate(self, request: Request) -> None:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        expected = self._context.credentials["api_key"]
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), expected.encode()
        ):
            raise ApiError(401, "unauthorized", "missing or invalid API key")

    async def _create(self, request: Request) -> tuple[int, dict[str, Any]]:
        key = request.headers.get("idempotency-key", "")
        if not 1 <= len(key) <= 255:
            raise ApiError(400, "invalid_request", "Idempotency-Key: 1 to 255 characters")
        fields = self._validate(await _json_body(request))
        known = self._state.idempotency.get(key)
        if known is not None:
            if known[0] != fields:
                raise ApiError(422, "idempotency_mismatch", "this key came with another body")
            return 200, self._state.checkouts[known[1]].view()
        checkout_id = f"chk_{secrets.token_hex(12)}"
        checkout = SandboxCheckout(
            id=checkout_id,
            fields=fields,
            url=f"{self._context.base_url}/pay/{checkout_id}",
            created=int(self._context.clock().timestamp()),
        )
        self._state.checkouts[checkout_id] = checkout
        self._state.idempotency[key] = (fields, checkout_id)
        return 201, checkout.view()

    async def _read(self, request: Request) -> tuple[int, dict[str, Any]]:
        return 200, self._checkout(request).view()

    async def _expire(self, request: Request) -> tuple[int, dict[str, Any]]:
        checkout = self._checkout(request)
        if checkout.status == "open":
            checkout.status = "expired"
            await self._webhooks.send("checkout.expired", checkout)
        elif checkout.status != "expired":
            raise ApiError(409, "checkout_not_open", f"the checkout is {checkout.status}")
        return 200, checkout.view()

    def _checkout(self, request: Request) -> SandboxCheckout:
        checkout = self._state.checkouts.get(request.path_params["id"])
        if checkout is None:
            raise ApiError(404, "not_found", "no such checkout")
        checkout.expire_if_due(self._context.clock())
        return checkout

    def _validate(self, body: Any) -> dict[str, Any]:
        """The create body's fields, or 400 naming the first bad one."""
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "the body must be a JSON object")
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise ApiError(400, "invalid_request", f"{unknown[0]}: unknown field")
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ApiError(400, "invalid_request", "amount: a positive integer of minor units")
        if body.get("currency") not in CURRENCIES:
            raise ApiError(400, "invalid_request", "currency: not supported")
        for name in ("reference", "session_id"):
            value = body.get(name)
            if not isinstance(value, str) or not 1 <= len(value) <= 200:
                raise ApiError(400, "invalid_request", f"{name}: 1 to 200 characters")
        for name in ("success_url", "cancel_url"):
            value = body.get(name)
            if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
                raise ApiError(400, "invalid_request", f"{name}: an http(s) URL")
        expires_at = body.get("expires_at")
        now = self._context.clock().timestamp()
        if isinstance(expires_at, bool) or not isinstance(expires_at, int) or expires_at <= now:
            raise ApiError(400, "invalid_request", "expires_at: a unix time in the future")
        email = body.get("customer_email")
        if email is not None and not isinstance(email, str):
            raise ApiError(400, "invalid_request", "customer_email: a string or null")
        return dict(body)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise ApiError(400, "invalid_request", "the body is too large")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_request", "the body is not JSON") from exc
