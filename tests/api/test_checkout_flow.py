"""A card checkout end to end through the Stripe sandbox: create, pay, return, webhook."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.harness import PUBLIC_URL, Harness, Merchant

SUCCESS = "https://merchant.example.com/checkout/success"
FAILURE = "https://merchant.example.com/checkout/failure"


async def _created(router: Harness) -> tuple[Merchant, dict[str, object]]:
    merchant = await router.merchant()
    response = await router.create_session(merchant)
    assert response.status_code == 201, response.text
    return merchant, response.json()


async def _status(router: Harness, merchant: Merchant, session_id: str) -> str:
    response = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    assert response.status_code == 200
    status: str = response.json()["status"]
    return status


async def test_seed_payload_gets_a_stripe_checkout_page(router: Harness) -> None:
    _, body = await _created(router)
    assert body["status"] == "PENDING"
    assert body["routing"]["selectedProvider"] == "stripe"  # type: ignore[index]
    assert 0 <= body["routing"]["score"] <= 100  # type: ignore[index]
    assert str(body["expiresAt"]).endswith("Z") and str(body["createdAt"]).endswith("Z")
    checkout_url = str(body["checkoutUrl"])
    assert checkout_url.startswith(f"{PUBLIC_URL}/sandbox/stripe/pay/cs_test_")
    page = await router.client.get(checkout_url)
    assert page.status_code == 200
    assert "Wireless Headphones" in page.text
    assert "140.76" in page.text


@pytest.mark.parametrize(
    ("outcome", "final", "landing"),
    [
        ("paid", "COMPLETED", SUCCESS),
        ("failed", "FAILED", FAILURE),
        ("cancelled", "CANCELLED", FAILURE),
    ],
)
async def test_payer_lands_on_the_merchant_page_with_the_final_status(
    router: Harness, outcome: str, final: str, landing: str
) -> None:
    merchant, body = await _created(router)
    session_id = str(body["sessionId"])
    paid = await router.pay(str(body["checkoutUrl"]), outcome)
    assert paid.status_code == 303
    back = paid.headers["location"]
    assert back.startswith(f"{PUBLIC_URL}/checkout/return/{session_id}")
    redirect = await router.client.get(back)
    assert redirect.status_code == 303
    location = urlsplit(redirect.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == landing
    assert parse_qs(location.query)["sessionId"] == [session_id]
    assert await _status(router, merchant, session_id) == final


async def test_lost_webhook_is_healed_by_the_payer_return(router: Harness) -> None:
    merchant, body = await _created(router)
    session_id = str(body["sessionId"])
    router.transport.drop_prefixes.append("/api/v1/webhooks/")
    paid = await router.pay(str(body["checkoutUrl"]), "paid")
    assert any("/api/v1/webhooks/stripe" in url for url in router.transport.refused)
    assert await _status(router, merchant, session_id) == "PENDING"
    redirect = await router.client.get(paid.headers["location"])
    assert redirect.headers["location"].startswith(SUCCESS)
    assert await _status(router, merchant, session_id) == "COMPLETED"


async def test_webhook_alone_completes_the_session(router: Harness) -> None:
    merchant, body = await _created(router)
    await router.pay(str(body["checkoutUrl"]), "paid")  # the payer never comes back
    assert await _status(router, merchant, str(body["sessionId"])) == "COMPLETED"


async def test_expire_closes_the_session_at_stripe_too(router: Harness) -> None:
    merchant, body = await _created(router)
    session_id = str(body["sessionId"])
    response = await router.client.post(
        f"/api/v1/sessions/{session_id}/expire", headers=merchant.auth
    )
    assert response.status_code == 200
    assert response.json()["status"] == "EXPIRED"
    # The provider's page no longer takes a payment.
    late = await router.pay(str(body["checkoutUrl"]), "paid")
    assert late.status_code == 409
    assert await _status(router, merchant, session_id) == "EXPIRED"
    again = await router.client.post(f"/api/v1/sessions/{session_id}/expire", headers=merchant.auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "session_not_open"


async def test_expire_of_a_paid_session_is_refused(router: Harness) -> None:
    merchant, body = await _created(router)
    await router.pay(str(body["checkoutUrl"]), "paid")
    response = await router.client.post(
        f"/api/v1/sessions/{body['sessionId']}/expire", headers=merchant.auth
    )
    assert response.status_code == 409
    assert await _status(router, merchant, str(body["sessionId"])) == "COMPLETED"


async def test_placeholder_in_the_merchant_url_is_replaced(router: Harness) -> None:
    from tests.harness import seed_payload

    merchant = await router.merchant()
    payload = seed_payload()
    payload["redirectUrls"]["success"] = "https://m.example/ok?order=7&s={CHECKOUT_SESSION_ID}"
    response = await router.create_session(merchant, payload)
    body = response.json()
    paid = await router.pay(body["checkoutUrl"], "paid")
    redirect = await router.client.get(paid.headers["location"])
    assert redirect.headers["location"] == f"https://m.example/ok?order=7&s={body['sessionId']}"


async def test_unknown_session_return_is_404(router: Harness) -> None:
    response = await router.client.get("/checkout/return/nope?result=success")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
