"""Prometheus metrics, one registry per app (no process globals, so tests stay apart)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sessions_created = Counter(
            "payrouter_sessions_created",
            "Checkout session creations by selected provider and outcome.",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.provider_calls = Histogram(
            "payrouter_provider_call_seconds",
            "Latency of calls to providers.",
            ["provider", "operation", "outcome"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.status_changes = Counter(
            "payrouter_session_status_changes",
            "Session status transitions by provider and new status.",
            ["provider", "status"],
            registry=self.registry,
        )
        self.circuit = Gauge(
            "payrouter_circuit_breaker_state",
            "Circuit breaker per provider instance: 0 closed, 1 half-open, 2 open.",
            ["provider"],
            registry=self.registry,
        )
        self.late_payments = Counter(
            "payrouter_late_payments",
            "Payments a provider reports for sessions that had already ended unpaid.",
            ["provider"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "payrouter_provider_webhooks",
            "Provider notifications received, by provider and result.",
            ["provider", "result"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
