"""Test harness: the whole service in-process, its outgoing HTTP looped back to itself.

``LoopbackTransport`` sends requests for the service's own host to the app (so the
adapters reach the mounted sandboxes and the sandboxes reach the webhook routes over real
HTTP semantics) and refuses every other host: no test can call Stripe or anything outside.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from router.auth import create_application
from router.context import Services

PUBLIC_URL = "http://payrouter.test"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The contract's error envelope with this status and code; returns ``error``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error


def seed_payload() -> dict[str, Any]:
    """Seed 003's example body as a dict (numbers kept as JSON text would: see seed_bytes)."""
    return json.loads(seed_bytes())


def seed_bytes() -> bytes:
    return (EXAMPLES / "checkout.json").read_bytes()


class FakeClock:
    """A clock tests move by hand; starts near real time so signatures stay plausible."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class RecordingSleep:
    """An injected sleep that remembers what was asked and returns at once, except for a
    wait of a minute or more (a sandbox in fault mode ``timeout``), which never ends: the
    caller's own timeout has to cut it."""

    HANG_FROM_SECONDS = 60.0

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if seconds >= self.HANG_FROM_SECONDS:
            await asyncio.Event().wait()


class MerchantEndpoint:
    """A merchant's webhook receiver: records what arrives, answers the next scripted status."""

    HOST = "merchant.test"
    URL = f"http://{HOST}/hooks/payrouter"

    def __init__(self) -> None:
        self.received: list[httpx.Request] = []
        self.answers: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return httpx.Response(self.answers.pop(0) if self.answers else 204)


class LoopbackTransport(httpx.AsyncBaseTransport):
    def __init__(self, host: str) -> None:
        self.host = host
        self.app: Starlette | None = None
        self.refused: list[str] = []
        # Path prefixes to refuse even on the service's host (a lost notification).
        self.drop_prefixes: list[str] = []
        self.merchant = MerchantEndpoint()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == MerchantEndpoint.HOST:
            await request.aread()
            return self.merchant(request)
        dropped = any(request.url.path.startswith(p) for p in self.drop_prefixes)
        if self.app is None or request.url.host != self.host or dropped:
            self.refused.append(str(request.url))
            raise httpx.ConnectError(f"connection refused: {request.url.host}", request=request)
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)


def base_config(database_url: str, schema: str | None = None) -> dict[str, Any]:
    database: dict[str, Any] = {"url": database_url}
    if schema:
        database["schema_name"] = schema
    return copy.deepcopy(
        {
            "server": {"public_url": PUBLIC_URL},
            # Tests run passes by hand (reconcile_once), with the clock they move.
            "reconciliation": {"enabled": False},
            "notifications": {"enabled": False},
            "database": database,
            "providers": {
                "stripe": {
                    "adapter": "stripe",
                    "mode": "sandbox",
                    "currencies": ["AUD", "USD", "EUR", "JPY", "KWD"],
                    "methods": ["card"],
                    "priority": 92.5,
                    "timeout_seconds": 2,
                },
                "crypto_collector": {
                    "adapter": "crypto_collector",
                    "mode": "sandbox",
                    "currencies": ["USD", "LKR"],
                    "methods": ["crypto"],
                    "priority": 80,
                    "timeout_seconds": 2,
                },
            },
        }
    )


@dataclass
class Merchant:
    application_id: str
    client_id: str
    client_secret: str
    webhook_secret: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Harness:
    app: Starlette
    client: httpx.AsyncClient
    clock: FakeClock
    sleep: RecordingSleep
    transport: LoopbackTransport

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    async def merchant(self, name: str = "shop", webhook_url: str | None = None) -> Merchant:
        """Register an application (what `payrouter apps create` does) and get a token."""
        created = await create_application(self.services.store, name, webhook_url, self.clock())
        response = await self.client.post(
            "/api/v1/auth/token",
            json={"clientId": created.client_id, "clientSecret": created.client_secret},
        )
        assert response.status_code == 200, response.text
        return Merchant(
            created.application_id,
            created.client_id,
            created.client_secret,
            created.webhook_secret,
            response.json()["accessToken"],
        )

    async def reauth(self, merchant: Merchant) -> None:
        """A fresh token (after the clock moved past the old one's expiry)."""
        response = await self.client.post(
            "/api/v1/auth/token",
            json={"clientId": merchant.client_id, "clientSecret": merchant.client_secret},
        )
        merchant.token = response.json()["accessToken"]

    async def create_session(
        self,
        merchant: Merchant,
        body: dict[str, Any] | bytes | None = None,
        key: str = "key-1",
    ) -> httpx.Response:
        content = seed_bytes() if body is None else body
        if isinstance(content, dict):
            content = json.dumps(content).encode()
        return await self.client.post(
            "/api/v1/sessions",
            content=content,
            headers={**merchant.auth, "Idempotency-Key": key, "Content-Type": "application/json"},
        )

    async def pay(self, checkout_url: str, outcome: str) -> httpx.Response:
        """Post the sandbox page's outcome form, as the payer's browser would."""
        return await self.client.post(f"{checkout_url}/outcome", data={"outcome": outcome})
