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

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from providers.base import Address as AddressDTO
from providers.base import CheckoutRequest, LineItem
from providers.base import Customer as CustomerDTO
from providers.errors import ProviderError
from providers.registry import ProviderRegistry
from router.context import Services
from router.db.models import Attempt, CheckoutSession
from router.db.store import IdempotencyOutcome
from router.errors import ApiError
from router.schemas import (
    Address,
    ExcludedCandidate,
    RankedCandidate,
    Routing,
    SessionCreated,
    SessionCreateRequest,
)
from router.settings import Settings
from router.views import iso
from scoring import Candidate, PaymentFacts, Ranking, rank

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


def candidates(registry: ProviderRegistry) -> list[Candidate]:
    return [
        Candidate(
            name=instance.name,
            enabled=instance.settings.enabled,
            capabilities=instance.capabilities,
            priority=instance.settings.priority,
        )
        for instance in registry.all()
    ]


def rank_request(
    registry: ProviderRegistry, settings: Settings, request: SessionCreateRequest
) -> Ranking:
    """Rank the configured instances for a validated request (pure: creates nothing)."""
    amount = request.amount
    facts = PaymentFacts(
        currency=request.currency,
        method=request.payment_method,
        amount=amount.total,
        parts=(amount.shipping, amount.tax, *(i.unit_price for i in request.order_items)),
    )
    return rank(facts, candidates(registry), settings.routing.weights)


def routing_view(config_version: str, ranking: Ranking, selected: str | None) -> Routing:
    chosen = next((r for r in ranking.ranked if r.provider == selected), None)
    return Routing(
        selected_provider=selected,
        score=float(chosen.score) if chosen else None,
        candidates=[
            RankedCandidate(provider=r.provider, score=float(r.score), reasons=list(r.reasons))
            for r in ranking.ranked
        ],
        excluded=[
            ExcludedCandidate(provider=e.provider, reason=e.reason) for e in ranking.excluded
        ],
        config_version=config_version,
    )


def _address(address: Address | None) -> AddressDTO | None:
    if address is None:
        return None
    return AddressDTO(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )


def checkout_request(
    services: Services,
    session_id: str,
    provider: str,
    request: SessionCreateRequest,
    expires_at: datetime,
) -> CheckoutRequest:
    metadata = {"orderReference": request.order_reference}
    for key, value in (request.additional_information or {}).items():
        if value is not None:
            metadata[key] = str(value).lower() if isinstance(value, bool) else str(value)
    customer = request.customer
    return CheckoutRequest(
        session_id=session_id,
        idempotency_key=f"payrouter-{session_id}-{provider}",
        order_reference=request.order_reference,
        method=request.payment_method,
        currency=request.currency,
        amount_total=request.amount.total,
        shipping_amount=request.amount.shipping,
        tax_amount=request.amount.tax,
        items=tuple(
            LineItem(name=i.name, quantity=i.quantity, unit_price=i.unit_price, sku=i.sku)
            for i in request.order_items
        ),
        customer=CustomerDTO(
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            phone=customer.phone,
            billing_address=_address(customer.billing_address),
            shipping_address=_address(customer.shipping_address),
        ),
        success_url=services.return_url(session_id, "success"),
        cancel_url=services.return_url(session_id, "cancel"),
        expires_at=expires_at,
        locale=request.locale,
        shipping_label=request.shipping.method or request.shipping.type
        if request.shipping
        else None,
        metadata=metadata,
    )


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

    ranking = rank_request(services.registry, services.settings, request)
    if not ranking.ranked:
        await store.release_idempotency(application_id, idempotency_key)
        raise ApiError(
            422,
            "no_eligible_provider",
            "No enabled provider can take this payment.",
            [{"provider": e.provider, "reason": e.reason} for e in ranking.excluded],
        )
    status, body = await _create_at_providers(
        services, application_id, idempotency_key, claim.session_id, request, ranking
    )
    return StoredResponse(status, body, replayed=False)


