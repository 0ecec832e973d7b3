"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from router.db.engine import create_engine, migrate
from router.db.models import Base
from router.settings import DatabaseSettings


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, Base.metadata))


async def test_a_configured_postgresql_schema_is_created(database: tuple[str, str | None]) -> None:
    url, schema = database
    if schema is None:
        pytest.skip("SQLite has no schemas")
    fresh = f"{schema}_new"
    engine = create_engine(DatabaseSettings(url=url, schema_name=fresh))
    try:
        await migrate(engine, fresh)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            await connection.execute(text(f'DROP SCHEMA "{fresh}" CASCADE'))
            await connection.commit()
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_models(database: tuple[str, str | None]) -> None:
    url, schema = database
    engine = create_engine(DatabaseSettings(url=url, schema_name=schema))
    try:
        await migrate(engine)
        await migrate(engine)  # applying again is a no-op
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()
