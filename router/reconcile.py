"""Reconciliation: no session stays PENDING because a notification was lost.

``reconcile_once`` is one pass; the service runs it on an interval. Each session is leased
in the database before it is touched, so several service processes on one PostgreSQL never
work on the same session at once, and the guarded status update means a terminal status is
never moved whatever they find.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from providers.base import PaymentStatus
from providers.errors import ProviderError
from router.context import Services
from router.status import apply_status, close_at_provider, refresh_from_provider

log = logging.getLogger("payrouter.reconcile")


@dataclass
class ReconcileReport:
    checked: int = 0
    errors: int = 0
    settled: Counter[str] = field(default_factory=Counter)


async def reconcile_once(services: Services) -> ReconcileReport:
    """Check every due session once; returns what was found. Never raises for a provider
    failure (the session is simply checked again later)."""
    settings = services.settings.reconciliation
    now = services.now()
    report = ReconcileReport()
    due = await services.store.due_for_reconciliation(
        now, now - timedelta(seconds=settings.pending_after_seconds), settings.batch_size
    )
    for session_id in due:
        if not await services.store.lease(
            session_id, now, now + timedelta(seconds=settings.lease_seconds)
        ):
            continue
        report.checked += 1
        try:
            status = await _reconcile(services, session_id, now)
            if status is not None:
                report.settled[status] += 1
        except ProviderError as exc:
            report.errors += 1
            log.warning("reconciling %s: provider error %s", session_id, exc.code)
        finally:
            await services.store.release_lease(
                session_id, now + timedelta(seconds=settings.recheck_seconds)
            )
    return report


async def _reconcile(services: Services, session_id: str, now: datetime) -> str | None:
    """Settle one leased session; returns its new terminal status, if it got one."""
    session = await services.store.session(session_id)
    if session is None or session.status != "PENDING":
        return None
    instance = services.registry.get(session.provider or "")
    reference = session.provider_reference
    if instance is not None and reference:
        session = await refresh_from_provider(services, session)
        if session.status != "PENDING" or session.expires_at > now:
            return session.status if session.status != "PENDING" else None
        if instance.capabilities.can_expire:
            closed = await close_at_provider(
                services, instance, session, reference, PaymentStatus.EXPIRED
            )
            return closed.status if closed.status != "PENDING" else None
        grace = timedelta(seconds=services.settings.reconciliation.expiry_grace_seconds)
        if now < session.expires_at + grace:
            return None
        final = PaymentStatus.EXPIRED
    elif reference:
        # Its instance is gone from config: the provider may still be paid; never guess.
        log.warning(
            "session %s: provider %r is not configured; left as is", session_id, session.provider
        )
        return None
    elif session.expires_at <= now:
        # The checkout was never created at a provider (the creation died): nothing to pay.
        final = PaymentStatus.EXPIRED
    else:
        return None
    return final.value if await apply_status(services, session, final) else None


async def reconcile_forever(services: Services) -> None:
    """Run :func:`reconcile_once` every ``reconciliation.interval_seconds``."""
    interval = services.settings.reconciliation.interval_seconds
    while True:
        try:
            report = await reconcile_once(services)
            if report.checked:
                log.info(
                    "reconciled %d session(s): %s, %d error(s)",
                    report.checked,
                    dict(report.settled) or "no change",
                    report.errors,
                )
        except Exception:
            log.exception("reconciliation pass failed; trying again later")
        await asyncio.sleep(interval)
