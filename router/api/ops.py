"""Operations: /api/health, /metrics, /openapi.json."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from router import __version__
from router.api.common import services_of
from router.openapi import build_openapi
from router.schemas import Health, ProviderHealth
from router.stats import BREAKER_GAUGE

log = logging.getLogger("payrouter.health")
DATABASE_PING_TIMEOUT = 2.0


async def health(request: Request) -> Response:
    services = services_of(request)
    try:
        async with asyncio.timeout(DATABASE_PING_TIMEOUT):
            await services.store.ping()
        database: Literal["ok", "unreachable"] = "ok"
    except Exception as exc:  # any failure to answer means unreachable, whatever the driver
        log.warning("database unreachable: %s", type(exc).__name__)
        database = "unreachable"
    body = Health(
        status="ok" if database == "ok" else "degraded",
        database=database,
        version=__version__,
        uptime=round((services.now() - services.started_at).total_seconds(), 3),
        config_version=services.config_version,
        config_status="invalid" if services.config_errors else "ok",
        config_errors=list(services.config_errors),
        providers={
            instance.name: ProviderHealth(
                enabled=instance.settings.enabled,
                circuit=services.stats.state(instance.name),
            )
            for instance in services.registry.all()
        },
    )
    return Response(
        body.model_dump_json(),
        status_code=200 if database == "ok" else 503,
        media_type="application/json",
    )


async def metrics(request: Request) -> Response:
    services = services_of(request)
    for instance in services.registry.all():
        state = services.stats.state(instance.name)
        services.metrics.circuit.labels(instance.name).set(BREAKER_GAUGE[state])
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def openapi(request: Request) -> Response:
    return JSONResponse(build_openapi(services_of(request).public_url))


def routes() -> list[Route]:
    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
