"""The ``/v1`` routes: Stripe's Checkout Session API over form-encoded HTTP.

Every call goes through one wrapper, in Stripe's order: the configured latency, the
configured fault, the API key, the form, then idempotency (POST only) and the handler.
Fault settings are read from the context on every request, never copied at build.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from providers.base import SandboxContext
from providers.sandbox.stripe_errors import (
    ParamError,
    StripeApiError,
    mask_api_key,
    preview,
    resource_missing,
)
from providers.sandbox.stripe_fields import opt_bool, opt_int, opt_str, reject_unknown
from providers.sandbox.stripe_forms import FormDict, FormError, parse_form
from providers.sandbox.stripe_idempotency import run_idempotent
from providers.sandbox.stripe_objects import (
    API_VERSION,
    line_items_list,
    payment_intent_object,
    session_object,
    to_json,
)
from providers.sandbox.stripe_params import validate_create, validate_expand
from providers.sandbox.stripe_sessions import Sessions
from providers.sandbox.stripe_state import SandboxState, SessionRecord, new_id

Handler = Callable[[Request, FormDict], Awaitable[dict[str, Any]]]

MAX_BODY_BYTES = 1024 * 1024
# Starlette routes a function endpoint for GET only unless told otherwise.
_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# fault: timeout holds the request far longer than any client waits.
HANG_SECONDS = 3600
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)
_SERVER_ERROR = (
    "Sorry, something went wrong. We've already been notified of the problem, but if you "
    "need any help, you can reach us at support.stripe.com/contact. (sandbox fault: error)"
)


class StripeApi:
    """Handlers of the sandbox's Stripe API, over one sandbox's state."""

    def __init__(self, context: SandboxContext, state: SandboxState, sessions: Sessions):
        self._context = context
        self._state = state
        self._sessions = sessions

    def routes(self) -> list[Route]:
        """The ``/v1`` routes, ending with Stripe's 404 for any other URL."""
        return [
            Route(
                "/v1/checkout/sessions", self._wrap(self._create, idempotent=True), methods=["POST"]
            ),
            Route("/v1/checkout/sessions/{session}", self._wrap(self._retrieve), methods=["GET"]),
            Route(
                "/v1/checkout/sessions/{session}/expire",
                self._wrap(self._expire, idempotent=True),
                methods=["POST"],
            ),
            Route(
                "/v1/checkout/sessions/{session}/line_items",
                self._wrap(self._line_items),
                methods=["GET"],
            ),
            Route("/v1/payment_intents/{intent}", self._wrap(self._intent), methods=["GET"]),
            Route("/v1/events", self._wrap(self._events), methods=["GET"]),
            Route("/v1/events/{event}", self._wrap(self._event), methods=["GET"]),
            Route("/v1/{rest:path}", self._wrap(self._unrecognized), methods=_ANY_METHOD),
        ]

    def _wrap(
        self, handler: Handler, idempotent: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            request_id = new_id("req_", 14)
            sandbox = self._context.settings.sandbox
            if sandbox.latency_ms:
                await self._context.sleep(sandbox.latency_ms / 1000)
            try:
                await self._apply_fault(sandbox.fault)
                self._authenticate(request)
                form = await _read_form(request)
                key = request.headers.get("idempotency-key")
                if idempotent and key is not None:
                    return await run_idempotent(
                        self._state.idempotency,
                        key=key,
                        endpoint=f"{request.method} {request.url.path}",
                        params=form,
                        now=self._sessions.now(),
                        execute=lambda: handler(request, form),
                        respond=lambda status, body: api_response(status, body, request_id, key),
                    )
                body = await handler(request, form)
            except StripeApiError as exc:
                return api_response(exc.status, exc.body(), request_id)
            return api_response(200, body, request_id)

        return endpoint

    async def _apply_fault(self, fault: str) -> None:
        if fault == "timeout":
            await self._context.sleep(HANG_SECONDS)
            raise StripeApiError(
                500, "The sandbox held this request (fault: timeout).", error_type="api_error"
            )
        if fault == "error":
            raise StripeApiError(500, _SERVER_ERROR, error_type="api_error")

    def _authenticate(self, request: Request) -> None:
        presented = _presented_key(request.headers.get("authorization"))
        if not presented:
            raise StripeApiError(401, _NO_KEY)
        expected = self._context.credentials["api_key"]
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise StripeApiError(401, f"Invalid API Key provided: {mask_api_key(presented)}")

    async def _create(self, request: Request, form: FormDict) -> dict[str, Any]:
        expand = validate_expand(form)
        draft = validate_create(form, self._sessions.now())
        record = self._sessions.create(draft)
        return session_object(record, self._context.base_url, expand)

    async def _retrieve(self, request: Request, form: FormDict) -> dict[str, Any]:
        reject_unknown(form, ("expand",), "")
        expand = validate_expand(form)
        record = await self._session(request)
        return session_object(record, self._context.base_url, expand)

    async def _expire(self, request: Request, form: FormDict) -> dict[str, Any]:
        reject_unknown(form, ("expand",), "")
        expand = validate_expand(form)
        record = await self._session(request)
        if not record.is_open:
            raise StripeApiError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{record.status}".',
            )
        await self._sessions.expire(record)
        return session_object(record, self._context.base_url, expand)

    async def _line_items(self, request: Request, form: FormDict) -> dict[str, Any]:
        reject_unknown(form, ("expand", "limit", "starting_after", "ending_before"), "")
        return line_items_list(await self._session(request))

    async def _intent(self, request: Request, form: FormDict) -> dict[str, Any]:
        reject_unknown(form, ("expand",), "")
        intent_id = request.path_params["intent"]
        record = await self._sessions.get_by_intent(intent_id)
        if record is None:
            raise resource_missing("payment_intent", intent_id, "intent")
        return payment_intent_object(record)

    async def _events(self, request: Request, form: FormDict) -> dict[str, Any]:
        """Newest first, filtered by ``type`` and ``delivery_success``; ``limit`` 1..100."""
        reject_unknown(form, ("limit", "starting_after", "type", "delivery_success"), "")
        limit = opt_int(form, "limit", "", minimum=1) or 10
        if limit > 100:
            raise ParamError("limit", "This value must be less than or equal to 100.")
        wanted_type = opt_str(form, "type", "")
        delivered = opt_bool(form, "delivery_success", "")
        undelivered = set(self._state.undelivered)
        events = [
            event
            for event in reversed(self._state.events.values())
            if (wanted_type is None or event["type"] == wanted_type)
            and (delivered is None or (event["id"] not in undelivered) == delivered)
        ]
        after = opt_str(form, "starting_after", "")
        if after is not None:
            ids = [event["id"] for event in events]
            if after not in ids:
                raise resource_missing("event", after, "starting_after")
            events = events[ids.index(after) + 1 :]
        return {
            "object": "list",
            "data": events[:limit],
            "has_more": len(events) > limit,
            "url": "/v1/events",
        }

    async def _event(self, request: Request, form: FormDict) -> dict[str, Any]:
        reject_unknown(form, (), "")
        event_id = request.path_params["event"]
        event = self._state.events.get(event_id)
        if event is None:
            raise resource_missing("event", event_id, "id")
        return event

    async def _unrecognized(self, request: Request, form: FormDict) -> dict[str, Any]:
        path = "/v1/" + request.path_params["rest"]
        raise StripeApiError(
            404,
            f"Unrecognized request URL ({request.method}: {preview(path)}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    async def _session(self, request: Request) -> SessionRecord:
        session_id = request.path_params["session"]
        record = await self._sessions.get(session_id)
        if record is None:
            raise resource_missing("checkout.session", session_id, "session")
        return record


def api_response(
    status: int, body: dict[str, Any], request_id: str, idempotency_key: str | None = None
) -> Response:
    """A JSON answer with Stripe's headers."""
    headers = {
        "Request-Id": request_id,
        "Stripe-Version": API_VERSION,
        "Cache-Control": "no-cache, no-store",
    }
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
    return Response(to_json(body), status, headers, media_type="application/json")


def _presented_key(header: str | None) -> str | None:
    """The API key of ``Bearer <key>``, or of ``Basic`` auth with the key as user name."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


async def _read_form(request: Request) -> FormDict:
    """The request's parameters: the query of a GET, the form body of anything else.

    Raises :class:`StripeApiError` for a body over 1 MiB or a malformed form.
    """
    if request.method in ("GET", "HEAD", "DELETE"):
        text = request.url.query
    else:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise StripeApiError(413, "Request body too large.")
            chunks.append(chunk)
        text = b"".join(chunks).decode("utf-8", errors="replace")
    try:
        return parse_form(text)
    except FormError as exc:
        if exc.key.startswith("metadata[") or "[metadata][" in exc.key:
            raise ParamError(
                preview(exc.key), "Metadata keys must not contain '[' or ']'."
            ) from exc
        raise ParamError(preview(exc.key), f"{exc.reason}: {preview(exc.key)}") from exc
