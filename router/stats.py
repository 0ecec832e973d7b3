"""What routing learns from real traffic: outcomes per segment, latency, circuit breakers.

Everything is derived from the database (sessions and attempts), refreshed on an interval,
so several service processes on one PostgreSQL agree; between refreshes each process also
folds in its own attempts at once, so a breaker opens on the very request that trips it.

The breaker is a function of the instance's most recent attempts and the clock: ``open``
when the last ``failure_threshold`` attempts all failed and the newest failure is younger
than ``cooldown_seconds``; ``half_open`` once the cool-down has passed (one probe at a time
per process is let through); ``closed`` as soon as the newest attempt succeeded.
"""

from __future__ import annotations

import statistics
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from providers.base import Clock
from router.db.store import Store
from scoring.model import HealthState, ProviderStats

CLOSED: HealthState = "closed"
HALF_OPEN: HealthState = "half_open"
OPEN: HealthState = "open"
BREAKER_GAUGE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}
_RECENT_PER_PROVIDER = 200
_RECENT_WINDOW = timedelta(hours=1)
_OUTCOME_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0


@dataclass(frozen=True)
class _Attempt:
    ok: bool
    latency_ms: int | None
    at: datetime


class ProviderStatsCache:
    def __init__(self, store: Store, clock: Clock, breaker: BreakerPolicy) -> None:
        self._store = store
        self._clock = clock
        self.breaker = breaker
        self._outcomes: dict[tuple[str, str, str], tuple[int, int]] = {}
        self._recent: dict[str, deque[_Attempt]] = defaultdict(
            lambda: deque(maxlen=_RECENT_PER_PROVIDER)
        )
        self._probing: set[str] = set()
        # p50 latency per provider, recomputed only when its window changes (not per request).
        self._latency: dict[str, Decimal] = {}

    async def refresh(self) -> None:
        """Reload every figure from the database (what all processes have seen)."""
        now = self._clock()
        outcomes: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for provider, currency, method, outcome, count in await self._store.outcome_counts(
            now - _OUTCOME_WINDOW
        ):
            outcomes[(provider, currency, method)][0 if outcome == "success" else 1] += count
        self._outcomes = {key: (ok, bad) for key, (ok, bad) in outcomes.items()}
        recent: dict[str, deque[_Attempt]] = defaultdict(lambda: deque(maxlen=_RECENT_PER_PROVIDER))
        rows = await self._store.recent_attempts(now - _RECENT_WINDOW, _RECENT_PER_PROVIDER * 20)
        for provider, status, latency, at in rows:  # newest first
            window = recent[provider]
            if len(window) < _RECENT_PER_PROVIDER:
                window.append(_Attempt(status == "succeeded", latency, at))
        self._recent = recent
        self._latency = {}
        for name in recent:
            self._update_latency(name)

    def record_attempt(
        self, provider: str, ok: bool, latency_ms: int, at: datetime, counts: bool = True
    ) -> None:
        """Fold in one of this process's attempts now, before the next refresh.

        ``counts`` is False for a failure that says nothing of the provider's health (it
        refused the request itself); it still ends a probe.
        """
        self._probing.discard(provider)
        if not counts:
            return
        self._recent[provider].appendleft(_Attempt(ok, latency_ms, at))
        self._update_latency(provider)

    def _update_latency(self, provider: str) -> None:
        # Successful calls only: an instance failing fast must not look fast.
        samples = [
            a.latency_ms for a in self._recent[provider] if a.ok and a.latency_ms is not None
        ]
        if samples:
            self._latency[provider] = Decimal(int(statistics.median(samples)))

    def state(self, provider: str) -> HealthState:
        window = self._recent.get(provider)
        threshold = self.breaker.failure_threshold
        if not window or len(window) < threshold:
            return CLOSED
        newest = list(window)[:threshold]
        if any(attempt.ok for attempt in newest):
            return CLOSED
        cooled = self._clock() - newest[0].at >= timedelta(seconds=self.breaker.cooldown_seconds)
        return HALF_OPEN if cooled else OPEN

    def take_probe(self, provider: str) -> bool:
        """For a half-open instance: True for the one request that may probe it."""
        if provider in self._probing:
            return False
        self._probing.add(provider)
        return True

    def snapshot(self, providers: Iterable[str]) -> ProviderStats:
        """The figures a ranking takes, as a new object (the engine memoises per object)."""
        health: dict[str, HealthState] = {}
        for name in providers:
            state = self.state(name)
            # A half-open instance whose probe is already out waits like an open one.
            health[name] = OPEN if state == HALF_OPEN and name in self._probing else state
        return ProviderStats(self._outcomes, dict(self._latency), health)
