"""Fixtures: every test that uses ``router`` runs on SQLite and, when
PAYROUTER_TEST_POSTGRES_URL is set (CI sets it), again on PostgreSQL in a schema of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from asgi_lifespan import LifespanManager

from router.app import create_app
from router.settings import parse_settings
from tests.harness import (
    PUBLIC_URL,
    FakeClock,
    Harness,
    LoopbackTransport,
    RecordingSleep,
    base_config,
)

POSTGRES_ENV = "PAYROUTER_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, str | None]]:
    """(SQLAlchemy URL, schema) of a fresh, empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/payrouter.db", None
        return
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL run skipped: set {POSTGRES_ENV} (CI sets it)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        yield url, schema
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


MakeRouter = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_router(
    database: tuple[str, str | None], clock: FakeClock, sleep: RecordingSleep
) -> AsyncIterator[MakeRouter]:
    """Build and start the service; ``tweak(config)`` may edit the config dict first."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def make(
        tweak: Callable[[dict[str, Any]], None] | None = None,
        environ: dict[str, str] | None = None,
        config_file: Path | None = None,
    ) -> Harness:
        """``config_file``: write the config there and let the service reload it."""
        config = base_config(*database)
        if tweak is not None:
            tweak(config)
        if config_file is not None:
            config_file.write_text(yaml.safe_dump(config))  # noqa: ASYNC240 - test setup
        settings = parse_settings(config, environ={})
        transport = LoopbackTransport("payrouter.test")
        app = create_app(
            settings,
            environ=environ or {},
            clock=clock,
            sleep=sleep,
            http_transport=transport,
            public_url=PUBLIC_URL,
            config_path=config_file,
        )
        transport.app = app
        manager = LifespanManager(app)
        await manager.__aenter__()
        managers.append(manager)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)
        clients.append(client)
        return Harness(app, client, clock, sleep, transport)

    yield make
    for client in clients:
        await client.aclose()
    for manager in reversed(managers):
        await manager.__aexit__(None, None, None)


@pytest.fixture
async def router(make_router: MakeRouter) -> Harness:
    return await make_router()
