"""Helpers for driving the Stripe sandbox over HTTP: a movable clock, a recording sleep,
a recorder for the webhooks it sends, Stripe's bracket form encoding, seed-003 params."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from providers.base import SandboxContext
from providers.sandbox.stripe_sandbox import build_stripe_sandbox
from router.settings import ProviderInstanceSettings, SandboxSettings

API_KEY = "sk_test_sandboxKey0123456789abcdWXYZ"
WEBHOOK_SECRET = "whsec_sandboxSecret0123456789abcdef"
HOST = "http://sandbox.test"
MOUNT = "/sandbox/stripe"
BASE_URL = HOST + MOUNT
WEBHOOK_URL = "http://router.test/api/v1/webhooks/stripe"
START = datetime(2024, 1, 15, 11, 0, tzinfo=UTC)
SUCCESS_URL = "https://router.test/return/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://router.test/return/cancel"
FORM = "application/x-www-form-urlencoded"
DELETE = object()


class FakeClock:
    """A tz-aware UTC clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def unix(self) -> int:
        return int(self.now.timestamp())


class Hung(Exception):
    """Raised by :class:`RecordingSleep` instead of waiting a long time."""


class RecordingSleep:
    """Records every delay asked for and returns at once (or raises :class:`Hung` for a
    delay of at least ``hang_from`` seconds, to stand for a caller's timeout)."""

    def __init__(self, hang_from: float | None = None) -> None:
        self.calls: list[float] = []
        self.hang_from = hang_from

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.hang_from is not None and seconds >= self.hang_from:
            raise Hung(seconds)


@dataclass
class WebhookRecorder:
    """The router's webhook endpoint, as an httpx mock: records requests, answers
    ``status`` or raises ``error``; while ``gate`` is set and not open, it holds each
    request (to catch the sandbox mid-request)."""

    status: int = 200
    error: Exception | None = None
    gate: asyncio.Event | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return httpx.Response(self.status)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]

    @property
    def types(self) -> list[str]:
        return [event["type"] for event in self.events]


def encode(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: ``a[b][0][c]=v``, booleans as ``true``/``false``."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs.extend(encode(value, name))
        elif isinstance(value, list | tuple):
            pairs.extend(encode({str(i): item for i, item in enumerate(value)}, name))
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


def seed_params(now: int) -> dict[str, Any]:
    """Checkout Session params for the seed 003 order: AUD 119.00 headphones, 11.81 tax
    as a second line item, 9.95 express shipping; 140.76 in all."""
    return {
        "mode": "payment",
        "client_reference_id": "ORD-2024-001",
        "customer_email": "jane.smith@example.com",
        "locale": "en",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "expires_at": now + 3600,
        "metadata": {
            "payrouter_session_id": "e4b8c1a2-b088-4e79-99ad-2c3e0fa3f1b9",
            "order_reference": "ORD-2024-001",
        },
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "aud",
                    "unit_amount": 11900,
                    "product_data": {"name": "Wireless Headphones", "metadata": {"sku": "WH-100"}},
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "aud",
                    "unit_amount": 1181,
                    "product_data": {"name": "Tax"},
                },
            },
        ],
        "shipping_options": [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": "Express (aus_post)",
                    "fixed_amount": {"amount": 995, "currency": "aud"},
                }
            }
        ],
    }


def patched(params: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A deep copy of ``params`` with the dotted ``path`` set to ``value`` (or removed,
    for ``DELETE``); numeric parts index lists."""
    result = copy.deepcopy(params)
    node: Any = result
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return result


@dataclass
class Harness:
    """One sandbox mounted at ``/sandbox/stripe`` as the router mounts it, and its fakes."""

    client: httpx.AsyncClient
    app: Starlette
    context: SandboxContext
    clock: FakeClock
    sleep: RecordingSleep
    webhooks: WebhookRecorder

    def auth(self, key: str = API_KEY) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    async def post_form(
        self,
        path: str,
        pairs: list[tuple[str, str]] | str,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        body = pairs if isinstance(pairs, str) else urlencode(pairs)
        return await self.client.post(
            path,
            content=body.encode(),
            headers={"Content-Type": FORM, **self.auth(), **(headers or {})},
        )

    async def create(
        self, params: Mapping[str, Any] | None = None, idempotency_key: str | None = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        chosen = seed_params(self.clock.unix()) if params is None else params
        return await self.post_form("/v1/checkout/sessions", encode(chosen), headers)

    async def create_ok(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = await self.create(params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path, headers=self.auth())

    async def outcome(self, session_id: str, outcome: str) -> httpx.Response:
        return await self.client.post(
            f"{BASE_URL}/pay/{session_id}/outcome",
            content=urlencode({"outcome": outcome}).encode(),
            headers={"Content-Type": FORM},
        )

    def set_sandbox(self, **values: Any) -> None:
        """Change the instance's sandbox settings on the live context, as a reload would;
        the sandbox must read them per request."""
        settings = self.context.settings.model_copy(update={"sandbox": SandboxSettings(**values)})
        object.__setattr__(self.context, "settings", settings)


HarnessFactory = Callable[..., Awaitable[Harness]]


class HarnessPool:
    """Builds harnesses and remembers their clients so they can all be closed."""

    def __init__(self) -> None:
        self._clients: list[httpx.AsyncClient] = []

    async def build(
        self,
        *,
        fault: str = "none",
        latency_ms: int = 0,
        start: datetime = START,
        hang_from: float | None = None,
    ) -> Harness:
        clock = FakeClock(start)
        sleep = RecordingSleep(hang_from)
        webhooks = WebhookRecorder()
        http = httpx.AsyncClient(transport=httpx.MockTransport(webhooks.handle))
        settings = ProviderInstanceSettings(
            adapter="stripe",
            currencies=("AUD", "USD"),
            methods=("card",),
            sandbox=SandboxSettings(fault=fault, latency_ms=latency_ms),
        )
        context = SandboxContext(
            instance_name="stripe",
            settings=settings,
            credentials={"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET},
            base_url=BASE_URL,
            webhook_url=WEBHOOK_URL,
            http=http,
            clock=clock,
            sleep=sleep,
        )
        app = Starlette(routes=[Mount(MOUNT, app=build_stripe_sandbox(context))])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
        self._clients.extend([http, client])
        return Harness(client, app, context, clock, sleep, webhooks)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
