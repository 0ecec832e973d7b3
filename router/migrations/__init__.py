"""Alembic migrations, applied by the service at start and by ``payrouter db upgrade``."""
