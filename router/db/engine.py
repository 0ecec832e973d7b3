"""Engine creation and schema migration for SQLite (WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from router.settings import DatabaseSettings

_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every payrouter process.
_MIGRATION_LOCK_ID = 7_210_447_001


def create_engine(database: DatabaseSettings) -> AsyncEngine:
    """An async engine for the configured URL; SQLite gets WAL, foreign keys and a busy wait."""
    url = database.url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {}
    if database.schema_name:
        connect_args["server_settings"] = {"search_path": database.schema_name}
    return create_async_engine(
        url,
        pool_size=database.pool_size,
        max_overflow=database.pool_size,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _upgrade(connection: Connection, schema: str | None) -> None:
    if connection.dialect.name == "postgresql":
        # Several processes may start at once on one database: one migrates, the rest wait.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        if schema:
            # The name is validated by DatabaseSettings (lower-case letters, digits, _).
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine, schema: str | None = None) -> None:
    """Bring the schema to the newest revision (idempotent), creating the PostgreSQL
    ``schema`` first when one is configured."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, schema)
