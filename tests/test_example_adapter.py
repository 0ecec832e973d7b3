"""The router loads the example adapter package (examples/payrouter-example-adapter) through
its entry point, as it would any outside adapter, and routes a real checkout to it."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from typing import Any

import pytest

from tests.conftest import MakeRouter
from tests.harness import PUBLIC_URL, Harness, Merchant, seed_payload

INSTANCE = "example_pay"


def require_example_package() -> None:
    """Fail (never skip) when the example package is not installed: the test is how we
    know an outside adapter still plugs in."""
    if not entry_points(group="payrouter.providers", name=INSTANCE):
        pytest.fail(
            "the example adapter package is not installed (no entry point example_pay in "
            "group payrouter.providers): run `make test`, which installs it, or "
            "`.venv/bin/pip install -e examples/payrouter-example-adapter`"
        )


def add_example_pay(config: dict[str, Any]) -> None:
    config["providers"][INSTANCE] = {
        "adapter": "example_pay",
        "mode": "sandbox",
        "currencies": ["USD"],
        "methods": ["card"],
        "priority": 99,
    }


async def start(make_router: MakeRouter) -> tuple[Harness, Merchant, dict[str, Any]]:
    require_example_package()
    router = await make_router(add_example_pay)
    merchant = await router.merchant()
    payload = seed_payload()
    payload["currency"] = "USD"
    response = await router.create_session(merchant, payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return router, merchant, body


async def status_of(router: Harness, merchant: Merchant, session_id: str) -> str:
    response = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def test_a_usd_card_checkout_is_routed_to_the_example_adapter(
    make_router: MakeRouter,
) -> None:
    router, _, body = await start(make_router)
    assert body["routing"]["selectedProvider"] == INSTANCE
    assert body["status"] == "PENDING"
    checkout_url = str(body["checkoutUrl"])
    assert checkout_url.startswith(f"{PUBLIC_URL}/sandbox/{INSTANCE}/pay/chk_")
    page = await router.client.get(checkout_url)
    assert page.status_code == 200
    assert "USD 140.76" in page.text  # seed 003's total, in minor units and back


@pytest.mark.parametrize(("outcome", "final"), [("paid", "COMPLETED"), ("failed", "FAILED")])
async def test_the_example_sandbox_webhook_settles_the_session(
    make_router: MakeRouter, outcome: str, final: str
) -> None:
    router, merchant, body = await start(make_router)
    session_id = str(body["sessionId"])
    paid = await router.pay(str(body["checkoutUrl"]), outcome)
    assert paid.status_code == 303
    # The payer has not come back yet: the signed webhook alone settled the session.
    assert await status_of(router, merchant, session_id) == final
    back = await router.client.get(paid.headers["location"])
    assert back.status_code == 303
    assert await status_of(router, merchant, session_id) == final


async def test_a_forged_example_webhook_is_refused(make_router: MakeRouter) -> None:
    router, merchant, body = await start(make_router)
    session_id = str(body["sessionId"])
    read = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    reference = read.json()["provider"]["reference"]
    assert str(body["checkoutUrl"]).endswith(f"/pay/{reference}")
    event = {
        "id": "evt_forged",
        "type": "checkout.paid",
        "data": {"id": reference, "session_id": session_id, "status": "paid"},
    }
    forged = await router.client.post(
        f"/api/v1/webhooks/{INSTANCE}",
        content=json.dumps(event).encode(),
        headers={
            "Content-Type": "application/json",
            "X-ExamplePay-Timestamp": str(int(router.clock().timestamp())),
            "X-ExamplePay-Signature": "sha256=" + "0" * 64,
        },
    )
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "webhook_verification_failed"
    assert await status_of(router, merchant, session_id) == "PENDING"
