"""Merchant notifications: signed per Standard Webhooks, at least once, retried."""

from __future__ import annotations

import json

from standardwebhooks.webhooks import Webhook

from router.notify import deliver_once
from tests.harness import Harness, Merchant, MerchantEndpoint


async def _paid_session(router: Harness) -> tuple[Merchant, str]:
    merchant = await router.merchant(webhook_url=MerchantEndpoint.URL)
    created = await router.create_session(merchant)
    await router.pay(created.json()["checkoutUrl"], "paid")
    return merchant, created.json()["sessionId"]


async def test_a_completed_session_is_posted_signed_to_the_merchant(router: Harness) -> None:
    merchant, session_id = await _paid_session(router)
    report = await deliver_once(router.services)
    assert report.delivered == 1
    [request] = router.transport.merchant.received
    body = request.content.decode()
    # What a merchant would run: the standardwebhooks package verifies it.
    Webhook(merchant.webhook_secret).verify(body, dict(request.headers))
    event = json.loads(body)
    assert event["type"] == "session.completed"
    assert event["timestamp"].endswith("Z")
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    assert event["data"] == got.json()
    assert (await deliver_once(router.services)).delivered == 0  # delivered once, not again


async def test_a_forged_copy_does_not_verify(router: Harness) -> None:
    merchant, _ = await _paid_session(router)
    await deliver_once(router.services)
    [request] = router.transport.merchant.received
    tampered = request.content.decode().replace("COMPLETED", "FAILED")
    try:
        Webhook(merchant.webhook_secret).verify(tampered, dict(request.headers))
    except Exception as exc:  # the library's verification error
        assert "signature" in str(exc).lower()
    else:
        raise AssertionError("a tampered body verified")


async def test_failed_deliveries_are_retried_with_backoff_then_given_up(router: Harness) -> None:
    await _paid_session(router)
    endpoint = router.transport.merchant
    endpoint.answers = [500, 503]
    assert (await deliver_once(router.services)).retrying == 1
    assert (await deliver_once(router.services)).retrying == 0  # not due yet: waits 5 s
    router.clock.advance(seconds=5)
    assert (await deliver_once(router.services)).retrying == 1
    router.clock.advance(seconds=300)
    assert (await deliver_once(router.services)).delivered == 1
    ids = {r.headers["webhook-id"] for r in endpoint.received}
    assert len(endpoint.received) == 3 and len(ids) == 1  # the same message each time


async def test_delivery_gives_up_after_the_schedule(router: Harness) -> None:
    await _paid_session(router)
    router.transport.merchant.answers = [500] * 20
    given_up = 0
    for _ in range(10):
        given_up += (await deliver_once(router.services)).given_up
        router.clock.advance(hours=11)
    assert given_up == 1
    assert len(router.transport.merchant.received) == 8  # the first try and 7 retries


async def test_no_webhook_url_means_no_notification(router: Harness) -> None:
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    await router.pay(created.json()["checkoutUrl"], "paid")
    assert (await deliver_once(router.services)).delivered == 0
    assert router.transport.merchant.received == []


async def test_each_terminal_status_has_its_event_type(router: Harness) -> None:
    merchant = await router.merchant(webhook_url=MerchantEndpoint.URL)
    for key, outcome in (("a", "failed"), ("b", "cancelled")):
        created = await router.create_session(merchant, key=key)
        paid = await router.pay(created.json()["checkoutUrl"], outcome)
        await router.client.get(paid.headers["location"])
    created = await router.create_session(merchant, key="c")
    await router.client.post(
        f"/api/v1/sessions/{created.json()['sessionId']}/expire", headers=merchant.auth
    )
    await deliver_once(router.services)
    types = sorted(json.loads(r.content)["type"] for r in router.transport.merchant.received)
    assert types == ["session.cancelled", "session.expired", "session.failed"]
