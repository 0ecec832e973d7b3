"""The Stripe adapter through the ProviderAdapter Protocol, against a fake api.stripe.com.

The fake is an ``httpx.MockTransport`` handler behind the router's kind of shared
``httpx.AsyncClient``: it answers JSON as Stripe does and records what it received. An
assertion raised inside a handler would be swallowed by the SDK (as a connection error), so
the fake records problems instead and the tests assert on them afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import sys
import types
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import stripe

from providers.base import (
    AdapterContext,
    CheckoutRequest,
    Customer,
    LineItem,
    PaymentStatus,
    ProviderAdapter,
    SandboxContext,
)
from providers.errors import (
    AdapterConfigError,
    NonRetryableProviderError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RetryableProviderError,
)
from providers.registry import load_factory
from providers.stripe.adapter import StripeAdapterFactory
from providers.stripe.errors import ErrorBoundary, map_exception
from router.settings import ProviderInstanceSettings

API_KEY = "sk_test_payrouter_sandbox"
WEBHOOK_SECRET = "whsec_payrouter_sandbox"
API_BASE = "http://127.0.0.1:8000/sandbox/stripe"
PREFIX = "/sandbox/stripe/v1/checkout/sessions"
NOW = datetime(2024, 1, 15, 11, 0, tzinfo=UTC)


def seed_003_request(**changes: Any) -> CheckoutRequest:
    request = CheckoutRequest(
        session_id="e4b8c1a2-b088-4e79-99ad-2c3e0fa3f1b9",
        idempotency_key="attempt-e4b8c1a2-1",
        order_reference="ORD-2024-001",
        method="card",
        currency="AUD",
        amount_total=Decimal("140.76"),
        shipping_amount=Decimal("9.95"),
        tax_amount=Decimal("11.81"),
        items=(LineItem("Wireless Headphones", 1, Decimal("119"), "WH-100"),),
        customer=Customer(email="jane.smith@example.com"),
        success_url="http://127.0.0.1:8000/return/success",
        cancel_url="http://127.0.0.1:8000/return/cancel",
        expires_at=NOW + timedelta(hours=1),
        locale="en_AU",
        metadata={"campaignId": "summer-sale-2024"},
    )
    return replace(request, **changes)


# --- a fake api.stripe.com -----------------------------------------------------------------

Handler = Callable[[httpx.Request], Any]


@dataclass
class FakeStripe:
    """Answers like api.stripe.com for Checkout Sessions; records what it receives."""

    requests: list[httpx.Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    replays: dict[str, tuple[bytes, httpx.Response]] = field(default_factory=dict)
    # When set, answers the next requests instead of the normal behaviour.
    override: Handler | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            self.problems.append(f"bad Authorization: {request.headers.get('Authorization')}")
            return self.error(401, "invalid_request_error", "Invalid API Key provided")
        if self.override is not None:
            result = self.override(request)
            return await result if asyncio.iscoroutine(result) else result
        path = request.url.path
        if not path.startswith(PREFIX):
            self.problems.append(f"unexpected path {path}")
            return self.error(404, "invalid_request_error", f"Unrecognized request URL {path}")
        rest = path[len(PREFIX) :]
        if request.method == "POST":
            if request.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                self.problems.append(f"bad Content-Type {request.headers.get('Content-Type')}")
            if not request.headers.get("Idempotency-Key"):
                self.problems.append("POST without Idempotency-Key")
        if request.method == "POST" and rest == "":
            return self.create(request)
        if request.method == "GET" and rest.startswith("/") and "/" not in rest[1:]:
            return self.retrieve(rest[1:], request)
        if request.method == "POST" and rest.endswith("/expire"):
            return self.expire(rest[1 : -len("/expire")])
        self.problems.append(f"unexpected {request.method} {path}")
        return self.error(404, "invalid_request_error", "Unrecognized request URL")

    def headers(self) -> dict[str, str]:
        return {"Request-Id": f"req_fake{next(self._request_ids)}"}

    def error(self, status: int, kind: str, message: str, **extra: Any) -> httpx.Response:
        body = {"error": {"type": kind, "message": message, **extra}}
        return httpx.Response(status, json=body, headers=self.headers())

    def create(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        if key in self.replays:
            body, response = self.replays[key]
            if body != request.content:
                return self.error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters",
                )
            return httpx.Response(
                response.status_code,
                content=response.content,
                headers={**self.headers(), "Idempotent-Replayed": "true"},
            )
        form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        lines = 0
        for n in itertools.count():
            quantity = form.get(f"line_items[{n}][quantity]")
            if quantity is None:
                break
            lines += int(quantity) * int(form[f"line_items[{n}][price_data][unit_amount]"])
        shipping = int(
            form.get("shipping_options[0][shipping_rate_data][fixed_amount][amount]", "0")
        )
        session_id = f"cs_test_{next(self._ids)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "mode": form.get("mode"),
            "amount_total": lines + shipping,
            "currency": form.get("line_items[0][price_data][currency]"),
            "client_reference_id": form.get("client_reference_id"),
            "expires_at": int(form["expires_at"]),
            "metadata": {
                k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")
            },
            "payment_intent": None,
        }
        self.sessions[session_id] = session
        response = httpx.Response(200, json=session, headers=self.headers())
        self.replays[key] = (request.content, response)
        return response

    def retrieve(self, session_id: str, request: httpx.Request) -> httpx.Response:
        session = self.sessions.get(session_id)
        if session is None:
            return self.error(
                404,
                "invalid_request_error",
                f"No such checkout.session: '{session_id}'",
                code="resource_missing",
                param="session",
            )
        answer = dict(session)
        intent_id = session.get("payment_intent")
        if intent_id and request.url.params.get("expand[0]") == "payment_intent":
            answer["payment_intent"] = self.intents[intent_id]
        return httpx.Response(200, json=answer, headers=self.headers())

    def expire(self, session_id: str) -> httpx.Response:
        session = self.sessions.get(session_id)
        if session is None:
            return self.error(
                404, "invalid_request_error", f"No such checkout.session: '{session_id}'"
            )
        if session["status"] != "open":
            return self.error(
                400,
                "invalid_request_error",
                'Only Checkout Sessions with a status in ["open"] can be expired.',
            )
        session["status"] = "expired"
        return httpx.Response(200, json=session, headers=self.headers())

    def pay(self, session_id: str, payment_status: str, intent: dict[str, Any] | None) -> None:
        """What a payer (and Stripe) would do to a session."""
        self.sessions[session_id]["status"] = "complete"
        self.sessions[session_id]["payment_status"] = payment_status
        if intent is not None:
            self.intents[intent["id"]] = intent
            self.sessions[session_id]["payment_intent"] = intent["id"]


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
async def http(fake: FakeStripe) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as client:
        yield client


def make_adapter(
    http: httpx.AsyncClient,
    *,
    api_base: str | None = API_BASE,
    timeout: str = "5",
    options: dict[str, Any] | None = None,
) -> ProviderAdapter:
    settings = ProviderInstanceSettings(
        adapter="stripe",
        currencies=("AUD",),
        methods=("card",),
        timeout_seconds=Decimal(timeout),
        options=options or {},
    )
    context = AdapterContext(
        instance_name="stripe_au",
        settings=settings,
        credentials={"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET},
        api_base=api_base,
        http=http,
        clock=lambda: NOW,
    )
    return StripeAdapterFactory().create(context)


@pytest.fixture
def adapter(http: httpx.AsyncClient) -> ProviderAdapter:
    return make_adapter(http)


def form_of(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


# --- create --------------------------------------------------------------------------------


async def test_create_sends_the_seed_003_form_to_the_sandbox_path(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    created = await adapter.create_checkout(seed_003_request())

    assert fake.problems == []
    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert sent.method == "POST"
    assert str(sent.url) == "http://127.0.0.1:8000/sandbox/stripe/v1/checkout/sessions"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["Idempotency-Key"] == "attempt-e4b8c1a2-1"
    form = form_of(sent)
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == "ORD-2024-001"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][currency]"] == "aud"
    assert form["line_items[0][price_data][unit_amount]"] == "11900"
    assert form["line_items[0][price_data][product_data][name]"] == "Wireless Headphones"
    assert form["line_items[0][price_data][product_data][metadata][sku]"] == "WH-100"
    assert form["line_items[1][price_data][unit_amount]"] == "1181"
    assert form["line_items[1][price_data][product_data][name]"] == "Tax"
    assert form["shipping_options[0][shipping_rate_data][fixed_amount][amount]"] == "995"
    assert form["shipping_options[0][shipping_rate_data][display_name]"] == "Shipping"
    assert form["customer_email"] == "jane.smith@example.com"
    assert form["locale"] == "en"
    assert form["metadata[payrouter_session_id]"] == "e4b8c1a2-b088-4e79-99ad-2c3e0fa3f1b9"
    assert form["metadata[campaignId]"] == "summer-sale-2024"
    assert form["expires_at"] == str(int((NOW + timedelta(hours=1)).timestamp()))
    assert form["success_url"] == "http://127.0.0.1:8000/return/success"

    assert created.provider_reference == "cs_test_1"
    assert created.checkout_url == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert created.expires_at == NOW + timedelta(hours=1)
    # Stripe totals the lines, shipping and the tax line to the request's total.
    assert fake.sessions["cs_test_1"]["amount_total"] == 14076


async def test_the_same_attempt_twice_gets_the_same_stripe_session(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    first = await adapter.create_checkout(seed_003_request())
    again = await adapter.create_checkout(seed_003_request())
    assert again.provider_reference == first.provider_reference
    assert len(fake.sessions) == 1
    assert form_of(fake.requests[0]) == form_of(fake.requests[1])


async def test_another_attempt_key_gets_another_session(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    first = await adapter.create_checkout(seed_003_request())
    second = await adapter.create_checkout(seed_003_request(idempotency_key="attempt-2"))
    assert first.provider_reference != second.provider_reference


async def test_a_too_soon_expiry_is_sent_and_reported_as_clamped(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    # Stripe's answer without expires_at: the adapter reports what it sent.
    fake.override = lambda request: httpx.Response(200, json={"id": "cs_1", "url": "https://u"})
    created = await adapter.create_checkout(seed_003_request(expires_at=NOW + timedelta(minutes=5)))
    sent = int(form_of(fake.requests[0])["expires_at"])
    assert sent >= NOW.timestamp() + 30 * 60
    assert created.expires_at == datetime.fromtimestamp(sent, UTC)


async def test_a_request_stripe_cannot_take_makes_no_call(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    with pytest.raises(NonRetryableProviderError) as caught:
        await adapter.create_checkout(seed_003_request(amount_total=Decimal("1.00")))
    assert caught.value.code == "stripe_amount_mismatch"
    assert fake.requests == []


async def test_default_base_is_stripe_and_options_api_base_is_used_in_live_mode(
    http: httpx.AsyncClient, fake: FakeStripe
) -> None:
    fake.override = lambda request: httpx.Response(200, json={"id": "cs_1", "url": "https://u"})
    await make_adapter(http, api_base=None).create_checkout(seed_003_request())
    await make_adapter(
        http, api_base=None, options={"api_base": "https://stripe-proxy.internal/base/"}
    ).create_checkout(seed_003_request())
    await make_adapter(
        http, api_base=API_BASE, options={"api_base": "https://stripe-proxy.internal/base"}
    ).create_checkout(seed_003_request())
    assert [str(r.url) for r in fake.requests] == [
        "https://api.stripe.com/v1/checkout/sessions",
        "https://stripe-proxy.internal/base/v1/checkout/sessions",
        "http://127.0.0.1:8000/sandbox/stripe/v1/checkout/sessions",
    ]


# --- status --------------------------------------------------------------------------------


async def test_status_of_a_new_session_is_pending(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    created = await adapter.create_checkout(seed_003_request())
    status = await adapter.get_status(created.provider_reference)
    assert status.status is PaymentStatus.PENDING
    assert status.provider_status == "open/unpaid"
    read = fake.requests[-1]
    assert read.method == "GET"
    assert read.url.path == f"{PREFIX}/{created.provider_reference}"
    assert read.url.params.get("expand[0]") == "payment_intent"
    assert fake.problems == []


@pytest.mark.parametrize(
    ("payment_status", "intent", "expected"),
    [
        ("paid", {"id": "pi_1", "status": "succeeded"}, PaymentStatus.COMPLETED),
        ("unpaid", {"id": "pi_1", "status": "processing"}, PaymentStatus.PENDING),
        (
            "unpaid",
            {
                "id": "pi_1",
                "status": "requires_payment_method",
                "last_payment_error": {"code": "card_declined", "message": "declined"},
            },
            PaymentStatus.FAILED,
        ),
    ],
)
async def test_status_reads_the_expanded_payment_intent(
    adapter: ProviderAdapter,
    fake: FakeStripe,
    payment_status: str,
    intent: dict[str, Any],
    expected: PaymentStatus,
) -> None:
    created = await adapter.create_checkout(seed_003_request())
    fake.pay(created.provider_reference, payment_status, intent)
    status = await adapter.get_status(created.provider_reference)
    assert status.status is expected
    assert status.provider_reference == created.provider_reference


async def test_an_unknown_session_is_not_found(adapter: ProviderAdapter) -> None:
    with pytest.raises(NonRetryableProviderError) as caught:
        await adapter.get_status("cs_missing")
    assert caught.value.code == "stripe_not_found"
    assert caught.value.http_status == 404
    assert "cs_missing" in caught.value.message


@pytest.mark.parametrize("reference", ["", "   "])
async def test_an_empty_reference_is_refused_without_listing_sessions(
    adapter: ProviderAdapter, fake: FakeStripe, reference: str
) -> None:
    with pytest.raises(NonRetryableProviderError):
        await adapter.get_status(reference)
    with pytest.raises(NonRetryableProviderError):
        await adapter.expire(reference)
    assert fake.requests == []


# --- expire --------------------------------------------------------------------------------


async def test_expire_closes_an_open_session(adapter: ProviderAdapter, fake: FakeStripe) -> None:
    created = await adapter.create_checkout(seed_003_request())
    status = await adapter.expire(created.provider_reference)
    assert status.status is PaymentStatus.EXPIRED
    call = fake.requests[-1]
    assert call.method == "POST"
    assert call.url.path == f"{PREFIX}/{created.provider_reference}/expire"
    assert fake.problems == []


async def test_expiring_twice_is_harmless(adapter: ProviderAdapter) -> None:
    created = await adapter.create_checkout(seed_003_request())
    await adapter.expire(created.provider_reference)
    again = await adapter.expire(created.provider_reference)
    assert again.status is PaymentStatus.EXPIRED


async def test_a_completed_session_cannot_be_expired(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    created = await adapter.create_checkout(seed_003_request())
    fake.pay(created.provider_reference, "paid", {"id": "pi_1", "status": "succeeded"})
    with pytest.raises(NonRetryableProviderError) as caught:
        await adapter.expire(created.provider_reference)
    assert caught.value.code == "stripe_checkout_not_open"
    assert caught.value.retryable is False


async def test_a_refused_expire_of_an_open_session_keeps_stripes_refusal(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    created = await adapter.create_checkout(seed_003_request())

    def refuse_expire(request: httpx.Request) -> httpx.Response:
        fake.override = None
        return fake.error(400, "invalid_request_error", "This session cannot be expired now.")

    fake.override = refuse_expire
    with pytest.raises(NonRetryableProviderError) as caught:
        await adapter.expire(created.provider_reference)
    assert caught.value.code == "stripe_invalid_request"
    assert "cannot be expired now" in caught.value.message


# --- every error status mapped -------------------------------------------------------------

ERROR_CASES = [
    # (status, error type, Stripe code, expected class, our code)
    (400, "invalid_request_error", "parameter_invalid_integer", NonRetryableProviderError,
     "stripe_invalid_request"),
    (400, "idempotency_error", None, NonRetryableProviderError, "stripe_idempotency_error"),
    (401, "invalid_request_error", None, NonRetryableProviderError,
     "stripe_authentication_failed"),
    (402, "card_error", "card_declined", NonRetryableProviderError, "stripe_card_declined"),
    (403, "invalid_request_error", None, NonRetryableProviderError, "stripe_permission_denied"),
    (404, "invalid_request_error", "resource_missing", NonRetryableProviderError,
     "stripe_not_found"),
    (409, "invalid_request_error", "idempotency_key_in_use", RetryableProviderError,
     "stripe_conflict"),
    (429, "invalid_request_error", "rate_limit", RetryableProviderError, "stripe_rate_limited"),
    (500, "api_error", None, RetryableProviderError, "stripe_api_error"),
    (503, "api_error", None, RetryableProviderError, "stripe_api_error"),
]  # fmt: skip

OPERATIONS = ["create_checkout", "get_status", "expire"]


async def call(adapter: ProviderAdapter, operation: str) -> object:
    if operation == "create_checkout":
        return await adapter.create_checkout(seed_003_request())
    if operation == "get_status":
        return await adapter.get_status("cs_test_1")
    return await adapter.expire("cs_test_1")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("status", "kind", "stripe_code", "expected", "code"), ERROR_CASES)
async def test_every_error_status_is_mapped(
    http: httpx.AsyncClient,
    fake: FakeStripe,
    operation: str,
    status: int,
    kind: str,
    stripe_code: str | None,
    expected: type[ProviderError],
    code: str,
) -> None:
    adapter = make_adapter(http)
    # Stripe's message echoing the key: it must never reach ours.
    message = f"Stripe says no to {API_KEY} and {WEBHOOK_SECRET}"
    extra = {"code": stripe_code} if stripe_code else {}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            json={"error": {"type": kind, "message": message, **extra}},
            headers={"Request-Id": "req_err42"},
        )

    fake.override = answer
    with pytest.raises(ProviderError) as caught:
        await call(adapter, operation)
    error = caught.value
    assert type(error) is expected
    assert error.code == code
    assert error.retryable is (expected is RetryableProviderError)
    assert error.http_status == status
    assert "Stripe says no" in error.message
    assert "req_err42" in error.message
    assert API_KEY not in error.message and API_KEY not in str(error)
    assert WEBHOOK_SECRET not in error.message
    # The router's failover retries, not the SDK: exactly one request per call.
    assert len(fake.requests) == (2 if operation == "expire" and status == 400 else 1)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html>not json</html>"),
        (200, b"[1, 2, 3]"),
        (200, b""),
        (502, b"<html>Bad Gateway</html>"),
        (500, b'{"unexpected": true}'),
        (418, b'{"error": {"type": "teapot_error", "message": "short and stout"}}'),
    ],
)
async def test_unreadable_answers_are_retryable(
    http: httpx.AsyncClient, fake: FakeStripe, operation: str, status: int, body: bytes
) -> None:
    fake.override = lambda request: httpx.Response(status, content=body)
    with pytest.raises(RetryableProviderError) as caught:
        await call(make_adapter(http), operation)
    assert caught.value.code in {"stripe_invalid_response", "stripe_api_error"}


async def test_a_created_answer_without_url_is_retryable(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    fake.override = lambda request: httpx.Response(200, json={"id": "cs_1", "object": "x"})
    with pytest.raises(RetryableProviderError) as caught:
        await adapter.create_checkout(seed_003_request())
    assert caught.value.code == "stripe_invalid_response"


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_connection_error_is_unavailable(
    http: httpx.AsyncClient, fake: FakeStripe, operation: str
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake.override = refuse
    with pytest.raises(ProviderUnavailableError) as caught:
        await call(make_adapter(http), operation)
    assert caught.value.code == "stripe_unreachable"
    assert caught.value.retryable is True
    assert len(fake.requests) == 1


async def test_a_refused_port_on_this_machine_is_unavailable() -> None:
    # The registry's fault mode "refuse" points an instance at the discard port.
    async with httpx.AsyncClient() as real_http:
        adapter = make_adapter(real_http, api_base="http://127.0.0.1:9")
        with pytest.raises(ProviderUnavailableError):
            await adapter.create_checkout(seed_003_request())


async def test_an_httpx_timeout_is_a_provider_timeout(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    fake.override = slow
    with pytest.raises(ProviderTimeoutError) as caught:
        await adapter.get_status("cs_test_1")
    assert caught.value.code == "stripe_timeout"


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_no_answer_within_timeout_seconds_is_a_provider_timeout(
    http: httpx.AsyncClient, fake: FakeStripe, operation: str
) -> None:
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await never.wait()
        return httpx.Response(200, json={})

    fake.override = hang
    adapter = make_adapter(http, timeout="0.05")
    # The outer bound only turns a broken timeout into a failure instead of a hang.
    with pytest.raises(ProviderTimeoutError) as caught:
        await asyncio.wait_for(call(adapter, operation), timeout=5)
    assert caught.value.retryable is True
    assert caught.value.code == "stripe_timeout"


# --- nothing escapes unmapped --------------------------------------------------------------


@pytest.mark.parametrize(
    "raised",
    [
        RuntimeError("boom"),
        ValueError("bad value"),
        KeyError("missing"),
        OSError("disk on fire"),
        ssl.SSLError("certificate verify failed"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.TooManyRedirects("loop"),
        httpx.InvalidURL("bad url"),
        json.JSONDecodeError("Expecting value", "", 0),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_no_exception_from_the_wire_escapes_unmapped(
    http: httpx.AsyncClient, fake: FakeStripe, operation: str, raised: Exception
) -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise raised

    fake.override = explode
    with pytest.raises(ProviderError) as caught:
        await call(make_adapter(http), operation)
    assert caught.value.retryable is True


async def test_a_bug_while_building_params_is_mapped_too(
    adapter: ProviderAdapter, fake: FakeStripe
) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("cannot print")

    request = seed_003_request(metadata={"bad": Unprintable()})
    with pytest.raises(RetryableProviderError) as caught:
        await adapter.create_checkout(request)
    assert caught.value.code == "stripe_unexpected_error"
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert fake.requests == []


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


STRIPE_ERROR_CLASSES = [stripe.StripeError, *_all_subclasses(stripe.StripeError)]


@pytest.mark.parametrize("error_class", STRIPE_ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_stripe_error_class_maps_to_a_provider_error(error_class: type) -> None:
    try:
        error = error_class("message from Stripe")
    except TypeError:
        error = error_class("message from Stripe", None, None)
    mapped = map_exception(error, operation="test", secrets=[API_KEY])
    assert isinstance(mapped, ProviderError)
    assert mapped.code.startswith("stripe_")
    assert mapped.code == mapped.code.lower() and " " not in mapped.code


def test_the_boundary_maps_exceptions_but_lets_cancellation_through() -> None:
    with pytest.raises(RetryableProviderError), ErrorBoundary("op"):
        raise LookupError("x")
    with pytest.raises(asyncio.CancelledError), ErrorBoundary("op"):
        raise asyncio.CancelledError
    already = NonRetryableProviderError("stripe_x", "kept")
    with pytest.raises(NonRetryableProviderError) as caught, ErrorBoundary("op"):
        raise already
    assert caught.value is already


def test_secret_shaped_tokens_are_scrubbed_from_messages() -> None:
    error = stripe.AuthenticationError(
        "Invalid API Key provided: sk_live_abcdef123 and rk_test_zz and whsec_q1"
    )
    mapped = map_exception(error, operation="test")
    assert "abcdef123" not in mapped.message
    assert "rk_test_zz" not in mapped.message and "whsec_q1" not in mapped.message


# --- protocol, lifecycle, factory ----------------------------------------------------------


async def test_the_adapter_satisfies_the_protocol_and_keeps_the_shared_client_open(
    http: httpx.AsyncClient, fake: FakeStripe
) -> None:
    adapter = make_adapter(http)
    assert isinstance(adapter, ProviderAdapter)
    assert adapter.name == "stripe_au"
    assert "card" in adapter.capabilities.methods
    await adapter.aclose()
    assert not http.is_closed
    # Another adapter on the same client still works after the first one closed.
    created = await make_adapter(http).create_checkout(seed_003_request())
    assert created.provider_reference == "cs_test_1"


def test_factory_declares_credentials_and_capabilities() -> None:
    factory = StripeAdapterFactory()
    assert factory.required_credentials == ("api_key", "webhook_secret")
    assert dict(factory.sandbox_credentials) == {
        "api_key": "sk_test_payrouter_sandbox",
        "webhook_secret": "whsec_payrouter_sandbox",
    }
    capabilities = factory.capabilities()
    assert capabilities.methods == frozenset({"card"})
    assert {"AUD", "USD", "EUR", "GBP", "JPY", "KWD", "BHD"} <= capabilities.currencies
    assert capabilities.can_expire and capabilities.has_webhooks
    assert capabilities.refusal("AUD", "card", Decimal("0.49")) is not None
    assert capabilities.refusal("AUD", "card", Decimal("0.50")) is None
    assert capabilities.refusal("USD", "crypto", Decimal(10)) is not None


def test_the_entry_point_loads_this_factory() -> None:
    factory = load_factory("stripe", "stripe")
    assert isinstance(factory, StripeAdapterFactory)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"api_base": "https://api.stripe.com"},
        {"api_base": "http://127.0.0.1:8000/sandbox/stripe"},
    ],
)
def test_valid_options(options: dict[str, Any]) -> None:
    StripeAdapterFactory().validate_options(options)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"apibase": "https://x"}, "apibase"),
        ({"api_base": "ftp://x.example"}, "api_base"),
        ({"api_base": "https://"}, "api_base"),
        ({"api_base": "not a url"}, "api_base"),
        ({"api_base": 8000}, "api_base"),
        ({"api_base": "https://x.example/?q=1"}, "api_base"),
        ({"api_base": None}, "api_base"),
    ],
)
def test_invalid_options_name_the_key(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        StripeAdapterFactory().validate_options(options)


async def test_create_refuses_missing_secrets_and_bad_options(http: httpx.AsyncClient) -> None:
    settings = ProviderInstanceSettings(adapter="stripe", currencies=("AUD",), methods=("card",))
    context = AdapterContext(
        instance_name="stripe_au",
        settings=settings,
        credentials={"api_key": API_KEY},
        api_base=None,
        http=http,
        clock=lambda: NOW,
    )
    with pytest.raises(AdapterConfigError, match=r"stripe_au\.credentials\.webhook_secret"):
        StripeAdapterFactory().create(context)
    bad = replace(
        context,
        credentials={"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET},
        settings=settings.model_copy(update={"options": {"colour": "blue"}}),
    )
    with pytest.raises(AdapterConfigError, match=r"stripe_au\.options\.colour"):
        StripeAdapterFactory().create(bad)


async def test_sandbox_app_is_built_by_the_sandbox_module_imported_on_demand(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[SandboxContext] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    def build_stripe_sandbox(context: SandboxContext) -> Any:
        seen.append(context)
        return app

    module = types.ModuleType("providers.sandbox.stripe_sandbox")
    module.build_stripe_sandbox = build_stripe_sandbox  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "providers.sandbox.stripe_sandbox", module)
    settings = ProviderInstanceSettings(adapter="stripe", currencies=("AUD",), methods=("card",))

    async def no_sleep(seconds: float) -> None:
        return None

    context = SandboxContext(
        instance_name="stripe",
        settings=settings,
        credentials={"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET},
        base_url=API_BASE,
        webhook_url="http://127.0.0.1:8000/api/v1/webhooks/stripe",
        http=http,
        clock=lambda: NOW,
        sleep=no_sleep,
    )
    assert StripeAdapterFactory().sandbox_app(context) is app
    assert seen == [context]
