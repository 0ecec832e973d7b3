"""Stripe's idempotency for POST requests, over an :class:`IdempotencyStore`.

The same key with the same endpoint and parameters replays the stored answer byte for byte
with ``Idempotent-Replayed: true``; with another endpoint or other parameters it is a 400
``idempotency_error``; while the first request still runs it is a 409
``idempotency_key_in_use``. As on Stripe, a request that fails parameter validation never
started executing, so nothing is stored for it; any other answer (errors included) is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from providers.sandbox.stripe_errors import ParamError, StripeApiError, preview
from providers.sandbox.stripe_objects import API_VERSION
from providers.sandbox.stripe_state import IdempotencyStore, StoredResponse, new_id

MAX_KEY_LENGTH = 255


async def run_idempotent(
    store: IdempotencyStore,
    *,
    key: str,
    endpoint: str,
    params: object,
    now: int,
    execute: Callable[[], Awaitable[dict[str, Any]]],
    respond: Callable[[int, dict[str, Any]], Response],
) -> Response:
    """Run ``execute`` once per ``key``, or replay what it answered the first time.

    ``respond`` renders a status and body into the response to store and send (it must
    set ``Request-Id``). Raises :class:`StripeApiError` for a bad, reused or busy key and
    lets :class:`ParamError` through (after freeing the key).
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise StripeApiError(400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.")
    entry = store.get(key, now)
    if entry is not None:
        return _replay_or_refuse(
            entry.endpoint, entry.params, entry.response, key, endpoint, params
        )
    entry = store.reserve(key, endpoint, params, now)
    try:
        status, body = 200, await execute()
    except ParamError:
        store.release(key)
        raise
    except StripeApiError as exc:
        status, body = exc.status, exc.body()
    except BaseException:
        store.release(key)
        raise
    response = respond(status, body)
    entry.response = StoredResponse(status, bytes(response.body), response.headers["request-id"])
    return response


def _replay_or_refuse(
    first_endpoint: str,
    first_params: object,
    stored: StoredResponse | None,
    key: str,
    endpoint: str,
    params: object,
) -> Response:
    shown = preview(key)
    if first_endpoint != endpoint:
        raise StripeApiError(
            400,
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ({first_endpoint} vs {endpoint}). Try using a key other than "
            f"'{shown}' if you meant to execute a different request.",
            error_type="idempotency_error",
        )
    if first_params != params:
        raise StripeApiError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{shown}' if you meant to "
            "execute a different request.",
            error_type="idempotency_error",
        )
    if stored is None:
        raise StripeApiError(
            409,
            "There is currently another in-progress request using this Idempotent Key "
            "(that probably means you submitted twice, and the other request is still "
            "going through). Please try again later.",
            code="idempotency_key_in_use",
        )
    return Response(
        stored.body,
        stored.status,
        {
            "Request-Id": new_id("req_", 14),
            "Original-Request": stored.request_id,
            "Idempotent-Replayed": "true",
            "Idempotency-Key": key,
            "Stripe-Version": API_VERSION,
            "Cache-Control": "no-cache, no-store",
        },
        media_type="application/json",
    )
