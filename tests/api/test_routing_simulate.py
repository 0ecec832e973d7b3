"""POST /api/v1/routing/simulate ranks like a real creation and creates nothing."""

from __future__ import annotations

from typing import Any

from tests.harness import Harness, seed_bytes, seed_payload


async def _simulate(router: Harness, auth: dict[str, str], body: bytes) -> Any:
    return await router.client.post(
        "/api/v1/routing/simulate",
        content=body,
        headers={**auth, "Content-Type": "application/json"},
    )


async def test_simulate_ranks_and_explains_without_creating(router: Harness) -> None:
    merchant = await router.merchant()
    response = await _simulate(router, {**merchant.auth, "Idempotency-Key": "key-1"}, seed_bytes())
    assert response.status_code == 200
    ranking = response.json()
    assert ranking["selectedProvider"] == "stripe"
    assert 0 < ranking["score"] <= 100
    [stripe] = ranking["candidates"]
    assert stripe["provider"] == "stripe"
    assert set(stripe["factors"]) >= {"success_rate", "cost", "latency", "health", "priority"}
    assert stripe["score"] == ranking["score"]
    assert ranking["excluded"] == [
        {"provider": "crypto_collector", "reason": "payment method card not supported"}
    ]
    listed = await router.client.get("/api/v1/sessions", headers=merchant.auth)
    assert listed.json()["data"] == []
    created = await router.create_session(merchant)
    assert created.json()["routing"] == ranking


async def test_simulate_validates_like_a_creation_and_needs_a_token(router: Harness) -> None:
    merchant = await router.merchant()
    import json

    bad = seed_payload()
    bad["amount"]["total"] = 1
    response = await _simulate(router, merchant.auth, json.dumps(bad).encode())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "amount_mismatch"
    assert (await _simulate(router, {}, seed_bytes())).status_code == 401


async def test_kwd_amounts_stripe_cannot_charge_are_refused_before_any_call(
    router: Harness,
) -> None:
    import json

    merchant = await router.merchant()
    payload = seed_payload()
    payload.update(currency="KWD", amount={"total": 1.005, "shipping": 0, "tax": 0})
    payload["orderItems"] = [{"name": "Tea", "quantity": 1, "unitPrice": 1.005}]
    response = await router.create_session(merchant, json.dumps(payload).encode())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_eligible_provider"
    reasons = {d["provider"]: d["reason"] for d in error["details"]}
    assert "0.010 KWD" in reasons["stripe"]
