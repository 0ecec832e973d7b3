"""The crypto collector sandbox over HTTP (httpx.ASGITransport): API, pages, IPNs, faults."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from providers.base import SandboxContext
from providers.crypto_collector.signing import signed_headers
from providers.sandbox.collector_sandbox import build_collector_sandbox, with_query
from router.settings import ProviderInstanceSettings

START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
BASE_URL = "http://sandbox.test"
WEBHOOK_URL = "http://router.test/api/v1/webhooks/cc"
API_KEY = "ak_test_sandbox"
API_SECRET = "sk_test_sandbox_secret"
CREATE_PATH = "/v1/sdk/checkout/sessions"
SESSION_BODY: dict[str, Any] = {
    "amount": "140.76",
    "currency": "USD",
    "successUrl": "https://router.test/return/s1?kind=success",
    "cancelUrl": "https://router.test/return/s1?kind=cancel#top",
    "orderId": "order-1",
    "description": "Order ORD-1001",
    "customerEmail": "payer@example.com",
    "metadata": {"orderReference": "ORD-1001", "payrouter_session_id": "sess-1"},
}


@dataclass
class Harness:
    client: httpx.AsyncClient
    app: Any
    now: datetime = START
    sleeps: list[float] = field(default_factory=list)
    ipns: list[dict[str, Any]] = field(default_factory=list)
    webhook_status: int = 200

    def sign(self, method: str, path: str, body: bytes, **overrides: Any) -> dict[str, str]:
        args: dict[str, Any] = {"api_key": API_KEY, "secret": API_SECRET, "now": self.now}
        args.update(overrides)
        return signed_headers(args["api_key"], args["secret"], method, path, body, now=args["now"])

    async def create(
        self, payload: Any = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body = json.dumps(SESSION_BODY if payload is None else payload).encode()
        return await self.client.post(
            CREATE_PATH,
            content=body,
            headers={**self.sign("POST", CREATE_PATH, body), **(headers or {})},
        )

    async def read(self, payment_id: str) -> httpx.Response:
        path = f"/v1/payments/{payment_id}"
        return await self.client.get(path, headers=self.sign("GET", path, b""))

    async def settle(self, session_id: str, outcome: str) -> httpx.Response:
        return await self.client.post(f"/session/{session_id}/outcome", data={"outcome": outcome})


@asynccontextmanager
async def sandbox(**sandbox_settings: Any) -> AsyncIterator[Harness]:
    settings = ProviderInstanceSettings.model_validate(
        {
            "adapter": "crypto_collector",
            "currencies": ["USD", "LKR"],
            "methods": ["crypto"],
            "sandbox": sandbox_settings,
        }
    )
    holder: list[Harness] = []

    async def webhook(request: httpx.Request) -> httpx.Response:
        harness = holder[0]
        assert str(request.url) == WEBHOOK_URL
        harness.ipns.append(json.loads(request.content))
        return httpx.Response(harness.webhook_status)

    async def sleep(seconds: float) -> None:
        holder[0].sleeps.append(seconds)

    async with httpx.AsyncClient(transport=httpx.MockTransport(webhook)) as ipn_http:
        app = build_collector_sandbox(
            SandboxContext(
                instance_name="cc",
                settings=settings,
                credentials={"api_key": API_KEY, "api_secret": API_SECRET},
                base_url=BASE_URL,
                webhook_url=WEBHOOK_URL,
                http=ipn_http,
                clock=lambda: holder[0].now,
                sleep=sleep,
            )
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            holder.append(Harness(client, app))
            yield holder[0]


async def created_session(harness: Harness, payload: Any = None) -> dict[str, Any]:
    response = await harness.create(payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_answers_201_with_a_session_and_a_payment() -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
    assert set(created) == {"sessionId", "paymentId", "checkoutUrl", "expiresAt"}
    assert created["sessionId"].startswith("cs_")
    assert created["paymentId"].startswith("pay_")
    assert created["checkoutUrl"] == f"{BASE_URL}/session/{created['sessionId']}"
    assert created["expiresAt"] == "2026-11-02T11:00:00Z"


async def test_get_shows_seed_002s_fields() -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
        response = await harness.read(created["paymentId"])
        again = (await harness.read(created["paymentId"])).json()
    assert response.status_code == 200
    payment = response.json()
    assert {
        "id", "status", "amount", "currency", "cryptoAmount", "cryptoAddress", "qrCodeUrl",
        "checkoutUrl", "description", "metadata", "txHash", "paidAt", "expiresAt", "createdAt",
    } <= set(payment)  # fmt: skip
    assert payment["id"] == created["paymentId"]
    assert payment["status"] == "initiated"
    assert (payment["amount"], payment["currency"]) == ("140.76", "USD")
    assert payment["cryptoAmount"] == "140.900760"  # 140.76 x 1.001, 6 decimals
    assert re.fullmatch(r"0x[0-9a-f]{40}", payment["cryptoAddress"])
    assert again["cryptoAddress"] == payment["cryptoAddress"]
    assert payment["checkoutUrl"] == created["checkoutUrl"]
    assert payment["metadata"] == SESSION_BODY["metadata"]
    assert (payment["txHash"], payment["paidAt"]) == (None, None)
    assert payment["createdAt"] == "2026-11-02T10:00:00Z"
    assert payment["expiresAt"] == created["expiresAt"]


async def test_lkr_and_a_json_number_amount() -> None:
    async with sandbox() as harness:
        lkr = await created_session(
            harness, {**SESSION_BODY, "amount": "1000.00", "currency": "LKR", "orderId": "o2"}
        )
        number = await created_session(harness, {**SESSION_BODY, "amount": 49.99, "orderId": "o3"})
        lkr_payment = (await harness.read(lkr["paymentId"])).json()
        number_payment = (await harness.read(number["paymentId"])).json()
    assert lkr_payment["cryptoAmount"] == "3.300000"
    assert number_payment["amount"] == "49.99"
    assert number_payment["cryptoAmount"] == "50.039990"


@pytest.mark.parametrize(
    "overrides",
    [
        {"headers": {"X-Signature": "0" * 64}},
        {"headers": {"X-API-Key": "ak_other"}},
        {"secret": "sk_wrong"},
        {"now": START - timedelta(minutes=5, seconds=1)},
        {"now": START + timedelta(minutes=5, seconds=1)},
        {"drop": "X-Timestamp"},
    ],
)
async def test_a_bad_or_stale_signature_is_401(overrides: dict[str, Any]) -> None:
    async with sandbox() as harness:
        body = json.dumps(SESSION_BODY).encode()
        sign_with = {k: v for k, v in overrides.items() if k in ("secret", "now")}
        headers = {**harness.sign("POST", CREATE_PATH, body, **sign_with)}
        headers.update(overrides.get("headers", {}))
        headers.pop(overrides.get("drop", ""), None)
        response = await harness.client.post(CREATE_PATH, content=body, headers=headers)
        read = await harness.client.get("/v1/payments/pay_x", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert API_SECRET not in response.text
    assert read.status_code == 401


async def test_a_signature_over_another_body_is_401() -> None:
    async with sandbox() as harness:
        body = json.dumps(SESSION_BODY).encode()
        headers = harness.sign("POST", CREATE_PATH, body)
        tampered = body.replace(b"140.76", b"1.40")
        response = await harness.client.post(CREATE_PATH, content=tampered, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"amount": "1.001"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": "0.99"}, "amount"),
        ({"amount": "1000.005", "currency": "LKR"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"currency": None}, "currency"),
        ({"successUrl": "/return"}, "successUrl"),
        ({"successUrl": "javascript:alert(1)"}, "successUrl"),
        ({"cancelUrl": None}, "cancelUrl"),
        ({"metadata": ["x"]}, "metadata"),
        ({"description": "x" * 101}, "description"),
    ],
)
async def test_invalid_bodies_are_400(changes: dict[str, Any], field_name: str) -> None:
    payload = {k: v for k, v in {**SESSION_BODY, **changes}.items() if v is not None}
    async with sandbox() as harness:
        response = await harness.create(payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"].startswith(field_name)


async def test_a_body_that_is_not_a_json_object_is_400() -> None:
    async with sandbox() as harness:
        for body in (b"nope", b"[1]", b"[" * 100_000):
            response = await harness.client.post(
                CREATE_PATH, content=body, headers=harness.sign("POST", CREATE_PATH, body)
            )
            assert response.status_code == 400


async def test_the_idempotency_key_returns_the_same_session() -> None:
    async with sandbox() as harness:
        first = await harness.create(headers={"Idempotency-Key": "k1"})
        again = await harness.create(headers={"Idempotency-Key": "k1"})
        other_body = await harness.create(
            {**SESSION_BODY, "amount": "2.00"}, headers={"Idempotency-Key": "k1"}
        )
        duplicate_order = await harness.create(headers={"Idempotency-Key": "k2"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert duplicate_order.status_code == 409
    assert duplicate_order.json()["error"]["code"] == "DUPLICATE_ORDER"


async def test_an_unknown_payment_is_404() -> None:
    async with sandbox() as harness:
        response = await harness.read("pay_unknown")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_the_hosted_page_shows_what_to_pay_with_everything_escaped() -> None:
    async with sandbox() as harness:
        created = await created_session(
            harness, {**SESSION_BODY, "description": "<script>alert('x')</script>"}
        )
        payment = (await harness.read(created["paymentId"])).json()
        page = await harness.client.get(created["checkoutUrl"])
        qr = await harness.client.get(payment["qrCodeUrl"])
        missing = await harness.client.get("/session/cs_unknown")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "140.900760 USDT" in html
    assert payment["cryptoAddress"] in html
    assert "140.76 USD" in html
    assert "<svg" in html and "http://" not in html.split("<svg", 1)[1].split("</svg>")[0]
    assert f'action="{created["checkoutUrl"]}/outcome"' in html
    for outcome in ("paid", "overpaid", "underpaid", "failed", "cancelled"):
        assert f'name="outcome" value="{outcome}"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<link" not in html and "src=" not in html  # no external assets
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert missing.status_code == 404


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize(
    ("outcome", "target", "router_status", "collector_status"),
    [
        ("paid", "https://router.test/return/s1", "COMPLETED", "paid"),
        ("overpaid", "https://router.test/return/s1", "COMPLETED", "paid"),
        ("underpaid", "https://router.test/return/s1", "PENDING", "pending"),
        ("failed", "https://router.test/return/s1", "FAILED", "failed"),
    ],
)
async def test_each_outcome_redirects_and_sends_an_ipn(
    outcome: str, target: str, router_status: str, collector_status: str
) -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
        harness.now = START + timedelta(minutes=3)
        response = await harness.settle(created["sessionId"], outcome)
        payment = (await harness.read(created["paymentId"])).json()
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(target + "?")
    expected_kind = "cancel" if outcome == "failed" else "success"
    assert _query(location) == {
        "kind": [expected_kind],
        "sessionId": [created["sessionId"]],
        "status": [router_status],
    }
    assert payment["status"] == collector_status
    (ipn,) = harness.ipns
    assert ipn["paymentId"] == ipn["id"] == created["paymentId"]
    assert ipn["eventId"].startswith("evt_")
    assert ipn["status"] == collector_status
    assert ipn["metadata"]["payrouter_session_id"] == "sess-1"
    assert {k: v for k, v in ipn.items() if k not in ("eventId", "paymentId")} == payment
    if collector_status == "paid":
        assert payment["paidAt"] == "2026-11-02T10:03:00Z"
        assert re.fullmatch(r"0x[0-9a-f]{64}", payment["txHash"])
    else:
        assert payment["paidAt"] is None
    if outcome == "overpaid":
        received = Decimal(payment["receivedCryptoAmount"])
        assert received > Decimal(payment["cryptoAmount"])
        assert Decimal(payment["excessCryptoAmount"]) == received - Decimal(payment["cryptoAmount"])


async def test_cancelled_leaves_the_payment_open_and_sends_no_ipn() -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
        response = await harness.settle(created["sessionId"], "cancelled")
        payment = (await harness.read(created["paymentId"])).json()
        paid_later = await harness.settle(created["sessionId"], "paid")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("#top")  # the fragment stays last
    assert _query(location) == {
        "kind": ["cancel"],
        "sessionId": [created["sessionId"]],
        "status": ["CANCELLED"],
    }
    assert payment["status"] == "initiated"
    assert paid_later.status_code == 303
    assert [ipn["status"] for ipn in harness.ipns] == ["paid"]


async def test_each_ipn_has_its_own_event_id_and_a_closed_payment_is_409() -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
        await harness.settle(created["sessionId"], "underpaid")
        await harness.settle(created["sessionId"], "paid")
        again = await harness.settle(created["sessionId"], "paid")
        unknown = await harness.settle(created["sessionId"], "refunded")
        missing = await harness.settle("cs_unknown", "paid")
    assert [ipn["status"] for ipn in harness.ipns] == ["pending", "paid"]
    assert harness.ipns[0]["eventId"] != harness.ipns[1]["eventId"]
    assert again.status_code == 409
    assert "paid" in again.text
    assert unknown.status_code == 400
    assert missing.status_code == 404


async def test_an_underpaid_payment_expires_when_its_hour_is_up() -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
        await harness.settle(created["sessionId"], "underpaid")
        harness.now = START + timedelta(minutes=59, seconds=59)
        before = (await harness.read(created["paymentId"])).json()
        open_page = await harness.client.get(created["checkoutUrl"])
        harness.now = START + timedelta(minutes=60)
        after = (await harness.read(created["paymentId"])).json()
        late = await harness.settle(created["sessionId"], "paid")
        page = await harness.client.get(created["checkoutUrl"])
    assert before["status"] == "pending"
    assert Decimal(before["receivedCryptoAmount"]) < Decimal(before["cryptoAmount"])
    assert after["status"] == "expired"
    assert late.status_code == 409
    # 140.900760 x 0.9 = 126.810684 received, 14.090076 still due: the payer may top up.
    assert "Received 126.810684 USDT; 14.090076 USDT still due" in open_page.text
    assert 'name="outcome"' in open_page.text
    assert page.status_code == 200 and 'name="outcome"' not in page.text
    assert ">expired<" in page.text


async def test_an_untouched_payment_expires_too() -> None:
    async with sandbox() as harness:
        created = await created_session(harness)
        harness.now = START + timedelta(hours=2)
        payment = (await harness.read(created["paymentId"])).json()
    assert payment["status"] == "expired"


@pytest.mark.parametrize("webhook_status", [500, 404])
async def test_an_ipn_the_router_refuses_is_kept_and_the_payer_still_returns(
    webhook_status: int,
) -> None:
    async with sandbox() as harness:
        harness.webhook_status = webhook_status
        created = await created_session(harness)
        response = await harness.settle(created["sessionId"], "paid")
        failures = list(harness.app.state.ipn_failures)
    assert response.status_code == 303
    assert len(failures) == 1
    assert failures[0].payment_id == created["paymentId"]
    assert failures[0].reason == f"HTTP {webhook_status}"


async def test_fault_error_breaks_the_api_but_not_the_payer_pages() -> None:
    async with sandbox(fault="error") as harness:
        created = await harness.create()
        read = await harness.read("pay_x")
        page = await harness.client.get("/session/cs_unknown")
    assert created.status_code == 500
    assert created.json()["error"]["code"] == "INTERNAL_ERROR"
    assert read.status_code == 500
    assert page.status_code == 404  # the page itself answered, no fault


async def test_fault_timeout_waits_an_hour_then_answers() -> None:
    async with sandbox(fault="timeout") as harness:
        response = await harness.create()
    assert harness.sleeps == [3600]
    assert response.status_code == 201


async def test_latency_delays_each_api_answer_only() -> None:
    async with sandbox(latency_ms=250) as harness:
        created = await created_session(harness)
        await harness.read(created["paymentId"])
        await harness.client.get(created["checkoutUrl"])
        await harness.settle(created["sessionId"], "paid")
    assert harness.sleeps == [0.25, 0.25]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://m.test/r", "https://m.test/r?sessionId=cs_1&status=PAID"),
        ("https://m.test/r?a=1&b=", "https://m.test/r?a=1&b=&sessionId=cs_1&status=PAID"),
        ("https://m.test/r?status=OLD&a=1#f", "https://m.test/r?a=1&sessionId=cs_1&status=PAID#f"),
        ("https://m.test/r#frag", "https://m.test/r?sessionId=cs_1&status=PAID#frag"),
    ],
)
def test_with_query_merges_parameters(url: str, expected: str) -> None:
    assert with_query(url, {"sessionId": "cs_1", "status": "PAID"}) == expected
