"""The little world the adapter kit runs one adapter in, built the way the router builds it.

:func:`open_world` loads the adapter through its entry point, validates the instance's
options, resolves its credentials (the adapter's sandbox values), builds the
:class:`~providers.base.AdapterContext` and the sandbox exactly as
:mod:`providers.registry` does for the service, and wires one ``httpx.AsyncClient`` whose
transport serves, in memory:

- ``http://payrouter-kit.test/sandbox/<instance>``: the adapter's own sandbox, mounted
  where the router mounts it;
- ``http://payrouter-kit.test/api/v1/webhooks/<instance>``: a stand-in for the router's
  webhook route that records every notification the sandbox sends and answers 200;
- ``http://junk.payrouter-kit.test``: an API that answers one chosen piece of junk;

and refuses every other host with ``httpx.ConnectError`` (nothing listens there), so no
call ever leaves the process. The clock is a :class:`KitClock` that moves only when told;
the sandbox's sleep is a :class:`KitSleep` that returns at once, except that a wait of a
minute or more (a sandbox in fault mode ``timeout``) never ends, so only the adapter's own
timeout can cut it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, cast

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from providers.base import AdapterFactory, ProviderAdapter
from providers.registry import (
    SANDBOX_PREFIX,
    ProviderInstance,
    ProviderRegistry,
    build_registry,
    build_sandboxes,
    load_factory,
    resolve_credentials,
)
from router.settings import ProviderInstanceSettings, parse_settings

PUBLIC_URL: Final = "http://payrouter-kit.test"
JUNK_URL: Final = "http://junk.payrouter-kit.test"
# A fixed instant, so a run does not depend on the day it runs on.
DEFAULT_START: Final = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)
# What the router gives the shared client (router/app.py); the adapter's own timeout is
# what must cut a hung call, long before this.
CLIENT_TIMEOUT_SECONDS: Final = 30.0
_ANY_METHOD: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class KitClock:
    """A tz-aware UTC clock that moves only when :meth:`advance` is called."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class KitSleep:
    """The sandbox's injected sleep: records each wait and returns at once, except that a
    wait of :attr:`HANG_FROM_SECONDS` or more never returns (``hangs`` counts them)."""

    HANG_FROM_SECONDS: Final = 60.0

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.hangs = 0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if seconds >= self.HANG_FROM_SECONDS:
            self.hangs += 1
            await asyncio.Event().wait()


class KitTransport(httpx.AsyncBaseTransport):
    """Serves the kit's hosts from ASGI apps in memory; refuses every other host."""

    def __init__(self) -> None:
        self.hosts: dict[str, Starlette] = {}
        self.refused: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.hosts.get(request.url.host)
        if app is None:
            self.refused.append(str(request.url))
            raise httpx.ConnectError(
                f"connection refused: nothing listens on {request.url.host}", request=request
            )
        return await httpx.ASGITransport(app=app).handle_async_request(request)


@dataclass(frozen=True)
class Notification:
    """One request the sandbox POSTed to the router's webhook URL, as the router gets it
    (Starlette's case-insensitive headers, the raw body)."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class JunkAnswer:
    """What the junk API answers to every request."""

    name: str
    status: int
    body: bytes
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def junk_app(answer: JunkAnswer) -> Starlette:
    """An API that answers ``answer`` to any method on any path."""

    async def endpoint(request: Request) -> Response:
        await request.body()
        headers = dict(answer.headers)
        if answer.content_type is not None:
            headers["content-type"] = answer.content_type
        return Response(answer.body, answer.status, headers)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_ANY_METHOD)])


@dataclass
class AdapterWorld:
    """One adapter instance, its sandbox and what the sandbox sent, for one test."""

    instance_name: str
    settings: ProviderInstanceSettings
    factory: AdapterFactory
    instance: ProviderInstance
    credentials: Mapping[str, str]
    http: httpx.AsyncClient
    transport: KitTransport
    clock: KitClock
    sleep: KitSleep
    notifications: list[Notification] = field(default_factory=list)

    @property
    def adapter(self) -> ProviderAdapter:
        return self.instance.adapter

    @property
    def sandbox_url(self) -> str:
        """Where the router serves this instance's sandbox."""
        return f"{PUBLIC_URL}{SANDBOX_PREFIX}/{self.instance_name}"

    def secrets(self) -> tuple[str, ...]:
        """The credential values in use: none may ever show in an error message."""
        return tuple(value for value in self.credentials.values() if value)

    def return_url(self, session_id: str, result: str) -> str:
        """A payer-return URL shaped like the router's."""
        return f"{PUBLIC_URL}/checkout/return/{session_id}?result={result}"

    async def pay(self, checkout_url: str, outcome: str) -> httpx.Response:
        """Post the hosted page's outcome form (CONTRACT.md "Sandbox providers")."""
        return await self.http.post(f"{checkout_url}/outcome", data={"outcome": outcome})


