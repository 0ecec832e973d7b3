"""Creating a checkout session: idempotency, ranking, failover across providers, storage.

The order of a creation, and why:
1. Claim the Idempotency-Key in the database (a unique row), so duplicates racing in any
   number of processes cannot both run.
2. Rank the candidates (pure). Nobody eligible: release the key, answer 422.
3. Store the session (PENDING) before calling anyone, then one attempt row per provider
   try, each with a provider idempotency key derived from the session and the instance:
   a retry after a crash reaches the same provider checkout instead of a second one.
4. Store the outcome and the response to replay in one transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from providers.base import CheckoutCreated, CheckoutRequest
from providers.errors import ProviderError, ProviderTimeoutError, RetryableProviderError
from providers.registry import ProviderInstance
from router.context import Runtime, Services
from router.db.models import Attempt, CheckoutSession
from router.db.store import IdempotencyOutcome
from router.errors import ApiError
from router.provider_request import checkout_request
from router.routing import facts_from_request, routing_view
from router.schemas import SessionCreated, SessionCreateRequest
from router.stats import HALF_OPEN
from router.views import iso
from scoring import rank
from scoring.model import PaymentFacts, ProviderStats, Ranking

log = logging.getLogger("payrouter.checkout")


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    replayed: bool


def request_fingerprint(payload: Any) -> str:
    """SHA-256 of the request's canonical JSON: same fields and values, same fingerprint."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def rank_request(runtime: Runtime, stats: ProviderStats, facts: PaymentFacts) -> Ranking:
    """Rank the runtime's instances for a request (pure: creates nothing)."""
    return rank(facts, runtime.candidates, stats, runtime.policy)


async def create_session(
    services: Services,
    application_id: str,
    idempotency_key: str,
    request: SessionCreateRequest,
    fingerprint: str,
) -> StoredResponse:
    """Run (or replay) one POST /api/v1/sessions.

    Raises :class:`ApiError` for 409 (key reused or in use) and 422 (no eligible provider).
    """
    store = services.store
    settings = services.settings.idempotency
    claim = await store.claim_idempotency(
        application_id,
        idempotency_key,
        fingerprint,
        now=services.now(),
        lock_for=timedelta(seconds=settings.in_progress_timeout_seconds),
        retain_for=timedelta(hours=settings.retention_hours),
    )
    if claim.kind == "mismatch":
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    if claim.kind == "in_use":
        raise ApiError(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed; retry later.",
        )
    if claim.kind == "replay":
        assert claim.response_status is not None and claim.response_body is not None
        return StoredResponse(claim.response_status, claim.response_body, replayed=True)
    assert claim.session_id is not None

    runtime = services.runtime  # one config for the whole request, whatever reloads meanwhile
    facts = facts_from_request(request, routing_key=idempotency_key)
    ranking = rank_request(runtime, current_stats(services), facts)
    if not ranking.ranked:
        await store.release_idempotency(application_id, idempotency_key)
        raise ApiError(
            422,
            "no_eligible_provider",
            "No enabled provider can take this payment.",
            [{"provider": e.provider, "reason": e.reason} for e in ranking.excluded],
        )
    creation = _Creation(services, runtime, application_id, idempotency_key, claim.session_id)
    status, body = await creation.run(request, ranking)
    return StoredResponse(status, body, replayed=False)


def current_stats(services: Services) -> ProviderStats:
    names = [instance.name for instance in services.registry.all()]
    return services.stats.snapshot(names)


