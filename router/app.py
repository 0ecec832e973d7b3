"""``create_app(settings)``: the one place that wires the service together.

Nothing is built at import time. Everything the app needs from outside (environment,
clock, outgoing HTTP transport, sleep) can be injected, which is how the tests run the
whole service, sandboxes included, in one process without a network.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import signal
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount

from providers.base import Clock, Sleep
from providers.registry import SANDBOX_PREFIX, build_registry, build_sandboxes
from router.api import notifications, ops, routing, sessions, tokens
from router.auth import SIGNING_KEY_NAME, TokenService, new_signing_key
from router.context import Runtime, Services
from router.db.engine import create_engine, migrate
from router.db.store import Store
from router.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected
from router.metrics import Metrics
from router.notify import deliver_forever
from router.reconcile import reconcile_forever
from router.reload import ConfigReloader
from router.routing import candidates_from
from router.settings import Settings
from router.stats import BreakerPolicy, ProviderStatsCache
from scoring import compile_policy

log = logging.getLogger("payrouter")


def utc_now() -> datetime:
    return datetime.now(UTC)


def config_version(settings: Settings) -> str:
    """A short digest of the effective configuration: equal configs, equal versions."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:12]


def default_public_url(settings: Settings) -> str:
    if settings.server.public_url:
        return settings.server.public_url
    host = settings.server.host
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - not binding
    return f"http://{host}:{settings.server.port}"


def make_runtime(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    http: httpx.AsyncClient,
    clock: Clock,
    public_url: str,
) -> Runtime:
    """Provider instances and the compiled routing for ``settings``.

    Raises :class:`providers.errors.AdapterConfigError` naming a broken instance.
    """
    registry = build_registry(
        settings, environ=environ, http=http, clock=clock, public_url=public_url
    )
    return Runtime(
        settings,
        registry,
        config_version(settings),
        candidates_from(settings, registry),
        compile_policy(settings.routing),
    )


def create_app(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    http_transport: httpx.AsyncBaseTransport | None = None,
    public_url: str | None = None,
    config_path: str | Path | None = None,
) -> Starlette:
    """Build the service for ``settings``.

    Raises :class:`providers.errors.AdapterConfigError` when a provider instance cannot be
    built (unknown adapter, missing secret, capability the adapter lacks): at start, naming
    the instance, never at the first checkout. With ``config_path`` the service reloads
    that file on SIGHUP and when it changes (see :mod:`router.reload`).
    """
    environ = os.environ if environ is None else environ
    public_url = (public_url or default_public_url(settings)).rstrip("/")
    http = httpx.AsyncClient(transport=http_transport, timeout=httpx.Timeout(30.0))
    store = Store(create_engine(settings.database))

    def build_runtime(new: Settings) -> Runtime:
        return make_runtime(new, environ=environ, http=http, clock=clock, public_url=public_url)

    services = Services(
        runtime=build_runtime(settings),
        store=store,
        metrics=Metrics(),
        clock=clock,
        http=http,
        public_url=public_url,
        started_at=clock(),
        stats=ProviderStatsCache(store, clock, breaker_policy(settings)),
    )
    routes: list[BaseRoute] = [
        *tokens.routes(),
        *sessions.routes(),
        *routing.routes(),
        *notifications.routes(),
        *ops.routes(),
    ]
    if settings.server.mount_sandbox:
        sandboxes = build_sandboxes(
            settings,
            environ=environ,
            http=http,
            clock=clock,
            sleep=sleep,
            public_url=public_url,
            router_url=public_url,
        )
        routes += [
            Mount(f"{SANDBOX_PREFIX}/{name}", app=sandbox)  # type: ignore[arg-type]
            for name, sandbox in sandboxes.items()
        ]

    reloader = (
        ConfigReloader(services, Path(config_path), environ, build_runtime)
        if config_path is not None
        else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await migrate(store.engine, settings.database.schema_name)
        key = environ.get(settings.auth.signing_key_env) or await store.get_or_create_key(
            SIGNING_KEY_NAME, new_signing_key(), clock()
        )
        services.tokens = TokenService(key, settings.auth.token_ttl_seconds)
        services.return_key = hmac.new(key.encode(), b"payer-return", hashlib.sha256).digest()
        await services.stats.refresh()
        tasks = [
            asyncio.create_task(_purge_idempotency_forever(services)),
            asyncio.create_task(_refresh_stats_forever(services)),
        ]
        if reloader is not None:
            watch = float(settings.server.config_watch_seconds)
            if watch > 0:
                tasks.append(asyncio.create_task(reloader.watch(watch)))
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                # Not every platform or thread can take signals; the file watch still works.
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reloader.on_signal)
        if settings.reconciliation.enabled:
            tasks.append(asyncio.create_task(reconcile_forever(services)))
        if settings.notifications.enabled:
            tasks.append(asyncio.create_task(deliver_forever(services)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if reloader is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            await services.registry.aclose()
            await http.aclose()
            await store.engine.dispose()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
    app.state.services = services
    app.state.reloader = reloader
    return app


def breaker_policy(settings: Settings) -> BreakerPolicy:
    breaker = settings.routing.circuit_breaker
    return BreakerPolicy(breaker.failure_threshold, float(breaker.cooldown_seconds))


async def _refresh_stats_forever(services: Services) -> None:
    """Re-read routing statistics from the store, so every process learns from all."""
    while True:
        await asyncio.sleep(float(services.settings.routing.stats_refresh_seconds))
        try:
            services.stats.breaker = breaker_policy(services.settings)
            await services.stats.refresh()
        except Exception:
            log.exception("routing statistics refresh failed; keeping the last figures")


async def _purge_idempotency_forever(services: Services) -> None:
    """Delete idempotency keys past their retention, on an interval, for the app's life."""
    interval = services.settings.idempotency.purge_interval_seconds
    while True:
        try:
            purged = await services.store.purge_idempotency(services.now())
            if purged:
                log.info("purged %d expired idempotency keys", purged)
        except Exception:
            log.exception("idempotency purge failed; trying again later")
        # The real sleep on purpose: the injected one paces sandboxes and may not wait.
        await asyncio.sleep(interval)
