"""Provider -> router: webhooks (verified before believed) and the payer's return."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from router.api.common import read_body, services_of
from router.errors import ApiError, not_found
from router.status import handle_provider_webhook, payer_return


async def provider_webhook(request: Request) -> Response:
    services = services_of(request)
    body = await read_body(request, services.settings.server.max_body_bytes)
    result = await handle_provider_webhook(
        services, request.path_params["provider_name"], request.headers, body
    )
    payload = {"received": True, "duplicate": result.duplicate}
    return Response(json.dumps(payload), media_type="application/json")


async def checkout_return(request: Request) -> Response:
    services = services_of(request)
    session_id = request.path_params["session_id"]
    result = request.query_params.get("result", "success")
    if result not in ("success", "cancel"):
        raise ApiError(400, "invalid_parameter", "result must be success or cancel.")
    if not services.valid_return_token(session_id, result, request.query_params.get("token", "")):
        # Only URLs payrouter handed to the provider work; anything else names no session.
        raise not_found("No such checkout session.")
    location = await payer_return(services, session_id, result)
    return RedirectResponse(location, status_code=303)


def routes() -> list[Route]:
    return [
        Route("/api/v1/webhooks/{provider_name}", provider_webhook, methods=["POST"]),
        Route("/checkout/return/{session_id}", checkout_return, methods=["GET"]),
    ]
