"""The Stripe sandbox over HTTP: the Checkout Session API, idempotency, the payer pages,
signed events, fault modes, and the real ``stripe`` SDK talking to it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import stripe
from starlette.applications import Starlette

from .stripe_harness import (
    API_KEY,
    BASE_URL,
    CANCEL_URL,
    DELETE,
    WEBHOOK_SECRET,
    Harness,
    HarnessFactory,
    Hung,
    encode,
    patched,
    seed_params,
)

SESSIONS = "/v1/checkout/sessions"


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def success_location(session_id: str) -> str:
    return f"https://router.test/return/success?session_id={session_id}"


# --- create -----------------------------------------------------------------------------


async def test_create_answers_a_checkout_session_for_the_seed_003_order(
    stripe_sandbox: Harness,
) -> None:
    now = stripe_sandbox.clock.unix()
    response = await stripe_sandbox.create()

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["request-id"].startswith("req_")
    session = response.json()
    assert session["id"].startswith("cs_test_")
    assert session["object"] == "checkout.session"
    assert session["url"] == f"{BASE_URL}/pay/{session['id']}"
    assert (session["status"], session["payment_status"], session["mode"]) == (
        "open",
        "unpaid",
        "payment",
    )
    assert session["currency"] == "aud"
    assert session["amount_subtotal"] == 11900 + 1181
    assert session["amount_total"] == 14076
    assert session["total_details"]["amount_shipping"] == 995
    assert session["shipping_cost"]["amount_total"] == 995
    assert session["shipping_options"][0]["shipping_amount"] == 995
    assert session["client_reference_id"] == "ORD-2024-001"
    assert session["customer_email"] == "jane.smith@example.com"
    assert session["locale"] == "en"
    assert session["metadata"] == {
        "payrouter_session_id": "e4b8c1a2-b088-4e79-99ad-2c3e0fa3f1b9",
        "order_reference": "ORD-2024-001",
    }
    assert session["success_url"] == seed_params(now)["success_url"]
    assert session["cancel_url"] == CANCEL_URL
    assert (session["created"], session["expires_at"]) == (now, now + 3600)
    assert session["livemode"] is False
    assert isinstance(session["payment_intent"], str)
    assert session["payment_intent"].startswith("pi_")


async def test_expires_at_defaults_to_24_hours_and_accepts_both_ends_of_the_window(
    stripe_sandbox: Harness,
) -> None:
    now = stripe_sandbox.clock.unix()
    default = await stripe_sandbox.create_ok(patched(seed_params(now), "expires_at", DELETE))
    earliest = await stripe_sandbox.create_ok(patched(seed_params(now), "expires_at", now + 1800))
    latest = await stripe_sandbox.create_ok(patched(seed_params(now), "expires_at", now + 86400))

    assert default["expires_at"] == now + 86400
    assert earliest["expires_at"] == now + 1800
    assert latest["expires_at"] == now + 86400


NOW = int(datetime(2024, 1, 15, 11, 0, tzinfo=UTC).timestamp())
TOO_MANY_ITEMS = [seed_params(NOW)["line_items"][0]] * 101
# (case, dotted path in the params, new value or DELETE, expected param, expected code)
INVALID_CREATES: list[tuple[str, str, object, str, str | None]] = [
    ("mode missing", "mode", DELETE, "mode", "parameter_missing"),
    ("mode not payment", "mode", "subscription", "mode", None),
    ("mode unknown", "mode", "donation", "mode", None),
    ("success_url missing", "success_url", DELETE, "success_url", "parameter_missing"),
    ("success_url empty", "success_url", "", "success_url", "parameter_invalid_empty"),
    ("success_url not a URL", "success_url", "checkout done", "success_url", "url_invalid"),
    ("cancel_url not http", "cancel_url", "ftp://router.test/x", "cancel_url", "url_invalid"),
    ("line_items missing", "line_items", DELETE, "line_items", "parameter_missing"),
    ("101 line items", "line_items", TOO_MANY_ITEMS, "line_items", None),
    ("quantity zero", "line_items.0.quantity", 0, "line_items[0][quantity]",
     "parameter_invalid_integer"),
    ("quantity decimal", "line_items.0.quantity", "1.5", "line_items[0][quantity]",
     "parameter_invalid_integer"),
    ("quantity missing", "line_items.0.quantity", DELETE, "line_items[0][quantity]",
     "parameter_missing"),
    ("unit_amount decimal", "line_items.0.price_data.unit_amount", "119.00",
     "line_items[0][price_data][unit_amount]", "parameter_invalid_integer"),
    ("unit_amount negative", "line_items.0.price_data.unit_amount", -1,
     "line_items[0][price_data][unit_amount]", "parameter_invalid_integer"),
    ("unit_amount missing", "line_items.0.price_data.unit_amount", DELETE,
     "line_items[0][price_data][unit_amount]", "parameter_missing"),
    ("currency upper case", "line_items.0.price_data.currency", "AUD",
     "line_items[0][price_data][currency]", None),
    ("currency unknown", "line_items.0.price_data.currency", "zzz",
     "line_items[0][price_data][currency]", None),
    ("second item in another currency", "line_items.1.price_data.currency", "usd",
     "line_items[1][price_data][currency]", None),
    ("shipping in another currency",
     "shipping_options.0.shipping_rate_data.fixed_amount.currency", "usd",
     "shipping_options[0][shipping_rate_data][fixed_amount][currency]", None),
    ("shipping amount decimal", "shipping_options.0.shipping_rate_data.fixed_amount.amount",
     "9.95", "shipping_options[0][shipping_rate_data][fixed_amount][amount]",
     "parameter_invalid_integer"),
    ("shipping type", "shipping_options.0.shipping_rate_data.type", "delivery_estimate",
     "shipping_options[0][shipping_rate_data][type]", None),
    ("shipping name missing", "shipping_options.0.shipping_rate_data.display_name", DELETE,
     "shipping_options[0][shipping_rate_data][display_name]", "parameter_missing"),
    ("product name missing", "line_items.0.price_data.product_data.name", DELETE,
     "line_items[0][price_data][product_data][name]", "parameter_missing"),
    ("product name empty", "line_items.0.price_data.product_data.name", "",
     "line_items[0][price_data][product_data][name]", "parameter_invalid_empty"),
    ("price id", "line_items.0.price", "price_123", "line_items[0][price]", "resource_missing"),
    ("customer_email", "customer_email", "jane.smith", "customer_email", "email_invalid"),
    ("client_reference_id too long", "client_reference_id", "R" * 201,
     "client_reference_id", None),
    ("51 metadata keys", "metadata", {f"k{i}": "v" for i in range(51)}, "metadata", None),
    ("metadata key too long", f"metadata.{'k' * 41}", "v", f"metadata[{'k' * 41}]", None),
    ("metadata value too long", "metadata.order_reference", "v" * 501,
     "metadata[order_reference]", None),
    ("locale en_AU", "locale", "en_AU", "locale", None),
    ("expires_at too soon", "expires_at", NOW + 1799, "expires_at", None),
    ("expires_at too late", "expires_at", NOW + 86401, "expires_at", None),
    ("expires_at not a number", "expires_at", "tomorrow", "expires_at",
     "parameter_invalid_integer"),
    ("unknown top-level", "payment_method", "card", "payment_method", "parameter_unknown"),
    ("unknown nested", "line_items.0.price_data.unit_price", "11900",
     "line_items[0][price_data][unit_price]", "parameter_unknown"),
    ("expand unknown", "expand", ["customer"], "expand[0]", None),
    ("amount too large", "line_items.0.price_data.unit_amount", 99_999_999, "line_items",
     "amount_too_large"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "param", "code"),
    [case[1:] for case in INVALID_CREATES],
    ids=[case[0] for case in INVALID_CREATES],
)
async def test_create_rejects_invalid_params_like_stripe(
    stripe_sandbox: Harness, path: str, value: object, param: str, code: str | None
) -> None:
    params = patched(seed_params(stripe_sandbox.clock.unix()), path, value)

    response = await stripe_sandbox.create(params)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error.get("code") == code
    assert error["message"]


@pytest.mark.parametrize(
    ("extra", "param", "message_part"),
    [
        ("metadata=plain", "metadata", "structure"),
        ("line_items[5][quantity]=1", "line_items", "Invalid array"),
        ("metadata[a[b]]=x", "metadata[a[b]]", "must not contain"),
    ],
    ids=["value and object", "array with a gap", "brackets in a metadata key"],
)
async def test_create_rejects_malformed_bracket_forms(
    stripe_sandbox: Harness, extra: str, param: str, message_part: str
) -> None:
    body = urlencode(encode(seed_params(stripe_sandbox.clock.unix()))) + "&" + extra

    response = await stripe_sandbox.post_form(SESSIONS, body)

    assert response.status_code == 400
    error = error_of(response)
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert message_part in error["message"]


async def test_create_accepts_unindexed_array_keys(
    stripe_sandbox: Harness,
) -> None:
    pairs = [*encode(seed_params(stripe_sandbox.clock.unix())), ("expand[]", "line_items")]
    response = await stripe_sandbox.post_form(SESSIONS, pairs)

    assert response.status_code == 200
    assert [item["amount_total"] for item in response.json()["line_items"]["data"]] == [
        11900,
        1181,
    ]


# --- auth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "You did not provide an API key"),
        ({"Authorization": "Bearer sk_test_wrongWrongWrong1234"}, "sk_test_****1234"),
        ({"Authorization": "Bearer sk_test_1234"}, "Invalid API Key provided: sk_test_****"),
        ({"Authorization": f"Token {API_KEY}"}, "You did not provide an API key"),
    ],
    ids=["missing", "wrong", "short wrong", "other scheme"],
)
async def test_api_calls_without_the_right_key_are_401_with_the_key_masked(
    stripe_sandbox: Harness, headers: dict[str, str], message: str
) -> None:
    body = urlencode(encode(seed_params(stripe_sandbox.clock.unix())))
    response = await stripe_sandbox.client.post(
        SESSIONS,
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )

    assert response.status_code == 401
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]
    assert "sk_test_wrongWrongWrong1234" not in response.text
    assert API_KEY not in response.text


async def test_basic_auth_with_the_key_as_user_name_is_accepted(stripe_sandbox: Harness) -> None:
    session = await stripe_sandbox.create_ok()

    response = await stripe_sandbox.client.get(
        f"{SESSIONS}/{session['id']}", auth=httpx.BasicAuth(API_KEY, "")
    )

    assert response.status_code == 200
    assert response.json()["id"] == session["id"]


# --- idempotency ------------------------------------------------------------------------


async def test_same_key_and_params_replays_the_first_answer(stripe_sandbox: Harness) -> None:
    params = seed_params(stripe_sandbox.clock.unix())
    first = await stripe_sandbox.create(params, idempotency_key="attempt-1")
    stripe_sandbox.clock.advance(60)
    replay = await stripe_sandbox.create(params, idempotency_key="attempt-1")

    assert first.status_code == replay.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["original-request"] == first.headers["request-id"]
    assert replay.content == first.content
    listed = await stripe_sandbox.get(f"{SESSIONS}/{first.json()['id']}")
    assert listed.status_code == 200


async def test_same_key_with_other_params_or_endpoint_is_an_idempotency_error(
    stripe_sandbox: Harness,
) -> None:
    params = seed_params(stripe_sandbox.clock.unix())
    first = await stripe_sandbox.create(params, idempotency_key="attempt-1")
    other = await stripe_sandbox.create(
        patched(params, "client_reference_id", "ORD-2"), idempotency_key="attempt-1"
    )
    other_endpoint = await stripe_sandbox.post_form(
        f"{SESSIONS}/{first.json()['id']}/expire", [], {"Idempotency-Key": "attempt-1"}
    )

    for response in (other, other_endpoint):
        assert response.status_code == 400
        error = error_of(response)
        assert error["type"] == "idempotency_error"
        assert "attempt-1" in error["message"]
    assert "endpoint" in error_of(other_endpoint)["message"]
    retrieved = await stripe_sandbox.get(f"{SESSIONS}/{first.json()['id']}")
    assert retrieved.json()["status"] == "open"


async def test_a_key_is_forgotten_after_24_hours(stripe_sandbox: Harness) -> None:
    params = seed_params(stripe_sandbox.clock.unix())
    first = await stripe_sandbox.create(params, idempotency_key="attempt-1")
    stripe_sandbox.clock.advance(24 * 3600)
    later = await stripe_sandbox.create(
        patched(params, "expires_at", stripe_sandbox.clock.unix() + 3600),
        idempotency_key="attempt-1",
    )

    assert later.status_code == 200
    assert "idempotent-replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]


async def test_a_request_rejected_by_validation_does_not_take_the_key(
    stripe_sandbox: Harness,
) -> None:
    params = seed_params(stripe_sandbox.clock.unix())
    rejected = await stripe_sandbox.create(
        patched(params, "locale", "en_AU"), idempotency_key="attempt-1"
    )
    accepted = await stripe_sandbox.create(params, idempotency_key="attempt-1")

    assert rejected.status_code == 400
    assert accepted.status_code == 200
    assert "idempotent-replayed" not in accepted.headers


async def test_a_key_still_in_use_by_a_running_request_is_409(stripe_sandbox: Harness) -> None:
    created = await stripe_sandbox.create_ok()
    path = f"{SESSIONS}/{created['id']}/expire"
    stripe_sandbox.webhooks.gate = gate = asyncio.Event()
    key = {"Idempotency-Key": "expire-1"}

    # The first expire waits inside its webhook delivery while the second arrives.
    first = asyncio.create_task(stripe_sandbox.post_form(path, [], key))
    async with asyncio.timeout(5):  # a safety net only: it arrives at once
        await stripe_sandbox.webhooks.arrived.wait()
    second = await stripe_sandbox.post_form(path, [], key)
    gate.set()
    first_response = await first
    third = await stripe_sandbox.post_form(path, [], key)

    assert second.status_code == 409
    assert error_of(second)["code"] == "idempotency_key_in_use"
    assert first_response.status_code == 200
    assert third.headers["idempotent-replayed"] == "true"
    assert third.content == first_response.content


async def test_an_idempotency_key_over_255_characters_is_refused(stripe_sandbox: Harness) -> None:
    response = await stripe_sandbox.create(idempotency_key="k" * 256)

    assert response.status_code == 400
    assert "255" in error_of(response)["message"]


# --- retrieve, expand, expire, lazy expiry -------------------------------------------------


async def test_retrieve_returns_the_session_and_expands_on_request(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()
    path = f"{SESSIONS}/{created['id']}"

    plain = await stripe_sandbox.get(path)
    expanded = await stripe_sandbox.get(f"{path}?expand[]=payment_intent&expand[]=line_items")

    assert plain.status_code == 200
    assert plain.json() == created
    intent = expanded.json()["payment_intent"]
    assert intent["id"] == created["payment_intent"]
    assert (intent["object"], intent["status"]) == ("payment_intent", "requires_payment_method")
    assert (intent["amount"], intent["currency"]) == (14076, "aud")
    names = [item["description"] for item in expanded.json()["line_items"]["data"]]
    assert names == ["Wireless Headphones", "Tax"]
    direct = await stripe_sandbox.get(f"/v1/payment_intents/{created['payment_intent']}")
    assert direct.json() == intent


@pytest.mark.parametrize(
    ("path", "status", "param", "code"),
    [
        (f"{SESSIONS}/cs_test_missing", 404, "session", "resource_missing"),
        ("/v1/payment_intents/pi_missing", 404, "intent", "resource_missing"),
        ("/v1/events/evt_missing", 404, "id", "resource_missing"),
        (f"{SESSIONS}/{{id}}?expand[0]=customer", 400, "expand[0]", None),
        (f"{SESSIONS}/{{id}}?limit=3", 400, "limit", "parameter_unknown"),
    ],
    ids=["unknown session", "unknown intent", "unknown event", "bad expand", "unknown param"],
)
async def test_bad_reads_answer_stripe_errors(
    stripe_sandbox: Harness, path: str, status: int, param: str, code: str | None
) -> None:
    created = await stripe_sandbox.create_ok()

    response = await stripe_sandbox.get(path.replace("{id}", created["id"]))

    assert response.status_code == status
    error = error_of(response)
    assert (error["type"], error["param"], error.get("code")) == (
        "invalid_request_error",
        param,
        code,
    )


async def test_expire_closes_an_open_session_and_sends_the_expired_event(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()
    path = f"{SESSIONS}/{created['id']}/expire"

    expired = await stripe_sandbox.post_form(path, [("expand[0]", "payment_intent")])
    again = await stripe_sandbox.post_form(path, [])

    assert expired.status_code == 200
    session = expired.json()
    assert (session["status"], session["url"]) == ("expired", None)
    assert session["payment_intent"]["status"] == "canceled"
    assert stripe_sandbox.webhooks.types == ["checkout.session.expired"]
    assert stripe_sandbox.webhooks.events[0]["data"]["object"]["id"] == created["id"]
    assert again.status_code == 400
    assert '"expired"' in error_of(again)["message"]
    assert len(stripe_sandbox.webhooks.requests) == 1


async def test_a_session_past_expires_at_reads_as_expired_and_is_announced_once(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()
    path = f"{SESSIONS}/{created['id']}"

    stripe_sandbox.clock.advance(3599)
    before = await stripe_sandbox.get(path)
    stripe_sandbox.clock.advance(1)
    after = await stripe_sandbox.get(path)
    again = await stripe_sandbox.get(path)

    assert before.json()["status"] == "open"
    assert after.json()["status"] == again.json()["status"] == "expired"
    assert stripe_sandbox.webhooks.types == ["checkout.session.expired"]
    page = await stripe_sandbox.client.get(f"/pay/{created['id']}")
    assert "expired" in page.text
    assert "<form" not in page.text


# --- the payer's page --------------------------------------------------------------------


async def test_the_checkout_page_shows_the_order_and_escapes_item_names(
    stripe_sandbox: Harness,
) -> None:
    name = "<script>alert('x')</script> Café ☕ & Co"
    params = patched(
        seed_params(stripe_sandbox.clock.unix()), "line_items.0.price_data.product_data.name", name
    )
    created = await stripe_sandbox.create_ok(params)

    page = await stripe_sandbox.client.get(f"/pay/{created['id']}")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Café ☕ &amp; Co" in html
    for text in ("AUD 119.00", "AUD 11.81", "Express (aus_post)", "AUD 9.95", "AUD 140.76"):
        assert text in html
    assert f'action="{BASE_URL}/pay/{created["id"]}/outcome"' in html
    for outcome in ("paid", "failed", "cancelled"):
        assert f'name="outcome" value="{outcome}"' in html
    assert "<link" not in html
    assert "src=" not in html


async def test_the_page_offers_no_cancel_without_a_cancel_url_and_404s_unknown_ids(
    stripe_sandbox: Harness,
) -> None:
    params = patched(seed_params(stripe_sandbox.clock.unix()), "cancel_url", DELETE)
    created = await stripe_sandbox.create_ok(params)

    page = await stripe_sandbox.client.get(f"/pay/{created['id']}")
    unknown = await stripe_sandbox.client.get("/pay/cs_test_<b>nope</b>")

    assert 'value="cancelled"' not in page.text
    assert 'value="paid"' in page.text
    assert unknown.status_code == 404
    assert "<b>" not in unknown.text


# --- outcomes ----------------------------------------------------------------------------


async def test_paying_completes_the_session_sends_a_signed_event_and_redirects(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()
    stripe_sandbox.clock.advance(90)

    response = await stripe_sandbox.outcome(created["id"], "paid")

    assert response.status_code == 303
    assert response.headers["location"] == success_location(created["id"])
    (request,) = stripe_sandbox.webhooks.requests
    assert str(request.url) == "http://router.test/api/v1/webhooks/stripe"
    event = json.loads(request.content)
    assert event["id"].startswith("evt_")
    assert (event["object"], event["type"], event["api_version"]) == (
        "event",
        "checkout.session.completed",
        "2024-06-20",
    )
    assert (event["created"], event["livemode"]) == (stripe_sandbox.clock.unix(), False)
    snapshot = event["data"]["object"]
    assert (snapshot["id"], snapshot["status"], snapshot["payment_status"]) == (
        created["id"],
        "complete",
        "paid",
    )
    timestamp, signature = _signature_parts(request.headers["stripe-signature"])
    assert timestamp == stripe_sandbox.clock.unix()
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)
    retrieved = await stripe_sandbox.get(f"{SESSIONS}/{created['id']}?expand[]=payment_intent")
    assert retrieved.json() == {
        **snapshot,
        "payment_intent": retrieved.json()["payment_intent"],
    }
    intent = retrieved.json()["payment_intent"]
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 14076)


async def test_a_declined_payment_completes_unpaid_and_sends_async_payment_failed(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()

    response = await stripe_sandbox.outcome(created["id"], "failed")

    assert response.status_code == 303
    assert response.headers["location"] == success_location(created["id"])
    assert stripe_sandbox.webhooks.types == ["checkout.session.async_payment_failed"]
    retrieved = await stripe_sandbox.get(f"{SESSIONS}/{created['id']}?expand[]=payment_intent")
    session = retrieved.json()
    assert (session["status"], session["payment_status"]) == ("complete", "unpaid")
    intent = session["payment_intent"]
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["code"] == "card_declined"
    assert intent["last_payment_error"]["message"]


async def test_cancelling_changes_nothing_and_returns_to_the_cancel_url(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()

    response = await stripe_sandbox.outcome(created["id"], "cancelled")

    assert response.status_code == 303
    assert response.headers["location"] == CANCEL_URL
    assert stripe_sandbox.webhooks.requests == []
    retrieved = await stripe_sandbox.get(f"{SESSIONS}/{created['id']}")
    assert retrieved.json()["status"] == "open"


async def test_cancelling_without_a_cancel_url_is_400(stripe_sandbox: Harness) -> None:
    params = patched(seed_params(stripe_sandbox.clock.unix()), "cancel_url", DELETE)
    created = await stripe_sandbox.create_ok(params)

    response = await stripe_sandbox.outcome(created["id"], "cancelled")

    assert response.status_code == 400
    assert stripe_sandbox.webhooks.requests == []


@pytest.mark.parametrize("settle", ["paid", "expire"])
async def test_a_session_no_longer_open_refuses_outcomes_with_409(
    stripe_sandbox: Harness, settle: str
) -> None:
    created = await stripe_sandbox.create_ok()
    if settle == "paid":
        await stripe_sandbox.outcome(created["id"], "paid")
    else:
        await stripe_sandbox.post_form(f"{SESSIONS}/{created['id']}/expire", [])
    sent = len(stripe_sandbox.webhooks.requests)

    responses = [await stripe_sandbox.outcome(created["id"], o) for o in ("paid", "failed")]

    assert [response.status_code for response in responses] == [409, 409]
    assert len(stripe_sandbox.webhooks.requests) == sent == 1
    page = await stripe_sandbox.client.get(f"/pay/{created['id']}")
    assert "<form" not in page.text


async def test_a_bad_outcome_is_400_and_an_unknown_session_404(stripe_sandbox: Harness) -> None:
    created = await stripe_sandbox.create_ok()

    bad = await stripe_sandbox.outcome(created["id"], "refunded")
    unknown = await stripe_sandbox.outcome("cs_test_nope", "paid")

    assert bad.status_code == 400
    assert unknown.status_code == 404
    assert stripe_sandbox.webhooks.requests == []


async def test_the_event_verifies_with_the_stripe_sdk(
    make_stripe_sandbox: HarnessFactory,
) -> None:
    # construct_event checks the signature's age against the real time.
    harness = await make_stripe_sandbox(start=datetime.now(UTC))
    created = await harness.create_ok()

    await harness.outcome(created["id"], "paid")

    (request,) = harness.webhooks.requests
    header = request.headers["stripe-signature"]
    event = stripe.Webhook.construct_event(request.content.decode(), header, WEBHOOK_SECRET)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == created["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request.content.decode(), header, "whsec_other")


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(500), httpx.ConnectError("connection refused")],
    ids=["receiver answers 500", "receiver unreachable"],
)
async def test_an_undelivered_event_is_logged_and_listed(
    stripe_sandbox: Harness,
    caplog: pytest.LogCaptureFixture,
    failure: httpx.Response | Exception,
) -> None:
    if isinstance(failure, httpx.Response):
        stripe_sandbox.webhooks.status = failure.status_code
    else:
        stripe_sandbox.webhooks.error = failure
    created = await stripe_sandbox.create_ok()

    with caplog.at_level(logging.WARNING):
        response = await stripe_sandbox.outcome(created["id"], "paid")

    assert response.status_code == 303
    (sent,) = stripe_sandbox.webhooks.events
    assert sent["id"] in caplog.text
    assert WEBHOOK_SECRET not in caplog.text
    assert API_KEY not in caplog.text
    undelivered = await stripe_sandbox.get("/v1/events?delivery_success=false")
    delivered = await stripe_sandbox.get("/v1/events?delivery_success=true")
    assert [event["id"] for event in undelivered.json()["data"]] == [sent["id"]]
    assert delivered.json()["data"] == []


async def test_events_can_be_read_back_newest_first(stripe_sandbox: Harness) -> None:
    first = await stripe_sandbox.create_ok()
    second = await stripe_sandbox.create_ok()
    await stripe_sandbox.outcome(first["id"], "paid")
    await stripe_sandbox.outcome(second["id"], "failed")
    sent = stripe_sandbox.webhooks.events

    listed = await stripe_sandbox.get("/v1/events?limit=1")
    single = await stripe_sandbox.get(f"/v1/events/{sent[0]['id']}")
    after = await stripe_sandbox.get(f"/v1/events?starting_after={sent[1]['id']}")

    assert [event["id"] for event in listed.json()["data"]] == [sent[1]["id"]]
    assert listed.json()["has_more"] is True
    assert single.json() == {**sent[0], "pending_webhooks": 0}
    assert [event["id"] for event in after.json()["data"]] == [sent[0]["id"]]


# --- faults and routing ------------------------------------------------------------------


async def test_fault_error_fails_the_api_but_not_the_payer_pages(
    stripe_sandbox: Harness,
) -> None:
    created = await stripe_sandbox.create_ok()
    stripe_sandbox.set_sandbox(fault="error")

    create = await stripe_sandbox.create()
    read = await stripe_sandbox.get(f"{SESSIONS}/{created['id']}")
    page = await stripe_sandbox.client.get(f"/pay/{created['id']}")
    paid = await stripe_sandbox.outcome(created["id"], "paid")

    for response in (create, read):
        assert response.status_code == 500
        assert error_of(response)["type"] == "api_error"
    assert page.status_code == 200
    assert paid.status_code == 303
    stripe_sandbox.set_sandbox(fault="none")
    healed = await stripe_sandbox.get(f"{SESSIONS}/{created['id']}")
    assert healed.json()["payment_status"] == "paid"


async def test_fault_timeout_hangs_api_calls(make_stripe_sandbox: HarnessFactory) -> None:
    harness = await make_stripe_sandbox(fault="timeout", hang_from=60)

    with pytest.raises(Hung):
        await harness.create()

    assert harness.sleep.calls == [3600]


async def test_fault_timeout_answers_500_if_the_hang_ever_ends(
    make_stripe_sandbox: HarnessFactory,
) -> None:
    harness = await make_stripe_sandbox(fault="timeout")

    response = await harness.create()

    assert harness.sleep.calls == [3600]
    assert response.status_code == 500
    assert error_of(response)["type"] == "api_error"


async def test_latency_delays_every_api_answer_but_not_the_pages(
    make_stripe_sandbox: HarnessFactory,
) -> None:
    harness = await make_stripe_sandbox(latency_ms=250)

    created = await harness.create_ok()
    rejected = await harness.get(f"{SESSIONS}/{created['id']}?x=1")
    await harness.client.get(f"/pay/{created['id']}")
    await harness.outcome(created["id"], "paid")

    assert rejected.status_code == 400
    assert harness.sleep.calls == [0.25, 0.25]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/customers"), ("DELETE", SESSIONS), ("GET", SESSIONS)],
)
async def test_unknown_api_urls_answer_stripes_404(
    stripe_sandbox: Harness, method: str, path: str
) -> None:
    response = await stripe_sandbox.client.request(method, path, headers=stripe_sandbox.auth())

    assert response.status_code == 404
    assert f"Unrecognized request URL ({method}: {path})" in error_of(response)["message"]


# --- the real SDK ------------------------------------------------------------------------


class ASGIHTTPXClient(stripe.HTTPXClient):
    """The SDK's httpx client, sending its requests into an ASGI app."""

    def __init__(self, app: Starlette) -> None:
        super().__init__(timeout=5)
        self._client_async = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Any, post_data: Any
    ) -> list[Any]:
        # The SDK hands httpx the form body as data=<str>, deprecated in httpx 0.28.
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        data = kwargs.pop("data")
        if isinstance(data, str):
            kwargs["content"] = data.encode()
        return [args, kwargs]