def instance_config(
    adapter: str,
    settings: Mapping[str, Any],
    *,
    fault: str | None = None,
    timeout_seconds: Decimal | None = None,
    sandbox_url: str | None = None,
    credentials: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One provider instance's config: ``settings`` in sandbox mode, with the overrides."""
    config: dict[str, Any] = {**settings, "adapter": adapter, "mode": "sandbox"}
    sandbox = dict(config.get("sandbox") or {})
    if fault is not None:
        sandbox["fault"] = fault
    if sandbox_url is not None:
        sandbox["url"] = sandbox_url
    config["sandbox"] = sandbox
    if timeout_seconds is not None:
        config["timeout_seconds"] = timeout_seconds
    if credentials is not None:
        config["credentials"] = dict(credentials)
    return config


def forged_credentials(factory: AdapterFactory) -> tuple[dict[str, str], dict[str, str]]:
    """(credentials config, environment) that give every secret another value than the
    adapter's sandbox one: a sandbox built with them signs like a stranger."""
    names: dict[str, str] = {}
    environ: dict[str, str] = {}
    for secret in factory.required_credentials:
        env_name = "PAYROUTER_KIT_FORGED_" + re.sub(r"[^A-Z0-9_]", "_", secret.upper())
        names[secret] = env_name
        # Appended, so a prefix the adapter may check (sk_test_...) stays in place.
        environ[env_name] = f"{factory.sandbox_credentials.get(secret, 'kit')}-forged-by-kit"
    return names, environ


@asynccontextmanager
async def open_world(
    adapter: str,
    settings: Mapping[str, Any],
    *,
    instance_name: str = "kit",
    fault: str | None = None,
    timeout_seconds: Decimal | None = None,
    junk: JunkAnswer | None = None,
    forged: bool = False,
    clock: KitClock | None = None,
) -> AsyncIterator[AdapterWorld]:
    """Build ``adapter`` as the router would for one instance configured by ``settings``.

    ``fault`` sets ``sandbox.fault`` (``refuse`` points the instance at a host where
    nothing listens, as the router does); ``junk`` points the instance's API at the junk
    API instead of its sandbox; ``forged`` gives every credential a value the adapter's
    sandbox values do not match. Raises :class:`providers.errors.AdapterConfigError` as
    the router would at start, and :class:`router.settings.ConfigError` for bad settings.
    """
    factory = load_factory(adapter, instance_name)
    environ: dict[str, str] = {}
    credentials_config: dict[str, str] | None = None
    if forged:
        credentials_config, environ = forged_credentials(factory)
    config = instance_config(
        adapter,
        settings,
        fault=fault,
        timeout_seconds=timeout_seconds,
        sandbox_url=f"{JUNK_URL}{SANDBOX_PREFIX}/{instance_name}" if junk else None,
        credentials=credentials_config,
    )
    full = parse_settings({"providers": {instance_name: config}}, environ={})
    clock = clock or KitClock()
    sleep = KitSleep()
    transport = KitTransport()
    notifications: list[Notification] = []
    async with httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(CLIENT_TIMEOUT_SECONDS)
    ) as http:
        registry: ProviderRegistry = build_registry(
            full, environ=environ, http=http, clock=clock, public_url=PUBLIC_URL
        )
        try:
            sandboxes = build_sandboxes(
                full,
                environ=environ,
                http=http,
                clock=clock,
                sleep=sleep,
                public_url=PUBLIC_URL,
                router_url=PUBLIC_URL,
            )
            sandbox = sandboxes.get(instance_name)
            if sandbox is None:
                raise AssertionError(
                    f"adapter {adapter!r} has no sandbox (its factory's sandbox_app returned "
                    "None): the kit drives every adapter through its own sandbox"
                )

            async def record(request: Request) -> Response:
                notifications.append(Notification(request.headers, await request.body()))
                return JSONResponse({"received": True})

            transport.hosts[PUBLIC_URL.removeprefix("http://")] = Starlette(
                routes=[
                    Route(f"/api/v1/webhooks/{instance_name}", record, methods=["POST"]),
                    Mount(f"{SANDBOX_PREFIX}/{instance_name}", app=cast(ASGIApp, sandbox)),
                ]
            )
            if junk is not None:
                transport.hosts[JUNK_URL.removeprefix("http://")] = junk_app(junk)
            instance = registry.get(instance_name)
            assert instance is not None
            instance_settings = full.providers[instance_name]
            yield AdapterWorld(
                instance_name=instance_name,
                settings=instance_settings,
                factory=factory,
                instance=instance,
                # The values the registry resolved: none of them may ever leak.
                credentials=resolve_credentials(instance_name, instance_settings, factory, environ),
                http=http,
                transport=transport,
                clock=clock,
                sleep=sleep,
                notifications=notifications,
            )
        finally:
            await registry.aclose()
