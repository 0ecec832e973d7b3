"""Following a session to its final status: provider notifications, payer return, expiry.

A status only ever moves from PENDING to a terminal one, by a guarded update in the store;
whatever arrives late, twice or out of order changes nothing after that.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from providers.base import PaymentStatus, ProviderStatus, WebhookNotification
from providers.errors import ProviderError, WebhookVerificationError
from providers.registry import ProviderInstance
from router.context import Services
from router.db.models import CheckoutSession
from router.errors import ApiError, not_found

log = logging.getLogger("payrouter.status")


async def provider_call(
    services: Services, instance: ProviderInstance, operation: str, reference: str
) -> ProviderStatus:
    started = time.perf_counter()
    outcome = "error"
    try:
        if operation == "expire":
            result = await instance.adapter.expire(reference)
        else:
            result = await instance.adapter.get_status(reference)
        outcome = "ok"
        return result
    finally:
        services.metrics.provider_calls.labels(instance.name, operation, outcome).observe(
            time.perf_counter() - started
        )


def settled_status(session: CheckoutSession, status: PaymentStatus) -> PaymentStatus:
    """The status to store for what the provider reports: a checkout the router closed
    because the payer cancelled reads as expired at the provider, but was CANCELLED."""
    if status is PaymentStatus.EXPIRED and session.cancel_requested_at is not None:
        return PaymentStatus.CANCELLED
    return status


async def apply_status(services: Services, session: CheckoutSession, status: PaymentStatus) -> bool:
    """Move ``session`` to a terminal ``status``; False when it had already ended."""
    if not status.is_terminal:
        return False
    status = settled_status(session, status)
    changed = await services.store.transition(session.id, status.value, services.now())
    if changed:
        services.metrics.status_changes.labels(session.provider or "none", status.value).inc()
        log.info("session %s -> %s", session.id, status.value)
    elif status is PaymentStatus.COMPLETED:
        await flag_late_payment(services, session)
    return changed


async def refresh_from_provider(services: Services, session: CheckoutSession) -> CheckoutSession:
    """Ask the provider for a PENDING session's status and apply a terminal answer.

    Raises :class:`ProviderError` when the provider cannot answer.
    """
    if session.status != "PENDING" or not session.provider or not session.provider_reference:
        return session
    instance = services.registry.get(session.provider)
    if instance is None:
        return session
    result = await provider_call(services, instance, "status", session.provider_reference)
    await apply_status(services, session, result.status)
    return await services.store.session(session.id) or session


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool
    session_id: str | None
    status: str | None


def _well_formed(value: str | None) -> bool:
    """A notification field we may store and look up with: bounded, printable text."""
    if value is None:
        return True
    return 0 < len(value) <= 255 and value.isprintable()


async def _find_session(
    services: Services, provider_name: str, note: WebhookNotification
) -> CheckoutSession | None:
    session = None
    if note.provider_reference:
        session = await services.store.session_by_reference(provider_name, note.provider_reference)
    if session is None and note.session_id:
        candidate = await services.store.session(note.session_id)
        if candidate is not None and candidate.provider == provider_name:
            session = candidate
    return session


async def handle_provider_webhook(
    services: Services, provider_name: str, headers: Mapping[str, str], body: bytes
) -> WebhookResult:
    """Verify, deduplicate and apply one provider notification.

    A signed (trusted) notification is recorded once by its event id and applied in the
    same transaction. An unsigned one only says "look again": nothing in it is stored or
    deduplicated (a forger could otherwise pre-empt the genuine notice), and the status
    comes from an authenticated read at the provider.

    Raises :class:`ApiError`: 404 for an unknown provider, 400 for a notification that fails
    verification, 503 when an untrusted notification cannot be confirmed with the provider.
    """
    instance = services.registry.get(provider_name)
    if instance is None:
        raise not_found(f"No provider named {provider_name!r} is configured.")
    try:
        note = instance.adapter.verify_webhook(headers, body)
        fields = (note.event_id, note.event_type, note.provider_reference, note.session_id)
        if not all(_well_formed(value) for value in fields):
            raise WebhookVerificationError("the notification's identifiers are malformed")
    except WebhookVerificationError as exc:
        services.metrics.webhooks.labels(provider_name, "rejected").inc()
        raise ApiError(400, "webhook_verification_failed", str(exc)) from exc
    if note.trusted and await services.store.event_seen(provider_name, note.event_id):
        services.metrics.webhooks.labels(provider_name, "duplicate").inc()
        return WebhookResult(duplicate=True, session_id=None, status=None)

    session = await _find_session(services, provider_name, note)
    if session is None:
        if note.trusted:
            await services.store.record_event(
                provider=provider_name,
                event_id=note.event_id,
                event_type=note.event_type,
                session_id=None,
                outcome="unknown_session",
                now=services.now(),
            )
        services.metrics.webhooks.labels(provider_name, "unknown_session").inc()
        return WebhookResult(duplicate=False, session_id=None, status=None)

    if not note.trusted:
        return await _confirm_untrusted(services, instance, session)
    target = (
        settled_status(session, note.status)
        if note.status is not None and note.status.is_terminal
        else None
    )
    first, changed = await services.store.record_event(
        provider=provider_name,
        event_id=note.event_id,
        event_type=note.event_type,
        session_id=session.id,
        outcome="applied" if target else "no_change",
        now=services.now(),
        transition_to=target.value if target else None,
    )
    if changed and target is not None:
        services.metrics.status_changes.labels(provider_name, target.value).inc()
    elif first and target is PaymentStatus.COMPLETED:
        await flag_late_payment(services, session)
    services.metrics.webhooks.labels(provider_name, "duplicate" if not first else "accepted").inc()
    current = await services.store.session(session.id)
    return WebhookResult(
        duplicate=not first, session_id=session.id, status=current.status if current else None
    )


async def _confirm_untrusted(
    services: Services, instance: ProviderInstance, session: CheckoutSession
) -> WebhookResult:
    """Re-read the payment with an authenticated call and apply what the provider says."""
    if not session.provider_reference:
        return WebhookResult(duplicate=False, session_id=session.id, status=session.status)
    try:
        confirmed = await provider_call(services, instance, "status", session.provider_reference)
    except ProviderError as exc:
        services.metrics.webhooks.labels(instance.name, "unconfirmed").inc()
        raise ApiError(
            503,
            "provider_unavailable",
            "Could not confirm the notification with the provider; retry later.",
        ) from exc
    services.metrics.webhooks.labels(instance.name, "confirmed").inc()
    await apply_status(services, session, confirmed.status)
    current = await services.store.session(session.id) or session
    return WebhookResult(duplicate=False, session_id=session.id, status=current.status)


async def flag_late_payment(services: Services, session: CheckoutSession) -> None:
    """A provider reports money taken for a session that already ended unpaid (expired or
    cancelled on our side while the payer paid): the status stays, but ops and the
    merchant are told, once, so the money is refunded or the order honoured."""
    current = await services.store.session(session.id)
    if current is None or current.status in ("PENDING", "COMPLETED"):
        return
    services.metrics.late_payments.labels(session.provider or "none").inc()
    log.error(
        "LATE PAYMENT: provider %s reports session %s paid, but it ended %s",
        session.provider,
        session.id,
        current.status,
    )
    # One webhook per session however often the provider repeats it.
    await services.store.enqueue_event_notification(
        session.id, "session.late_payment", services.now()
    )


def merchant_redirect(url: str, session_id: str) -> str:
    """The merchant URL with the session id: ``{CHECKOUT_SESSION_ID}`` replaced, else appended."""
    if "{CHECKOUT_SESSION_ID}" in url:
        return url.replace("{CHECKOUT_SESSION_ID}", session_id)
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("sessionId", session_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def payer_return(services: Services, session_id: str, result: str) -> str:
    """Confirm the status with the provider, then say where to send the payer.

    ``result`` is ``success`` or ``cancel`` (which return URL the provider used). A cancel
    closes the provider checkout where the provider can, so it cannot be paid afterwards.
    Raises :class:`ApiError` 404 for an unknown session.
    """
    session = await services.store.session(session_id)
    if session is None:
        raise not_found("No such checkout session.")
    try:
        session = await refresh_from_provider(services, session)
        if result == "cancel" and session.status == "PENDING":
            session = await _cancel_at_provider(services, session)
    except ProviderError as exc:
        # The payer is not kept waiting on a provider outage: the webhook or the
        # reconciliation settles the status later.
        log.warning("could not confirm session %s on return: %s", session_id, exc.code)
    urls: dict[str, str] = json.loads(session.request_json)["redirectUrls"]
    # A payer back from "success" whose payment is still settling (an async method, crypto
    # confirmations) goes to the success page too, as Stripe does; only an ended,
    # unpaid session goes to the failure page.
    paid_or_settling = session.status == "COMPLETED" or (
        session.status == "PENDING" and result == "success"
    )
    return merchant_redirect(urls["success"] if paid_or_settling else urls["failure"], session.id)


async def close_at_provider(
    services: Services,
    instance: ProviderInstance,
    session: CheckoutSession,
    reference: str,
    unpaid: PaymentStatus,
) -> CheckoutSession:
    """Close the provider's checkout and settle the session: COMPLETED when the provider
    says it was paid meanwhile, else ``unpaid``. Returns the session as stored after.

    Raises :class:`ProviderError` when the provider cannot close it (nothing changes).
    """
    result = await provider_call(services, instance, "expire", reference)
    paid = result.status is PaymentStatus.COMPLETED
    await apply_status(services, session, PaymentStatus.COMPLETED if paid else unpaid)
    return await services.store.session(session.id) or session


async def _cancel_at_provider(services: Services, session: CheckoutSession) -> CheckoutSession:
    instance = services.registry.get(session.provider or "")
    reference = session.provider_reference
    if instance is None or not instance.capabilities.can_expire or not reference:
        return session
    await services.store.request_cancel(session.id, services.now())
    session = await services.store.session(session.id) or session
    return await close_at_provider(services, instance, session, reference, PaymentStatus.CANCELLED)


async def expire_session(services: Services, session: CheckoutSession) -> CheckoutSession:
    """Expire an open session, at the provider too where it can.

    Raises :class:`ApiError` 409 when the session has already ended (or turned out paid),
    502 when the provider cannot be reached (the session stays open).
    """
    if session.status != "PENDING":
        raise ApiError(409, "session_not_open", f"The session is already {session.status}.")
    instance = services.registry.get(session.provider or "")
    reference = session.provider_reference
    if instance is not None and instance.capabilities.can_expire and reference:
        try:
            current = await close_at_provider(
                services, instance, session, reference, PaymentStatus.EXPIRED
            )
        except ProviderError as exc:
            raise ApiError(
                502, "provider_error", f"The provider could not expire the checkout: {exc.code}."
            ) from exc
        if current.status == "COMPLETED":
            raise ApiError(409, "session_not_open", "The session was paid before it could expire.")
    else:
        await apply_status(services, session, PaymentStatus.EXPIRED)
        current = await services.store.session(session.id) or session
    if current.status != "EXPIRED":
        raise ApiError(409, "session_not_open", f"The session is already {current.status}.")
    return current
