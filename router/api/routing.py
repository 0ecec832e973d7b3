"""POST /api/v1/routing/simulate: the ranking a session body would get; creates nothing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.api.common import authenticate, read_json, services_of
from router.checkout import current_stats, rank_request, request_fingerprint
from router.routing import facts_from_request, routing_view
from router.validation import validate_session_request


async def simulate(request: Request) -> Response:
    authenticate(request)
    payload = await read_json(request)
    checkout = validate_session_request(payload)
    services = services_of(request)
    runtime = services.runtime
    # Volume splits and exploration hash this key: pass the Idempotency-Key you would
    # create the session with to see where that very request would go.
    key = request.headers.get("idempotency-key") or request_fingerprint(payload)
    ranking = rank_request(runtime, current_stats(services), facts_from_request(checkout, key))
    selected = ranking.ranked[0].provider if ranking.ranked else None
    routing = routing_view(runtime.config_version, ranking, selected)
    return Response(routing.model_dump_json(), media_type="application/json")


def routes() -> list[Route]:
    return [Route("/api/v1/routing/simulate", simulate, methods=["POST"])]
