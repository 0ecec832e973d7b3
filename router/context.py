"""Everything a request handler needs, built once by ``create_app`` and kept on app.state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import httpx

from providers.base import Clock
from providers.registry import ProviderRegistry
from router.auth import TokenService
from router.db.store import Store
from router.metrics import Metrics
from router.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: ProviderRegistry
    metrics: Metrics
    clock: Clock
    http: httpx.AsyncClient
    public_url: str
    config_version: str
    started_at: datetime
    # Set in the lifespan once the database has given (or kept) the signing key.
    tokens: TokenService | None = field(default=None)

    def now(self) -> datetime:
        return self.clock()

    def return_url(self, session_id: str, result: str) -> str:
        """Where a provider sends the payer back: the router confirms, then redirects."""
        return f"{self.public_url}/checkout/return/{session_id}?result={result}"
