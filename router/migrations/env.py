"""Alembic environment: runs on the connection the service hands over (never its own)."""

from __future__ import annotations

from alembic import context

from router.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
