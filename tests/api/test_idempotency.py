"""Idempotency-Key with Stripe's semantics, decided by the database."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import MakeRouter
from tests.harness import Harness, seed_payload


async def _sessions(router: Harness, merchant: Any) -> list[dict[str, Any]]:
    listed = await router.client.get("/api/v1/sessions?limit=100", headers=merchant.auth)
    data: list[dict[str, Any]] = listed.json()["data"]
    return data


async def test_same_key_same_body_replays_the_first_response_byte_for_byte(router: Harness) -> None:
    merchant = await router.merchant()
    first = await router.create_session(merchant, key="order-1")
    second = await router.create_session(merchant, key="order-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    sessions = await _sessions(router, merchant)
    assert len(sessions) == 1
    assert len(sessions[0]["attempts"]) == 1


async def test_same_key_other_body_is_409(router: Harness) -> None:
    merchant = await router.merchant()
    await router.create_session(merchant, key="order-1")
    other = seed_payload()
    other["orderReference"] = "ORD-2024-002"
    response = await router.create_session(merchant, other, key="order-1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert len(await _sessions(router, merchant)) == 1


async def test_whitespace_and_key_order_do_not_make_another_body(router: Harness) -> None:
    import json

    merchant = await router.merchant()
    first = await router.create_session(merchant, key="k")
    reordered = json.dumps(dict(reversed(list(seed_payload().items())))).encode()
    again = await router.create_session(merchant, reordered, key="k")
    assert again.status_code == 201
    assert again.content == first.content


async def test_keys_belong_to_one_application(router: Harness) -> None:
    shop_a = await router.merchant("a")
    shop_b = await router.merchant("b")
    first = await router.create_session(shop_a, key="shared")
    second = await router.create_session(shop_b, key="shared")
    assert second.status_code == 201
    assert second.json()["sessionId"] != first.json()["sessionId"]


async def test_concurrent_duplicates_in_two_service_processes_create_one_session(
    make_router: MakeRouter,
) -> None:
    # Two app instances with their own engines on one database stand for two processes.
    one = await make_router()
    two = await make_router()
    merchant = await one.merchant()
    results = await asyncio.gather(
        *((one if i % 2 else two).create_session(merchant, key="race") for i in range(6))
    )
    statuses = sorted(r.status_code for r in results)
    assert 201 in statuses
    assert set(statuses) <= {201, 409}
    for response in results:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_key_in_use"
    bodies = {r.content for r in results if r.status_code == 201}
    assert len(bodies) == 1  # every 201 is the same session (the first, or its replay)
    assert len(await _sessions(one, merchant)) == 1
    sandbox_calls = [
        url for url in one.transport.refused + two.transport.refused if "checkout/sessions" in url
    ]
    assert sandbox_calls == []


async def test_keys_are_forgotten_after_24_hours(router: Harness) -> None:
    merchant = await router.merchant()
    await router.create_session(merchant, key="old")
    router.clock.advance(hours=24, seconds=1)
    await router.reauth(merchant)  # the token expired meanwhile
    other = seed_payload()
    other["orderReference"] = "ORD-NEXT-DAY"
    response = await router.create_session(merchant, other, key="old")
    assert response.status_code == 201


async def test_a_key_still_fresh_after_23_hours_replays(router: Harness) -> None:
    merchant = await router.merchant()
    first = await router.create_session(merchant, key="k")
    router.clock.advance(hours=23)
    await router.reauth(merchant)
    again = await router.create_session(merchant, key="k")
    assert again.content == first.content


async def test_a_502_is_replayed_too(make_router: MakeRouter) -> None:
    def broken(config: dict[str, Any]) -> None:
        config["providers"]["stripe"]["sandbox"] = {"fault": "error"}

    router = await make_router(broken)
    merchant = await router.merchant()
    first = await router.create_session(merchant, key="k")
    assert first.status_code == 502
    again = await router.create_session(merchant, key="k")
    assert again.status_code == 502
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"


async def test_rejected_requests_do_not_consume_the_key(router: Harness) -> None:
    merchant = await router.merchant()
    bad = seed_payload()
    bad["currency"] = "XYZ"
    assert (await router.create_session(merchant, bad, key="k")).status_code == 422
    crypto_aud = seed_payload()
    crypto_aud["paymentMethod"] = "crypto"
    rejected = await router.create_session(merchant, crypto_aud, key="k")
    assert rejected.status_code == 422
    assert rejected.json()["error"]["code"] == "no_eligible_provider"
    assert (await router.create_session(merchant, key="k")).status_code == 201
