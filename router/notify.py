"""Merchant notifications: every terminal status POSTed to the application's webhook URL,
signed per the Standard Webhooks specification, delivered at least once with retries.

Rows come from the outbox the store writes in the same transaction as the status change, so
a crash between the change and the delivery loses nothing: the next pass delivers it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from router.context import Services
from router.db.models import MerchantWebhook
from router.views import iso, session_out

log = logging.getLogger("payrouter.notify")
_LEASE = timedelta(minutes=2)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0


async def notification_body(services: Services, message: MerchantWebhook) -> str | None:
    """The JSON the merchant receives: the session as GET returns it."""
    session = await services.store.session(message.session_id)
    if session is None:
        return None
    data = session_out(session, await services.store.attempts(session.id))
    moment = session.status_changed_at or session.updated_at
    return json.dumps(
        {
            "type": message.event_type,
            "timestamp": iso(moment),
            "data": data.model_dump(mode="json"),
        },
        separators=(",", ":"),
    )


async def _send(services: Services, message: MerchantWebhook) -> str | None:
    """Deliver once; None on success, else why it failed (never a secret)."""
    application = await services.store.application(message.application_id)
    body = await notification_body(services, message)
    if application is None or not application.webhook_url or body is None:
        return "application or session no longer exists"
    now = services.now()
    headers = {
        "content-type": "application/json",
        "webhook-id": message.id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(application.webhook_secret).sign(message.id, now, body),
        "user-agent": "payrouter-webhooks",
    }
    try:
        async with asyncio.timeout(float(services.settings.notifications.timeout_seconds)):
            response = await services.http.post(
                application.webhook_url, content=body, headers=headers
            )
    except TimeoutError:
        return "timed out"
    except httpx.HTTPError as exc:
        return f"transport error: {type(exc).__name__}"
    if 200 <= response.status_code < 300:
        return None
    return f"answered HTTP {response.status_code}"


async def deliver_once(services: Services) -> DeliveryReport:
    """Try every due notification once; schedules retries by the configured schedule."""
    settings = services.settings.notifications
    report = DeliveryReport()
    now = services.now()
    for message_id in await services.store.due_notifications(now, settings.batch_size):
        message = await services.store.lease_notification(message_id, now, now + _LEASE)
        if message is None:
            continue
        error = await _send(services, message)
        attempts = message.attempts + 1
        if error is None:
            report.delivered += 1
            await services.store.settle_notification(
                message.id, state="delivered", attempts=attempts, delivered_at=services.now()
            )
            continue
        schedule = settings.retry_schedule_seconds
        if attempts > len(schedule):
            report.given_up += 1
            log.error("giving up on webhook %s after %d attempts: %s", message.id, attempts, error)
            await services.store.settle_notification(
                message.id, state="failed", attempts=attempts, last_error=error
            )
            continue
        report.retrying += 1
        log.warning("webhook %s failed (%s); retrying", message.id, error)
        await services.store.settle_notification(
            message.id,
            attempts=attempts,
            last_error=error,
            next_attempt_at=services.now() + timedelta(seconds=schedule[attempts - 1]),
        )
    return report


async def deliver_forever(services: Services) -> None:
    interval = services.settings.notifications.interval_seconds
    while True:
        try:
            await deliver_once(services)
        except Exception:
            log.exception("webhook delivery pass failed; trying again later")
        await asyncio.sleep(interval)
