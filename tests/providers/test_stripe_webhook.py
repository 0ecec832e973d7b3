"""Stripe webhooks: Stripe-Signature verification against the injected clock, event mapping."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe

from providers.base import AdapterContext, PaymentStatus, ProviderAdapter
from providers.errors import WebhookVerificationError
from providers.stripe.adapter import StripeAdapterFactory
from providers.stripe.webhook import read_notification, verify_signature, verify_webhook
from router.settings import ProviderInstanceSettings

SECRET = "whsec_payrouter_sandbox"
NOW = datetime(2024, 1, 15, 11, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def event(
    event_type: str = "checkout.session.completed",
    *,
    payment_status: str = "paid",
    metadata: Mapping[str, str] | None = None,
    event_id: str = "evt_1",
) -> bytes:
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": payment_status,
        "metadata": {"payrouter_session_id": "sess-1"} if metadata is None else metadata,
    }
    body = {"id": event_id, "object": "event", "type": event_type, "data": {"object": session}}
    return json.dumps(body).encode()


def sign(body: bytes, *, secret: str = SECRET, timestamp: int = T) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


# --- signature -----------------------------------------------------------------------------


def test_a_header_made_by_the_stripe_sdk_verifies() -> None:
    body = event()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET, T)
    notification = verify_webhook({"Stripe-Signature": header}, body, SECRET, NOW)
    assert notification.event_id == "evt_1"
    assert notification.status is PaymentStatus.COMPLETED
    assert notification.trusted is True


def test_header_name_is_case_insensitive() -> None:
    body = event()
    assert verify_webhook({"stripe-signature": sign(body)}, body, SECRET, NOW).event_id == "evt_1"


def test_a_tampered_body_is_refused() -> None:
    body = event()
    tampered = body.replace(b'"paid"', b'"unpaid"')
    assert tampered != body
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_signature(sign(body), tampered, SECRET, NOW)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    body = event()
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_signature(sign(body, secret="whsec_someone_else"), body, SECRET, NOW)


@pytest.mark.parametrize("offset", [301, -301, 86400])
def test_a_stale_or_future_timestamp_is_refused_by_the_injected_clock(offset: int) -> None:
    body = event()
    header = sign(body, timestamp=T)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_signature(header, body, SECRET, NOW + timedelta(seconds=offset))


@pytest.mark.parametrize("offset", [0, 300, -300])
def test_a_timestamp_within_300_seconds_passes(offset: int) -> None:
    body = event()
    verify_signature(sign(body), body, SECRET, NOW + timedelta(seconds=offset))


def test_any_of_several_v1_signatures_may_match() -> None:
    body = event()
    good = sign(body).split(",")[1]
    header = f"t={T},v1={'0' * 64},{good},v0=ignored"
    verify_signature(header, body, SECRET, NOW)
    with pytest.raises(WebhookVerificationError):
        verify_signature(f"t={T},v1={'0' * 64},v1={'f' * 64}", body, SECRET, NOW)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=,v1=abc",
        f"t=abc,v1={'0' * 64}",
        f"v1={'0' * 64}",
        f"t={T}",
        f"t={T},t={T},v1={'0' * 64}",
        f"t=-{T},v1={'0' * 64}",
        f"t={T},v1=\u00e9\u00e9",
        "t=" + "9" * 5000,
        f"t={'9' * 4000},v1={'0' * 64}",
    ],
)
def test_garbage_headers_are_refused(header: str | None) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_signature(header, event(), SECRET, NOW)


def test_a_missing_header_says_so() -> None:
    with pytest.raises(WebhookVerificationError, match="missing Stripe-Signature"):
        verify_webhook({"Content-Type": "application/json"}, event(), SECRET, NOW)


def test_without_a_configured_secret_nothing_verifies() -> None:
    body = event()
    with pytest.raises(WebhookVerificationError, match="no webhook secret"):
        verify_signature(sign(body, secret=""), body, "", NOW)


# --- body ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}',
        b'{"id": "evt_1", "data": {"object": {"id": "cs_1"}}}',
        b'{"id": "evt_1", "type": "checkout.session.completed"}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "cs_1"}}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}',
        b'{"id": 7, "type": "x", "data": {"object": {}}}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_signed_but_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook({"Stripe-Signature": sign(body)}, body, SECRET, NOW)


@pytest.mark.parametrize(
    ("event_type", "payment_status", "expected"),
    [
        ("checkout.session.completed", "paid", PaymentStatus.COMPLETED),
        ("checkout.session.completed", "no_payment_required", PaymentStatus.COMPLETED),
        ("checkout.session.completed", "unpaid", None),
        ("checkout.session.async_payment_succeeded", "paid", PaymentStatus.COMPLETED),
        ("checkout.session.async_payment_failed", "unpaid", PaymentStatus.FAILED),
        ("checkout.session.expired", "unpaid", PaymentStatus.EXPIRED),
        ("checkout.session.created_someday", "unpaid", None),
    ],
)
def test_checkout_events_map_to_statuses(
    event_type: str, payment_status: str, expected: PaymentStatus | None
) -> None:
    notification = read_notification(event(event_type, payment_status=payment_status))
    assert notification.status is expected
    assert notification.event_type == event_type
    assert notification.provider_reference == "cs_test_1"
    assert notification.session_id == "sess-1"
    assert notification.trusted is True


def test_an_event_without_our_session_id_still_names_the_checkout() -> None:
    notification = read_notification(event(metadata={}))
    assert notification.session_id is None
    assert notification.provider_reference == "cs_test_1"


def test_other_event_types_carry_no_status() -> None:
    body: dict[str, Any] = {
        "id": "evt_2",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "metadata": {}}},
    }
    notification = read_notification(json.dumps(body).encode())
    assert notification.status is None
    assert notification.provider_reference is None
    assert notification.session_id is None
    assert notification.event_id == "evt_2"


# --- through the adapter -------------------------------------------------------------------


async def test_the_adapter_verifies_with_its_secret_and_its_clock() -> None:
    clock_now = [NOW]
    settings = ProviderInstanceSettings(adapter="stripe", currencies=("AUD",), methods=("card",))
    async with httpx.AsyncClient() as http:
        adapter: ProviderAdapter = StripeAdapterFactory().create(
            AdapterContext(
                instance_name="stripe",
                settings=settings,
                credentials={"api_key": "sk_test_x", "webhook_secret": SECRET},
                api_base=None,
                http=http,
                clock=lambda: clock_now[0],
            )
        )
        body = event(event_id="evt_adapter")
        headers = {"Stripe-Signature": sign(body)}
        assert adapter.verify_webhook(headers, body).event_id == "evt_adapter"
        clock_now[0] = NOW + timedelta(seconds=301)
        with pytest.raises(WebhookVerificationError):
            adapter.verify_webhook(headers, body)
        await adapter.aclose()
