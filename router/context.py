"""Everything a request handler needs, built once by ``create_app`` and kept on app.state."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from providers.base import Clock
from providers.registry import ProviderRegistry
from router.auth import TokenService
from router.db.store import Store
from router.metrics import Metrics
from router.settings import Settings
from router.stats import ProviderStatsCache
from scoring.model import Candidate
from scoring.policy import Policy


@dataclass(frozen=True)
class Runtime:
    """What a config reload replaces, all at once: one attribute assignment swaps it, and a
    request that took a snapshot keeps a consistent view until it ends."""

    settings: Settings
    registry: ProviderRegistry
    config_version: str
    # Routing compiled once per load: the instances as candidates and the rule policy.
    candidates: tuple[Candidate, ...]
    policy: Policy


@dataclass
class Services:
    runtime: Runtime
    store: Store
    metrics: Metrics
    clock: Clock
    http: httpx.AsyncClient
    public_url: str
    started_at: datetime
    stats: ProviderStatsCache
    # Set in the lifespan once the database has given (or kept) the signing key.
    tokens: TokenService | None = field(default=None)
    # Signs the payer-return URLs handed to providers (derived from the signing key).
    return_key: bytes = b""
    # Why the newest config file was refused (empty while the file on disk is what runs).
    config_errors: tuple[str, ...] = ()

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def registry(self) -> ProviderRegistry:
        return self.runtime.registry

    @property
    def config_version(self) -> str:
        return self.runtime.config_version

    def now(self) -> datetime:
        return self.clock()

    def return_token(self, session_id: str, result: str) -> str:
        message = f"{session_id}:{result}".encode()
        return hmac.new(self.return_key, message, hashlib.sha256).hexdigest()[:32]

    def return_url(self, session_id: str, result: str) -> str:
        """Where a provider sends the payer back: the router confirms, then redirects.

        The URL carries a token only payrouter can make, so nobody who merely knows a
        session id (it travels in merchant URLs) can cancel someone else's checkout.
        """
        token = self.return_token(session_id, result)
        return f"{self.public_url}/checkout/return/{session_id}?result={result}&token={token}"

    def valid_return_token(self, session_id: str, result: str, token: str) -> bool:
        return hmac.compare_digest(self.return_token(session_id, result), token)
