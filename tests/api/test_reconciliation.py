"""Reconciliation: sessions left PENDING by a lost notification are settled with the provider."""

from __future__ import annotations

import asyncio
import re

from router.reconcile import reconcile_once
from tests.conftest import MakeRouter
from tests.harness import Harness, Merchant


async def _paid_without_notification(router: Harness, merchant: Merchant, key: str) -> str:
    router.transport.drop_prefixes.append("/api/v1/webhooks/")
    created = await router.create_session(merchant, key=key)
    assert created.status_code == 201
    await router.pay(created.json()["checkoutUrl"], "paid")
    session_id: str = created.json()["sessionId"]
    return session_id


async def _status(router: Harness, merchant: Merchant, session_id: str) -> str:
    await router.reauth(merchant)
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    return str(got.json()["status"])


async def test_a_lost_webhook_is_healed(router: Harness) -> None:
    merchant = await router.merchant()
    session_id = await _paid_without_notification(router, merchant, "k1")
    assert await _status(router, merchant, session_id) == "PENDING"
    router.clock.advance(seconds=301)
    report = await reconcile_once(router.services)
    assert report.checked == 1
    assert report.settled == {"COMPLETED": 1}
    assert await _status(router, merchant, session_id) == "COMPLETED"


async def test_young_sessions_are_left_alone(router: Harness) -> None:
    merchant = await router.merchant()
    await _paid_without_notification(router, merchant, "k1")
    router.clock.advance(seconds=299)
    assert (await reconcile_once(router.services)).checked == 0


async def test_a_pending_session_is_rechecked_on_an_interval_not_every_pass(
    router: Harness,
) -> None:
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    session_id = created.json()["sessionId"]
    router.clock.advance(seconds=301)
    assert (await reconcile_once(router.services)).checked == 1  # still open at Stripe
    assert (await reconcile_once(router.services)).checked == 0
    router.clock.advance(seconds=121)
    assert (await reconcile_once(router.services)).checked == 1
    assert await _status(router, merchant, session_id) == "PENDING"


async def test_sessions_past_expiry_are_expired_at_the_provider_too(router: Harness) -> None:
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    body = created.json()
    router.clock.advance(seconds=3601)
    report = await reconcile_once(router.services)
    assert report.settled == {"EXPIRED": 1}
    assert await _status(router, merchant, body["sessionId"]) == "EXPIRED"
    assert (await router.pay(body["checkoutUrl"], "paid")).status_code == 409


async def test_terminal_sessions_are_never_touched(router: Harness) -> None:
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    body = created.json()
    await router.pay(body["checkoutUrl"], "paid")
    router.clock.advance(days=2)
    assert (await reconcile_once(router.services)).checked == 0
    assert await _status(router, merchant, body["sessionId"]) == "COMPLETED"


def _status_calls(metrics_text: str) -> float:
    pattern = (
        r"payrouter_provider_call_seconds_count"
        r'\{operation="status",outcome="ok",provider="stripe"\} (\S+)'
    )
    match = re.search(pattern, metrics_text)
    return float(match.group(1)) if match else 0.0


async def test_two_processes_never_reconcile_one_session_twice(make_router: MakeRouter) -> None:
    one = await make_router()
    two = await make_router()
    two.transport.app = one.app  # both talk to the one provider (the first app's sandbox)
    merchant = await one.merchant()
    sessions = [await _paid_without_notification(one, merchant, f"k{i}") for i in range(4)]
    one.clock.advance(seconds=301)
    reports = await asyncio.gather(reconcile_once(one.services), reconcile_once(two.services))
    assert sum(r.checked for r in reports) == 4
    assert sum(r.settled["COMPLETED"] for r in reports) == 4
    calls = [_status_calls((await h.client.get("/metrics")).text) for h in (one, two)]
    assert sum(calls) == 4
    for session_id in sessions:
        assert await _status(one, merchant, session_id) == "COMPLETED"
