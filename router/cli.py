"""The ``payrouter`` command line: serve, apps create, config check, simulate, sandbox, db."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from providers.errors import AdapterConfigError
from providers.registry import build_registry
from router.api.common import parse_json
from router.app import create_app, default_public_url, make_runtime, utc_now
from router.auth import create_application
from router.checkout import rank_request, request_fingerprint
from router.context import Runtime
from router.db.engine import create_engine, migrate
from router.db.store import Store
from router.errors import ApiError
from router.routing import facts_from_request, routing_view
from router.settings import ConfigError, Settings, load_settings
from router.stats import BreakerPolicy, ProviderStatsCache
from router.validation import validate_session_request
from router.whatif import replay
from scoring.model import ProviderStats

EXIT_PROBLEM = 2


def _load(path: str) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        # The problem list is the command's answer: stdout, one "path: message" per line.
        for line in exc.lines():
            print(line)
        raise SystemExit(EXIT_PROBLEM) from exc


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(EXIT_PROBLEM)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _load(args.config)
    server = settings.server.model_copy(
        update={k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    )
    settings = settings.model_copy(update={"server": server})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The stripe package logs request bodies (customer emails) at DEBUG and INFO.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    try:
        app = create_app(settings, config_path=args.config)
    except AdapterConfigError as exc:
        _fail(str(exc))
    uvicorn.run(
        app,
        host=server.host,
        port=server.port,
        log_level="info",
        proxy_headers=False,
        # A request stuck on a hanging provider must not hold a shutdown forever.
        timeout_graceful_shutdown=10,
    )


async def _with_store(settings: Settings) -> Store:
    store = Store(create_engine(settings.database))
    await migrate(store.engine, settings.database.schema_name)
    return store


def cmd_apps_create(args: argparse.Namespace) -> None:
    settings = _load(args.config)
    if args.webhook_url is not None and not args.webhook_url.startswith(("http://", "https://")):
        _fail("--webhook-url: must be an absolute http(s) URL")
    if not 1 <= len(args.name) <= 200:
        _fail("NAME: must be 1 to 200 characters")

    async def run() -> dict[str, str]:
        store = await _with_store(settings)
        try:
            created = await create_application(store, args.name, args.webhook_url, utc_now())
        finally:
            await store.engine.dispose()
        return {
            "applicationId": created.application_id,
            "clientId": created.client_id,
            "clientSecret": created.client_secret,
            "webhookSecret": created.webhook_secret,
        }

    print(json.dumps(asyncio.run(run())))


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    settings = _load(args.config)

    async def run() -> None:
        store = await _with_store(settings)
        await store.engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")


def _registry_problems(settings: Settings) -> list[str]:
    async def run() -> list[str]:
        async with httpx.AsyncClient() as http:
            try:
                registry = build_registry(
                    settings,
                    environ=os.environ,
                    http=http,
                    clock=utc_now,
                    public_url=default_public_url(settings),
                )
            except AdapterConfigError as exc:
                return [str(exc)]
            await registry.aclose()
            return []

    return asyncio.run(run())


def cmd_config_check(args: argparse.Namespace) -> None:
    settings = _load(args.file)
    problems = _registry_problems(settings)
    if problems:
        for line in problems:
            print(line)
        raise SystemExit(EXIT_PROBLEM)
    enabled = [name for name, p in settings.providers.items() if p.enabled]
    print(
        f"{args.file}: ok: {len(settings.providers)} provider(s) "
        f"({len(enabled)} enabled: {', '.join(enabled) or 'none'}), "
        f"database {settings.database.url.split(':', 1)[0]}"
    )


async def _learned_stats(settings: Settings) -> ProviderStats:
    """The figures the running service would use, read from its database."""
    store = Store(create_engine(settings.database))
    try:
        await migrate(store.engine, settings.database.schema_name)
        breaker = settings.routing.circuit_breaker
        cache = ProviderStatsCache(
            store,
            utc_now,
            BreakerPolicy(breaker.failure_threshold, float(breaker.cooldown_seconds)),
        )
        await cache.refresh()
        return cache.snapshot(settings.providers)
    finally:
        await store.engine.dispose()


def cmd_simulate(args: argparse.Namespace) -> None:
    if args.replay is not None:
        cmd_replay(args)
        return
    if args.payload is None:
        _fail("PAYLOAD.json: give a session body to rank, or --replay N")
    settings = _load(args.config)
    try:
        raw = Path(args.payload).read_bytes()
    except OSError as exc:
        _fail(f"{args.payload}: cannot read: {exc.strerror}")
    try:
        payload = parse_json(raw)
        request = validate_session_request(payload)
    except ApiError as exc:
        print(json.dumps(exc.body(), indent=2))
        raise SystemExit(EXIT_PROBLEM) from exc

    async def run() -> dict[str, Any]:
        stats = await _learned_stats(settings)
        async with httpx.AsyncClient() as http:
            runtime = _runtime(settings, http)
            try:
                key = args.key or request_fingerprint(payload)
                ranking = rank_request(runtime, stats, facts_from_request(request, key))
            finally:
                await runtime.registry.aclose()
        selected = ranking.ranked[0].provider if ranking.ranked else None
        result: dict[str, Any] = routing_view(runtime.config_version, ranking, selected).model_dump(
            mode="json"
        )
        return result

    try:
        print(json.dumps(asyncio.run(run()), indent=2))
    except AdapterConfigError as exc:
        _fail(str(exc))


def _runtime(settings: Settings, http: httpx.AsyncClient) -> Runtime:
    return make_runtime(
        settings,
        environ=os.environ,
        http=http,
        clock=utc_now,
        public_url=default_public_url(settings),
    )


def cmd_replay(args: argparse.Namespace) -> None:
    if args.replay < 1:
        _fail("--replay: must be at least 1")
    current_settings = _load(args.current)
    candidate_settings = _load(args.config)

    async def run() -> dict[str, Any]:
        stats = await _learned_stats(current_settings)
        async with httpx.AsyncClient() as http:
            current = _runtime(current_settings, http)
            candidate = _runtime(candidate_settings, http)
            store = Store(create_engine(current_settings.database))
            try:
                return await replay(store, current, candidate, stats, args.replay)
            finally:
                await store.engine.dispose()

    try:
        print(json.dumps(asyncio.run(run()), indent=2))
    except AdapterConfigError as exc:
        _fail(str(exc))


def cmd_sandbox(args: argparse.Namespace) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from providers.registry import SANDBOX_PREFIX, build_sandboxes

    settings = _load(args.config)
    public_url = f"http://127.0.0.1:{args.port}"
    http = httpx.AsyncClient(timeout=30)
    apps = build_sandboxes(
        settings,
        environ=os.environ,
        http=http,
        clock=utc_now,
        sleep=asyncio.sleep,
        public_url=public_url,
        router_url=default_public_url(settings),
    )
    app = Starlette(
        routes=[Mount(f"{SANDBOX_PREFIX}/{name}", app=sub) for name, sub in apps.items()]  # type: ignore[arg-type]
    )
    logging.basicConfig(level=logging.INFO)
    print(f"sandboxes: {', '.join(f'{public_url}{SANDBOX_PREFIX}/{n}' for n in apps)}")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="payrouter", description="A self-hosted payment router.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service")
    serve.add_argument("--config", default="config.yaml")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    apps = commands.add_parser("apps", help="merchant applications")
    apps_commands = apps.add_subparsers(dest="apps_command", required=True)
    create = apps_commands.add_parser("create", help="register an application")
    create.add_argument("name")
    create.add_argument("--config", default="config.yaml")
    create.add_argument("--webhook-url")
    create.set_defaults(func=cmd_apps_create)

    config = commands.add_parser("config", help="configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser("check", help="validate a config file")
    check.add_argument("file", nargs="?", default="config.yaml")
    check.set_defaults(func=cmd_config_check)

    simulate = commands.add_parser(
        "simulate", help="rank providers for a payload, or replay stored sessions (--replay)"
    )
    simulate.add_argument("--config", default="config.yaml", help="the config to rank with")
    simulate.add_argument("payload", nargs="?", help="a session body (JSON file)")
    simulate.add_argument(
        "--key", help="the Idempotency-Key to rank for (volume splits and exploration hash it)"
    )
    simulate.add_argument(
        "--replay",
        type=int,
        metavar="N",
        help="replay the newest N stored sessions through --config and compare provider "
        "shares with --current",
    )
    simulate.add_argument(
        "--current",
        default="config.yaml",
        help="with --replay: the running config (its database holds the sessions)",
    )
    simulate.set_defaults(func=cmd_simulate)

    sandbox = commands.add_parser("sandbox", help="run the sandbox providers alone")
    sandbox.add_argument("--config", default="config.yaml")
    sandbox.add_argument("--port", type=int, default=8100)
    sandbox.set_defaults(func=cmd_sandbox)

    db = commands.add_parser("db", help="database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--config", default="config.yaml")
    upgrade.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)