async def test_the_stripe_sdk_creates_retrieves_and_expires_sessions(
    stripe_sandbox: Harness,
) -> None:
    http_client = ASGIHTTPXClient(stripe_sandbox.app)
    client = stripe.StripeClient(
        API_KEY,
        base_addresses={"api": BASE_URL},
        http_client=http_client,
        max_network_retries=0,
    )
    sessions = client.v1.checkout.sessions
    params: Any = seed_params(stripe_sandbox.clock.unix())
    other_params: Any = {**params, "client_reference_id": "other"}
    invalid_params: Any = {**params, "locale": "en_AU"}
    try:
        created = await sessions.create_async(params=params, options={"idempotency_key": "k1"})
        replayed = await sessions.create_async(params=params, options={"idempotency_key": "k1"})
        retrieved = await sessions.retrieve_async(created.id, params={"expand": ["payment_intent"]})
        expired = await sessions.expire_async(created.id)
        with pytest.raises(stripe.IdempotencyError):
            await sessions.create_async(params=other_params, options={"idempotency_key": "k1"})
        with pytest.raises(stripe.InvalidRequestError) as missing:
            await sessions.retrieve_async("cs_test_missing")
        with pytest.raises(stripe.InvalidRequestError) as invalid:
            await sessions.create_async(params=invalid_params)
        with pytest.raises(stripe.AuthenticationError):
            await sessions.retrieve_async(created.id, options={"api_key": "sk_test_wrong"})
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]

    assert created.id.startswith("cs_test_")
    assert created.url == f"{BASE_URL}/pay/{created.id}"
    assert created.amount_total == 14076
    assert replayed.id == created.id
    assert replayed.last_response is not None
    assert replayed.last_response.headers["Idempotent-Replayed"] == "true"
    intent = retrieved.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status == "requires_payment_method"
    assert expired.status == "expired"
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert invalid.value.param == "locale"
    assert stripe_sandbox.webhooks.types == ["checkout.session.expired"]


def _signature_parts(header: str) -> tuple[int, str]:
    parts = dict(part.split("=", 1) for part in header.split(","))
    return int(parts["t"]), parts["v1"]
