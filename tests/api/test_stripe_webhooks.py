"""POST /api/v1/webhooks/stripe: verified, deduplicated, order-safe."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from tests.harness import Harness, Merchant

SANDBOX_WEBHOOK_SECRET = "whsec_payrouter_sandbox"


def signed(
    event: dict[str, Any], timestamp: int, secret: str = SANDBOX_WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(event).encode()
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return payload, {
        "Stripe-Signature": f"t={timestamp},v1={digest}",
        "Content-Type": "application/json",
    }


def event(
    event_id: str, kind: str, reference: str, session_id: str, **session: Any
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": 1,
        "livemode": False,
        "data": {
            "object": {
                "id": reference,
                "object": "checkout.session",
                "metadata": {"payrouter_session_id": session_id},
                **session,
            }
        },
    }


async def _session(router: Harness) -> tuple[Merchant, str, str]:
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    assert created.status_code == 201
    session_id = created.json()["sessionId"]
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    return merchant, session_id, got.json()["provider"]["reference"]


async def _post(router: Harness, body: dict[str, Any], **kw: Any) -> Any:
    payload, headers = signed(body, int(router.clock().timestamp()), **kw)
    return await router.client.post("/api/v1/webhooks/stripe", content=payload, headers=headers)


async def _status(router: Harness, merchant: Merchant, session_id: str) -> str:
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    return str(got.json()["status"])


async def test_duplicate_delivery_is_acknowledged_once(router: Harness) -> None:
    merchant, session_id, reference = await _session(router)
    completed = event(
        "evt_1",
        "checkout.session.completed",
        reference,
        session_id,
        status="complete",
        payment_status="paid",
    )
    first = await _post(router, completed)
    assert first.status_code == 200
    assert first.json() == {"received": True, "duplicate": False}
    again = await _post(router, completed)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert await _status(router, merchant, session_id) == "COMPLETED"


async def test_a_terminal_status_never_changes_whatever_arrives_later(router: Harness) -> None:
    merchant, session_id, reference = await _session(router)
    expired = event("evt_exp", "checkout.session.expired", reference, session_id, status="expired")
    assert (await _post(router, expired)).status_code == 200
    assert await _status(router, merchant, session_id) == "EXPIRED"
    late = event(
        "evt_paid",
        "checkout.session.completed",
        reference,
        session_id,
        status="complete",
        payment_status="paid",
    )
    assert (await _post(router, late)).status_code == 200
    assert await _status(router, merchant, session_id) == "EXPIRED"


async def test_unpaid_completion_waits_for_the_async_result(router: Harness) -> None:
    merchant, session_id, reference = await _session(router)
    unpaid = event(
        "evt_u",
        "checkout.session.completed",
        reference,
        session_id,
        status="complete",
        payment_status="unpaid",
    )
    assert (await _post(router, unpaid)).status_code == 200
    assert await _status(router, merchant, session_id) == "PENDING"
    failed = event(
        "evt_f",
        "checkout.session.async_payment_failed",
        reference,
        session_id,
        status="complete",
        payment_status="unpaid",
    )
    assert (await _post(router, failed)).status_code == 200
    assert await _status(router, merchant, session_id) == "FAILED"


async def test_forged_signature_is_rejected_and_changes_nothing(router: Harness) -> None:
    merchant, session_id, reference = await _session(router)
    body = event(
        "evt_forged",
        "checkout.session.completed",
        reference,
        session_id,
        status="complete",
        payment_status="paid",
    )
    response = await _post(router, body, secret="whsec_attacker")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_verification_failed"
    assert await _status(router, merchant, session_id) == "PENDING"
    # The forged id was not recorded: the genuine event with that id still applies.
    assert (await _post(router, body)).json()["duplicate"] is False
    assert await _status(router, merchant, session_id) == "COMPLETED"


async def test_stale_signature_is_rejected(router: Harness) -> None:
    merchant, session_id, reference = await _session(router)
    body = event(
        "evt_old",
        "checkout.session.completed",
        reference,
        session_id,
        status="complete",
        payment_status="paid",
    )
    payload, headers = signed(body, int(router.clock().timestamp()) - 301)
    response = await router.client.post("/api/v1/webhooks/stripe", content=payload, headers=headers)
    assert response.status_code == 400
    assert await _status(router, merchant, session_id) == "PENDING"


async def test_missing_signature_and_garbage_are_rejected(router: Harness) -> None:
    for headers, content in (({}, b"{}"), ({"Stripe-Signature": "t=1,v1=zz"}, b"not json")):
        response = await router.client.post(
            "/api/v1/webhooks/stripe", content=content, headers=headers
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "webhook_verification_failed"


async def test_unknown_provider_is_404(router: Harness) -> None:
    response = await router.client.post("/api/v1/webhooks/paypal", content=b"{}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_event_for_a_session_we_do_not_know_is_acknowledged(router: Harness) -> None:
    body = event(
        "evt_other",
        "checkout.session.completed",
        "cs_test_not_ours",
        "nope",
        status="complete",
        payment_status="paid",
    )
    response = await _post(router, body)
    assert response.status_code == 200
