"""POST /api/v1/auth/token: client credentials for a short-lived bearer token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.api.common import read_json, services_of, validate
from router.errors import unauthorized
from router.schemas import TokenRequest, TokenResponse


async def issue_token(request: Request) -> Response:
    services = services_of(request)
    credentials = validate(TokenRequest, await read_json(request))
    assert services.tokens is not None
    application = await services.tokens.authenticate_client(
        services.store, credentials.client_id, credentials.client_secret
    )
    if application is None:
        raise unauthorized("Unknown client or wrong secret.")
    token = services.tokens.issue(application.id, services.now())
    body = TokenResponse(
        access_token=token, token_type="Bearer", expires_in=services.tokens.ttl_seconds
    )
    return Response(
        body.model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[Route]:
    return [Route("/api/v1/auth/token", issue_token, methods=["POST"])]
