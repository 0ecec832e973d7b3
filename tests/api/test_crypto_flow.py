"""A crypto checkout through the collector sandbox: IPN re-read, reconciliation, edge cases."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from router.reconcile import reconcile_once
from tests.conftest import MakeRouter
from tests.harness import PUBLIC_URL, Harness, Merchant, seed_payload

SUCCESS = "https://merchant.example.com/checkout/success"
FAILURE = "https://merchant.example.com/checkout/failure"


def crypto_order(currency: str = "USD") -> dict[str, Any]:
    payload = seed_payload()
    payload["paymentMethod"] = "crypto"
    payload["currency"] = currency
    return payload


async def _create(
    router: Harness, merchant: Merchant, key: str = "c1", **kw: Any
) -> dict[str, Any]:
    response = await router.create_session(merchant, crypto_order(**kw), key=key)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _get(router: Harness, merchant: Merchant, session_id: str) -> dict[str, Any]:
    await router.reauth(merchant)
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    data: dict[str, Any] = got.json()
    return data


def _landing(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def test_crypto_order_is_routed_to_the_collector_and_shows_its_page(router: Harness) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    assert body["routing"]["selectedProvider"] == "crypto_collector"
    assert body["checkoutUrl"].startswith(f"{PUBLIC_URL}/sandbox/crypto_collector/")
    page = await router.client.get(body["checkoutUrl"])
    assert page.status_code == 200
    assert "USDT" in page.text
    assert "<svg" in page.text or "qr" in page.text.lower()


@pytest.mark.parametrize(
    ("outcome", "final", "landing"),
    [
        ("paid", "COMPLETED", SUCCESS),
        ("overpaid", "COMPLETED", SUCCESS),
        ("failed", "FAILED", FAILURE),
        ("underpaid", "PENDING", SUCCESS),
    ],
)
async def test_outcomes_via_the_ipn_and_the_payer_return(
    router: Harness, outcome: str, final: str, landing: str
) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    paid = await router.pay(body["checkoutUrl"], outcome)
    assert paid.status_code == 303
    assert paid.headers["location"].startswith(f"{PUBLIC_URL}/checkout/return/{body['sessionId']}")
    back = await router.client.get(paid.headers["location"])
    assert back.status_code == 303
    assert _landing(back.headers["location"]) == landing
    assert (await _get(router, merchant, body["sessionId"]))["status"] == final


async def test_a_cancelled_crypto_payment_sends_the_payer_to_the_failure_page(
    router: Harness,
) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    paid = await router.pay(body["checkoutUrl"], "cancelled")
    back = await router.client.get(paid.headers["location"])
    assert _landing(back.headers["location"]) == FAILURE
    # The collector cannot close a payment: the session stays open until it expires, so a
    # transfer already on its way is not lost.
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "PENDING"


async def test_underpaid_stays_pending_until_it_expires(router: Harness) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    await router.pay(body["checkoutUrl"], "underpaid")
    router.clock.advance(seconds=301)
    await reconcile_once(router.services)
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "PENDING"
    router.clock.advance(hours=2)  # past both expiries
    await reconcile_once(router.services)
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "EXPIRED"


async def test_a_lost_ipn_is_healed_by_reconciliation(router: Harness) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    router.transport.drop_prefixes.append("/api/v1/webhooks/")
    await router.pay(body["checkoutUrl"], "paid")
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "PENDING"
    router.clock.advance(seconds=301)
    report = await reconcile_once(router.services)
    assert report.settled == {"COMPLETED": 1}
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "COMPLETED"


async def _ipn(router: Harness, payload: dict[str, Any] | bytes) -> Any:
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await router.client.post(
        "/api/v1/webhooks/crypto_collector",
        content=content,
        headers={"Content-Type": "application/json"},
    )


async def test_a_forged_ipn_is_not_believed(router: Harness) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    reference = (await _get(router, merchant, body["sessionId"]))["provider"]["reference"]
    forged = {"eventId": "evt_forged", "paymentId": reference, "id": reference, "status": "paid"}
    response = await _ipn(router, forged)
    assert response.status_code == 200
    # The router asked the collector, which says the payment is not paid.
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "PENDING"


async def test_replayed_and_late_ipns_change_nothing(router: Harness) -> None:
    merchant = await router.merchant()
    body = await _create(router, merchant)
    await router.pay(body["checkoutUrl"], "paid")
    reference = (await _get(router, merchant, body["sessionId"]))["provider"]["reference"]
    for event in ("evt_late_1", "evt_late_1", "evt_late_2"):
        late = {"eventId": event, "paymentId": reference, "status": "expired"}
        assert (await _ipn(router, late)).status_code == 200
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "COMPLETED"


async def test_ipn_for_an_unknown_payment_and_garbage(router: Harness) -> None:
    unknown = await _ipn(router, {"eventId": "e1", "paymentId": "pay_nobody", "status": "paid"})
    assert unknown.status_code == 200
    garbage = await _ipn(router, b"{not json")
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "webhook_verification_failed"
    no_id = await _ipn(router, {"status": "paid"})
    assert no_id.status_code == 400


async def test_ipn_while_the_collector_is_down_asks_for_a_retry(make_router: MakeRouter) -> None:
    router = await make_router()
    merchant = await router.merchant()
    body = await _create(router, merchant)
    reference = (await _get(router, merchant, body["sessionId"]))["provider"]["reference"]
    state = router.services.registry.get("crypto_collector")
    assert state is not None
    router.transport.drop_prefixes.append("/sandbox/crypto_collector/v1/")
    response = await _ipn(router, {"eventId": "e2", "paymentId": reference, "status": "paid"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_unavailable"
    router.transport.drop_prefixes.clear()
    await router.pay(body["checkoutUrl"], "paid")
    assert (await _get(router, merchant, body["sessionId"]))["status"] == "COMPLETED"


async def test_aud_crypto_is_refused_without_a_conversion(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.create_session(merchant, crypto_order("AUD"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_eligible_provider"
    reasons = {d["provider"]: d["reason"] for d in error["details"]}
    assert "AUD" in reasons["crypto_collector"]


async def test_aud_crypto_is_converted_with_a_configured_rate(make_router: MakeRouter) -> None:
    def with_rate(config: dict[str, Any]) -> None:
        collector = config["providers"]["crypto_collector"]
        collector["currencies"] = ["USD", "LKR", "AUD"]
        collector["options"] = {
            "conversion": {"AUD": {"to": "USD", "rate": "0.65", "as_of": "2026-11-01"}}
        }

    router = await make_router(with_rate)
    merchant = await router.merchant()
    body = await _create(router, merchant, currency="AUD")
    page = await router.client.get(body["checkoutUrl"])
    assert "91.49" in page.text  # 140.76 AUD x 0.65 = 91.494 -> 91.49 USD


async def test_a_wrong_collector_secret_is_a_clear_error_naming_the_instance(
    make_router: MakeRouter,
) -> None:
    collector = await make_router()  # plays the collector, with its own (sandbox) secret

    def wrong_secret(config: dict[str, Any]) -> None:
        instance = config["providers"]["crypto_collector"]
        instance["credentials"] = {"api_secret": "COLLECTOR_SECRET"}
        instance["sandbox"] = {"url": f"{PUBLIC_URL}/sandbox/crypto_collector"}

    router = await make_router(wrong_secret, environ={"COLLECTOR_SECRET": "sk_wrong_value"})
    router.transport.app = collector.app
    merchant = await router.merchant()
    response = await router.create_session(merchant, crypto_order())
    assert response.status_code == 502
    [detail] = response.json()["error"]["details"]
    assert detail["retryable"] is False
    assert "crypto_collector" in detail["message"]
    assert "sk_wrong_value" not in response.text
