"""Records rendered as the JSON objects Stripe's API (version 2024-06-20) returns."""

from __future__ import annotations

import json
from typing import Any

from providers.sandbox.stripe_state import PaymentIntentRecord, SessionRecord

API_VERSION = "2024-06-20"


def session_object(
    record: SessionRecord, base_url: str, expand: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A ``checkout.session``; ``url`` is set only while it is open, as on Stripe.

    ``expand`` may hold ``payment_intent`` (the object instead of its id) and
    ``line_items`` (a list object, otherwise left out).
    """
    draft = record.draft
    intent = record.payment_intent
    shipping_cost = None
    if draft.shipping_options:
        shipping_cost = {
            "amount_subtotal": draft.shipping_amount,
            "amount_tax": 0,
            "amount_total": draft.shipping_amount,
            "shipping_rate": record.shipping_rate_ids[0],
        }
    obj: dict[str, Any] = {
        "id": record.id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": draft.allow_promotion_codes,
        "amount_subtotal": draft.amount_subtotal,
        "amount_total": draft.amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": draft.billing_address_collection,
        "cancel_url": draft.cancel_url,
        "client_reference_id": draft.client_reference_id,
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": record.created,
        "currency": draft.currency,
        "custom_fields": [],
        "customer": None,
        "customer_creation": draft.customer_creation,
        "customer_details": _customer_details(record),
        "customer_email": draft.customer_email,
        "expires_at": draft.expires_at,
        "invoice": None,
        "livemode": False,
        "locale": draft.locale,
        "metadata": dict(draft.metadata),
        "mode": "payment",
        "payment_intent": payment_intent_object(record)
        if "payment_intent" in expand
        else intent.id,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": list(draft.payment_method_types),
        "payment_status": record.payment_status,
        "phone_number_collection": {"enabled": draft.phone_number_collection},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": shipping_cost,
        "shipping_details": None,
        "shipping_options": [
            {"shipping_amount": option.amount, "shipping_rate": rate_id}
            for option, rate_id in zip(
                draft.shipping_options, record.shipping_rate_ids, strict=True
            )
        ],
        "status": record.status,
        "submit_type": draft.submit_type,
        "subscription": None,
        "success_url": draft.success_url,
        "total_details": {
            "amount_discount": 0,
            "amount_shipping": draft.shipping_amount,
            "amount_tax": 0,
        },
        "ui_mode": "hosted",
        "url": f"{base_url}/pay/{record.id}" if record.is_open else None,
    }
    if "line_items" in expand:
        obj["line_items"] = line_items_list(record)
    return obj


def _customer_details(record: SessionRecord) -> dict[str, Any] | None:
    # Stripe fills this in when the payer submits the form; the sandbox asks for nothing,
    # so it knows only the email the merchant prefilled.
    if record.status != "complete":
        return None
    return {
        "address": None,
        "email": record.draft.customer_email,
        "name": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def payment_intent_object(record: SessionRecord) -> dict[str, Any]:
    """The ``payment_intent`` behind a session."""
    intent: PaymentIntentRecord = record.payment_intent
    pi_draft = record.draft.payment_intent
    return {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": 0,
        "amount_received": intent.amount_received,
        "canceled_at": intent.canceled_at,
        "cancellation_reason": intent.cancellation_reason,
        "capture_method": "automatic_async",
        "confirmation_method": "automatic",
        "created": intent.created,
        "currency": intent.currency,
        "customer": None,
        "description": pi_draft.description,
        "last_payment_error": dict(intent.last_payment_error)
        if intent.last_payment_error
        else None,
        "latest_charge": intent.latest_charge,
        "livemode": False,
        "metadata": dict(pi_draft.metadata),
        "next_action": None,
        "payment_method": intent.payment_method,
        "payment_method_types": list(record.draft.payment_method_types),
        "receipt_email": pi_draft.receipt_email,
        "shipping": pi_draft.shipping,
        "statement_descriptor": pi_draft.statement_descriptor,
        "statement_descriptor_suffix": pi_draft.statement_descriptor_suffix,
        "status": intent.status,
    }


def line_items_list(record: SessionRecord) -> dict[str, Any]:
    """The session's line items as Stripe's list object."""
    draft = record.draft
    data = []
    for index, item in enumerate(draft.items):
        data.append(
            {
                "id": record.line_item_ids[index],
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": item.amount,
                "amount_tax": 0,
                "amount_total": item.amount,
                "currency": item.currency,
                "description": item.name,
                "price": {
                    "id": record.price_ids[index],
                    "object": "price",
                    "active": False,
                    "currency": item.currency,
                    "livemode": False,
                    "product": record.product_ids[index],
                    "tax_behavior": item.tax_behavior or "unspecified",
                    "type": "one_time",
                    "unit_amount": item.unit_amount,
                },
                "quantity": item.quantity,
            }
        )
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "url": f"/v1/checkout/sessions/{record.id}/line_items",
    }


def event_object(
    event_id: str, event_type: str, created: int, data_object: dict[str, Any]
) -> dict[str, Any]:
    """A Stripe ``event`` carrying a snapshot of the object it is about."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def to_json(obj: dict[str, Any]) -> str:
    """JSON as Stripe writes it (two-space indent), the exact text that is signed/sent."""
    return json.dumps(obj, indent=2)
