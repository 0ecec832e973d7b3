"""Money- and security-relevant edges found in review, each through the public surface."""

from __future__ import annotations

import base64
import json
from typing import Any

from router.notify import deliver_once
from router.reconcile import reconcile_once
from tests.conftest import MakeRouter
from tests.harness import Harness, MerchantEndpoint, seed_bytes, seed_payload


def crypto_order() -> dict[str, Any]:
    payload = seed_payload()
    payload.update(paymentMethod="crypto", currency="USD")
    return payload


async def _reference(router: Harness, merchant: Any, session_id: str) -> str:
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    return str(got.json()["provider"]["reference"])


async def _status(router: Harness, merchant: Any, session_id: str) -> str:
    await router.reauth(merchant)
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    return str(got.json()["status"])


async def test_the_return_url_cannot_be_forged_to_cancel_a_checkout(router: Harness) -> None:
    merchant = await router.merchant()
    body = (await router.create_session(merchant)).json()
    session_id = body["sessionId"]
    for query in ("result=cancel", "result=cancel&token=0000", "result=success&token=x"):
        response = await router.client.get(f"/checkout/return/{session_id}?{query}")
        assert response.status_code == 404
    assert await _status(router, merchant, session_id) == "PENDING"
    assert (await router.pay(body["checkoutUrl"], "paid")).status_code == 303  # still payable


async def test_a_crypto_payment_after_expiry_is_flagged_not_lost(router: Harness) -> None:
    merchant = await router.merchant(webhook_url=MerchantEndpoint.URL)
    body = (await router.create_session(merchant, crypto_order())).json()
    expired = await router.client.post(
        f"/api/v1/sessions/{body['sessionId']}/expire", headers=merchant.auth
    )
    assert expired.json()["status"] == "EXPIRED"
    await router.pay(body["checkoutUrl"], "paid")  # the collector cannot close the page
    assert await _status(router, merchant, body["sessionId"]) == "EXPIRED"
    await deliver_once(router.services)
    types = [json.loads(r.content)["type"] for r in router.transport.merchant.received]
    assert types == ["session.expired", "session.late_payment"]
    metrics = (await router.client.get("/metrics")).text
    assert 'payrouter_late_payments_total{provider="crypto_collector"} 1.0' in metrics


async def test_a_forged_ipn_cannot_pre_empt_the_genuine_one(router: Harness) -> None:
    merchant = await router.merchant()
    body = (await router.create_session(merchant, crypto_order())).json()
    reference = await _reference(router, merchant, body["sessionId"])
    forged = {"paymentId": reference, "status": "paid"}  # the id a genuine one would carry
    response = await router.client.post(
        "/api/v1/webhooks/crypto_collector",
        content=json.dumps(forged).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert await _status(router, merchant, body["sessionId"]) == "PENDING"
    router.transport.drop_prefixes.append("/checkout/return/")  # only the IPN can tell now
    await router.pay(body["checkoutUrl"], "paid")
    assert await _status(router, merchant, body["sessionId"]) == "COMPLETED"


async def test_malformed_notification_identifiers_are_400_not_500(router: Harness) -> None:
    for bad in ("\ud800x", "x" * 300, "a\u0000b"):
        response = await router.client.post(
            "/api/v1/webhooks/crypto_collector",
            content=json.dumps({"paymentId": bad, "eventId": bad, "status": "paid"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "webhook_verification_failed"


async def test_a_creation_that_fails_everywhere_notifies_the_merchant(
    make_router: MakeRouter,
) -> None:
    def broken(config: dict[str, Any]) -> None:
        config["providers"]["stripe"]["sandbox"] = {"fault": "error"}

    router = await make_router(broken)
    merchant = await router.merchant(webhook_url=MerchantEndpoint.URL)
    assert (await router.create_session(merchant)).status_code == 502
    await deliver_once(router.services)
    [request] = router.transport.merchant.received
    event = json.loads(request.content)
    assert (event["type"], event["data"]["status"]) == ("session.failed", "FAILED")


async def test_requests_a_provider_refuses_do_not_trip_its_breaker(make_router: MakeRouter) -> None:
    def tweak(config: dict[str, Any]) -> None:
        config["routing"] = {"circuit_breaker": {"failure_threshold": 2, "cooldown_seconds": 30}}

    router = await make_router(tweak)
    merchant = await router.merchant()
    huge = seed_payload()
    huge["currency"] = "USD"
    huge["amount"] = {"total": 1000000, "shipping": 0, "tax": 0}
    huge["orderItems"] = [{"name": "Yacht", "quantity": 1, "unitPrice": 1000000}]
    response = await router.create_session(merchant, huge, key="huge")
    assert response.status_code == 422  # beyond Stripe's maximum: refused before any call
    reasons = {d["provider"]: d["reason"] for d in response.json()["error"]["details"]}
    assert "maximum" in reasons["stripe"]
    health = (await router.client.get("/api/health")).json()
    assert health["providers"]["stripe"]["circuit"] == "closed"


async def test_failing_fast_does_not_make_an_instance_look_fast(make_router: MakeRouter) -> None:
    def tweak(config: dict[str, Any]) -> None:
        stripe = config["providers"]["stripe"]
        stripe["sandbox"] = {"fault": "error"}
        config["providers"]["stripe_backup"] = {**stripe, "sandbox": {"fault": "none"}}

    router = await make_router(tweak)
    merchant = await router.merchant()
    await router.create_session(merchant, key="a")
    simulated = await router.client.post(
        "/api/v1/routing/simulate",
        content=seed_bytes(),
        headers={**merchant.auth, "Content-Type": "application/json"},
    )
    factors = {c["provider"]: c["factors"] for c in simulated.json()["candidates"]}
    assert factors["stripe"]["latency"] == 0.5  # unknown: its only calls failed
    assert factors["stripe_backup"]["latency"] > 0.5


async def test_an_out_of_range_cursor_is_a_validation_error(router: Harness) -> None:
    merchant = await router.merchant()
    raw = json.dumps(["0001-01-01T00:00:00+14:00", "8d9f8a3e-0000-4000-8000-000000000000"])
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    response = await router.client.get(f"/api/v1/sessions?cursor={cursor}", headers=merchant.auth)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "cursor"


async def test_a_body_without_content_type_is_read_as_json(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.client.post(
        "/api/v1/sessions",
        content=seed_bytes(),
        headers={**merchant.auth, "Idempotency-Key": "no-type"},
    )
    assert response.status_code == 201
    form = await router.client.post(
        "/api/v1/sessions",
        content=seed_bytes(),
        headers={
            **merchant.auth,
            "Idempotency-Key": "form",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert form.status_code == 415


async def test_sessions_of_a_removed_instance_are_never_expired_blind(
    make_router: MakeRouter,
) -> None:
    one = await make_router()
    merchant = await one.merchant()
    body = (await one.create_session(merchant)).json()

    def without_stripe(config: dict[str, Any]) -> None:
        del config["providers"]["stripe"]

    two = await make_router(without_stripe)
    two.clock.advance(hours=3)
    report = await reconcile_once(two.services)
    assert report.settled == {}
    assert await _status(one, merchant, body["sessionId"]) == "PENDING"


async def test_blank_required_text_is_a_validation_error(router: Harness) -> None:
    merchant = await router.merchant()
    payload = seed_payload()
    payload["orderReference"] = "   "
    payload["orderItems"][0]["name"] = "\t "
    response = await router.create_session(merchant, payload)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"orderReference", "orderItems.0.name"}
