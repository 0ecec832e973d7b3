"""POST /api/v1/routing/simulate: the ranking a session body would get; creates nothing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.api.common import authenticate, read_json, services_of
from router.checkout import rank_request, routing_view
from router.validation import validate_session_request


async def simulate(request: Request) -> Response:
    authenticate(request)
    checkout = validate_session_request(await read_json(request))
    services = services_of(request)
    ranking = rank_request(services.registry, services.settings, checkout)
    selected = ranking.ranked[0].provider if ranking.ranked else None
    routing = routing_view(services.config_version, ranking, selected)
    return Response(routing.model_dump_json(), media_type="application/json")


def routes() -> list[Route]:
    return [Route("/api/v1/routing/simulate", simulate, methods=["POST"])]