async def _create_at_providers(
    services: Services,
    application_id: str,
    idempotency_key: str,
    session_id: str,
    request: SessionCreateRequest,
    ranking: Ranking,
) -> tuple[int, str]:
    now = services.now()
    lifetime = request.expires_in_seconds or services.settings.sessions.default_expires_in_seconds
    row = await services.store.insert_session_if_absent(
        CheckoutSession(
            id=session_id,
            application_id=application_id,
            order_reference=request.order_reference,
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
    failures: list[dict[str, Any]] = []
    for ranked in ranking.ranked:
        instance = services.registry.get(ranked.provider)
        assert instance is not None
        dto = checkout_request(services, session_id, instance.name, request, row.expires_at)
        attempt = Attempt(
            id=str(uuid.uuid4()),
            session_id=session_id,
            seq=await services.store.next_attempt_seq(session_id),
            provider=instance.name,
            idempotency_key=dto.idempotency_key,
            status="started",
            started_at=services.now(),
        )
        await services.store.add_attempt(attempt)
        started = time.perf_counter()
        try:
            created = await instance.adapter.create_checkout(dto)
        except ProviderError as exc:
            error: ProviderError = exc
        except Exception as exc:  # an adapter bug must not lose the session: log, fail over
            log.exception("adapter %s raised an unmapped error", instance.name)
            error = ProviderError("adapter_error", f"unexpected {type(exc).__name__}")
            error.retryable = True
        else:
            elapsed = time.perf_counter() - started
            services.metrics.provider_calls.labels(instance.name, "create", "ok").observe(elapsed)
            await services.store.finish_attempt(
                attempt.id,
                status="succeeded",
                provider_reference=created.provider_reference,
                latency_ms=int(elapsed * 1000),
                finished_at=services.now(),
            )
            routing = routing_view(services.config_version, ranking, instance.name)
            body = SessionCreated(
                session_id=session_id,
                checkout_url=created.checkout_url,
                status="PENDING",
                routing=routing,
                expires_at=iso(row.expires_at),
                created_at=iso(row.created_at),
            ).model_dump_json()
            await services.store.conclude_checkout(
                session_id,
                {
                    "provider": instance.name,
                    "provider_reference": created.provider_reference,
                    "checkout_url": created.checkout_url,
                    "routing_json": routing.model_dump_json(),
                    "updated_at": services.now(),
                },
                IdempotencyOutcome(application_id, idempotency_key, 201, body),
            )
            services.metrics.sessions_created.labels(instance.name, "created").inc()
            return 201, body
        elapsed = time.perf_counter() - started
        services.metrics.provider_calls.labels(instance.name, "create", "error").observe(elapsed)
        await services.store.finish_attempt(
            attempt.id,
            status="failed",
            error_code=error.code,
            error_message=error.message[:1000],
            retryable=error.retryable,
            latency_ms=int(elapsed * 1000),
            finished_at=services.now(),
        )
        failures.append(
            {
                "provider": instance.name,
                "code": error.code,
                "message": error.message,
                "retryable": error.retryable,
            }
        )
        log.warning("provider %s failed: %s (%s)", instance.name, error.code, error.message)
        if not error.retryable:
            break
    outcome = (application_id, idempotency_key)
    return await _conclude_failure(services, outcome, session_id, ranking, failures)


async def _conclude_failure(
    services: Services,
    outcome: tuple[str, str],
    session_id: str,
    ranking: Ranking,
    failures: list[dict[str, Any]],
) -> tuple[int, str]:
    error = ApiError(
        502,
        "providers_unavailable",
        "Every eligible provider failed to create the checkout.",
        [{"sessionId": session_id, **failure} for failure in failures],
    )
    body = json.dumps(error.body(), separators=(",", ":"))
    await services.store.conclude_checkout(
        session_id,
        {
            "status": "FAILED",
            "failure_code": "providers_unavailable",
            "routing_json": routing_view(services.config_version, ranking, None).model_dump_json(),
            "updated_at": services.now(),
            "status_changed_at": services.now(),
        },
        IdempotencyOutcome(outcome[0], outcome[1], 502, body),
    )
    services.metrics.sessions_created.labels("none", "providers_unavailable").inc()
    return 502, body