@dataclass
class _Creation:
    """One session's creation across providers, in ranked order, within the deadline."""

    services: Services
    runtime: Runtime
    application_id: str
    idempotency_key: str
    session_id: str

    async def run(self, request: SessionCreateRequest, ranking: Ranking) -> tuple[int, str]:
        services, runtime = self.services, self.runtime
        now = services.now()
        lifetime = (
            request.expires_in_seconds or runtime.settings.sessions.default_expires_in_seconds
        )
        row = await services.store.insert_session_if_absent(
            CheckoutSession(
                id=self.session_id,
                application_id=self.application_id,
                order_reference=request.order_reference,
                idempotency_key=self.idempotency_key,
                payment_method=request.payment_method,
                currency=request.currency,
                amount_total=request.amount.total,
                request_json=request.model_dump_json(),
                status="PENDING",
                expires_at=now + timedelta(seconds=lifetime),
                created_at=now,
                updated_at=now,
            )
        )
        failover = runtime.settings.routing.failover
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(failover.deadline_seconds)
        failures: list[dict[str, Any]] = []
        stopped = "Every eligible provider failed to create the checkout."
        for name in self._order(ranking):
            if len(failures) >= failover.max_attempts:
                stopped = f"Stopped after {failover.max_attempts} attempts (routing.failover)."
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                stopped = "The failover deadline ran out (routing.failover.deadline_seconds)."
                break
            instance = runtime.registry.get(name)
            assert instance is not None
            dto = checkout_request(
                services, self.session_id, instance.name, request, row.expires_at
            )
            outcome = await self._attempt(instance, dto, remaining)
            if isinstance(outcome, CheckoutCreated):
                return await self._succeeded(row, instance.name, outcome, ranking)
            failures.append(
                {
                    "provider": instance.name,
                    "code": outcome.code,
                    "message": outcome.message,
                    "retryable": outcome.retryable,
                }
            )
            if not outcome.retryable:
                stopped = "A provider refused the request (not retryable); no other was tried."
                break
        return await self._failed(ranking, failures, stopped)

    def _order(self, ranking: Ranking) -> list[str]:
        """The ranked order, except that a half-open instance whose probe this request won
        goes first: a breaker only closes when some request tries the instance, and the
        failover behind it keeps the checkout alive if the probe fails. A half-open instance
        another request is already probing is skipped."""
        stats = self.services.stats
        probes: list[str] = []
        others: list[str] = []
        for ranked in ranking.ranked:
            if stats.state(ranked.provider) != HALF_OPEN:
                others.append(ranked.provider)
            elif not probes and stats.take_probe(ranked.provider):
                probes.append(ranked.provider)  # one probe per request, tried first
        return probes + others

    async def _attempt(
        self, instance: ProviderInstance, dto: CheckoutRequest, remaining: float
    ) -> CheckoutCreated | ProviderError:
        """One try at one provider: an attempt row, the call within what is left of the
        deadline, the result folded into the provider's statistics."""
        services = self.services
        attempt = Attempt(
            id=str(uuid.uuid4()),
            session_id=self.session_id,
            seq=await services.store.next_attempt_seq(self.session_id),
            provider=instance.name,
            idempotency_key=dto.idempotency_key,
            status="started",
            started_at=services.now(),
        )
        await services.store.add_attempt(attempt)
        started = time.perf_counter()
        result: CheckoutCreated | ProviderError
        try:
            async with asyncio.timeout(remaining):
                result = await instance.adapter.create_checkout(dto)
        except TimeoutError:
            result = ProviderTimeoutError("deadline_exceeded", "the failover deadline ran out")
        except ProviderError as exc:
            result = exc
        except Exception as exc:  # an adapter bug must not lose the session: log, fail over
            log.exception("adapter %s raised an unmapped error", instance.name)
            result = RetryableProviderError("adapter_error", f"unexpected {type(exc).__name__}")
        elapsed = time.perf_counter() - started
        ok = isinstance(result, CheckoutCreated)
        services.metrics.provider_calls.labels(
            instance.name, "create", "ok" if ok else "error"
        ).observe(elapsed)
        services.stats.record_attempt(
            instance.name,
            ok,
            int(elapsed * 1000),
            services.now(),
            counts=ok or (isinstance(result, ProviderError) and result.retryable),
        )
        if isinstance(result, CheckoutCreated):
            values: dict[str, Any] = {
                "status": "succeeded",
                "provider_reference": result.provider_reference,
            }
        else:
            log.warning("provider %s failed: %s (%s)", instance.name, result.code, result.message)
            values = {
                "status": "failed",
                "error_code": result.code,
                "error_message": result.message[:1000],
                "retryable": result.retryable,
            }
        await services.store.finish_attempt(
            attempt.id, latency_ms=int(elapsed * 1000), finished_at=services.now(), **values
        )
        return result

    async def _succeeded(
        self, row: CheckoutSession, provider: str, created: CheckoutCreated, ranking: Ranking
    ) -> tuple[int, str]:
        services = self.services
        routing = routing_view(self.runtime.config_version, ranking, provider)
        body = SessionCreated(
            session_id=self.session_id,
            checkout_url=created.checkout_url,
            status="PENDING",
            routing=routing,
            expires_at=iso(row.expires_at),
            created_at=iso(row.created_at),
        ).model_dump_json()
        await services.store.conclude_checkout(
            self.session_id,
            {
                "provider": provider,
                "provider_reference": created.provider_reference,
                "checkout_url": created.checkout_url,
                "routing_json": routing.model_dump_json(),
                "updated_at": services.now(),
            },
            IdempotencyOutcome(self.application_id, self.idempotency_key, 201, body),
        )
        services.metrics.sessions_created.labels(provider, "created").inc()
        return 201, body

    async def _failed(
        self, ranking: Ranking, failures: list[dict[str, Any]], message: str
    ) -> tuple[int, str]:
        services = self.services
        error = ApiError(
            502,
            "providers_unavailable",
            message,
            [{"sessionId": self.session_id, **failure} for failure in failures],
        )
        body = json.dumps(error.body(), separators=(",", ":"))
        routing = routing_view(self.runtime.config_version, ranking, None)
        await services.store.conclude_checkout(
            self.session_id,
            {
                "status": "FAILED",
                "failure_code": "providers_unavailable",
                "routing_json": routing.model_dump_json(),
                "updated_at": services.now(),
                "status_changed_at": services.now(),
            },
            IdempotencyOutcome(self.application_id, self.idempotency_key, 502, body),
        )
        services.metrics.sessions_created.labels("none", "providers_unavailable").inc()
        return 502, body
