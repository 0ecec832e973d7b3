"""POST /api/v1/sessions with bad input: the contract's status, error code and field path,
and nothing stored. Then the good inputs that must be accepted exactly as sent.

Every case runs against a fresh service; after a refusal the merchant's list is empty and
the same Idempotency-Key still works for a valid body (a refused request consumes nothing).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.harness import Harness, Merchant, assert_error, seed_bytes, seed_payload

MiB = 1024 * 1024
SESSIONS = "/api/v1/sessions"
JSON = {"Content-Type": "application/json"}


# -- helpers --------------------------------------------------------------------------------


def fields_of(error: dict[str, Any]) -> set[str]:
    for detail in error["details"]:
        assert isinstance(detail.get("message"), str) and detail["message"], detail
    return {detail["field"] for detail in error["details"]}


def _walk(body: Any, path: str) -> tuple[Any, str | int]:
    """The container holding ``path`` (dotted, list indexes as numbers) and the last key."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = body
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def changed(*edits: tuple[str, Any]) -> bytes:
    """Seed 003 with ``(path, value)`` edits; the value ``DROP`` deletes the field."""
    body = seed_payload()
    for path, value in edits:
        node, last = _walk(body, path)
        if value is DROP:
            del node[last]
        else:
            node[last] = value
    return json.dumps(body).encode()


def replaced(old: str, new: str) -> bytes:
    """Seed 003's exact bytes with one text replacement (for what json.dumps cannot write)."""
    raw = seed_bytes().decode()
    assert raw.count(old) == 1, old
    return raw.replace(old, new).encode()


DROP = object()


def order(
    currency: str,
    unit_price: Any,
    quantity: Any = 1,
    shipping: Any = 0,
    tax: Any = 0,
    total: Any = None,
) -> bytes:
    """Seed 003 in another currency and amounts, as JSON text (numbers written verbatim)."""
    body = seed_payload()
    body["currency"] = currency
    body["orderItems"][0]["unitPrice"] = "@UNIT@"
    body["orderItems"][0]["quantity"] = "@QTY@"
    body["amount"] = {"total": "@TOTAL@", "shipping": "@SHIP@", "tax": "@TAX@"}
    text = json.dumps(body)
    for marker, value in [
        ("@UNIT@", unit_price),
        ("@QTY@", quantity),
        ("@SHIP@", shipping),
        ("@TAX@", tax),
        ("@TOTAL@", total),
    ]:
        text = text.replace(f'"{marker}"', str(value))
    return text.encode()


async def post(
    router: Harness,
    merchant: Merchant,
    content: bytes | AsyncIterator[bytes],
    headers: dict[str, str] | None = None,
    key: str | None = "validation-key",
) -> httpx.Response:
    sent = {**merchant.auth, **JSON}
    if key is not None:
        sent["Idempotency-Key"] = key
    sent.update(headers or {})
    return await router.client.post(SESSIONS, content=content, headers=sent)


async def assert_nothing_stored(router: Harness, merchant: Merchant) -> None:
    listed = await router.client.get(SESSIONS, headers=merchant.auth)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"data": [], "hasMore": False, "nextCursor": None}


async def assert_key_still_free(router: Harness, merchant: Merchant, key: str) -> None:
    """A refused request consumed nothing: the same key now creates the seed session."""
    retry = await router.create_session(merchant, key=key)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers


# -- the table of refusals ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    body: bytes
    status: int
    code: str
    # Exact set of details[].field for validation errors; None: not checked (not a field).
    fields: set[str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def v(case_id: str, body: bytes, *fields: str) -> Case:
    return Case(case_id, body, 422, "validation_error", set(fields))


CASES = [
    # Not JSON at all: 400 invalid_json.
    Case("malformed_json", b'{"orderReference": "ORD-1",', 400, "invalid_json"),
    Case("empty_body", b"", 400, "invalid_json"),
    Case("whitespace_body", b"   \n", 400, "invalid_json"),
    Case("nan_literal", replaced("140.76", "NaN"), 400, "invalid_json"),
    Case("infinity_literal", replaced("140.76", "Infinity"), 400, "invalid_json"),
    Case("minus_infinity_literal", replaced("9.95", "-Infinity"), 400, "invalid_json"),
    Case(
        "duplicate_top_level_key",
        replaced('"currency": "AUD",', '"currency": "AUD", "currency": "USD",'),
        400,
        "invalid_json",
    ),
    Case(
        "duplicate_nested_key",
        replaced('"firstName": "Jane",', '"firstName": "Jane", "firstName": "Eve",'),
        400,
        "invalid_json",
    ),
    Case("not_utf8", seed_bytes().replace(b'"Jane"', b'"J\xffne"'), 400, "invalid_json"),
    Case("trailing_garbage", seed_bytes() + b" {}", 400, "invalid_json"),
    Case("single_quotes", b"{'orderReference': 'x'}", 400, "invalid_json"),
    # JSON, but not an object.
    Case("json_array_body", b"[" + seed_bytes() + b"]", 422, "validation_error"),
    Case("json_string_body", b'"hello"', 422, "validation_error"),
    Case("json_null_body", b"null", 422, "validation_error"),
    # Unknown fields, at every level.
    v("unknown_top_level_field", changed(("discountCode", "X")), "discountCode"),
    v("unknown_amount_field", changed(("amount.discount", 1)), "amount.discount"),
    v("unknown_item_field", changed(("orderItems.0.color", "red")), "orderItems.0.color"),
    v(
        "unknown_address_field",
        changed(("customer.billingAddress.county", "X")),
        "customer.billingAddress.county",
    ),
    v(
        "unknown_redirect_field",
        changed(("redirectUrls.cancel", "https://m.example/c")),
        "redirectUrls.cancel",
    ),
    v(
        "snake_case_field",
        changed(("orderReference", DROP), ("order_reference", "ORD-1")),
        "orderReference",
        "order_reference",
    ),
    # Missing required fields.
    v("missing_order_reference", changed(("orderReference", DROP)), "orderReference"),
    v("missing_payment_method", changed(("paymentMethod", DROP)), "paymentMethod"),
    v("missing_currency", changed(("currency", DROP)), "currency"),
    v("missing_amount", changed(("amount", DROP)), "amount"),
    v("missing_total", changed(("amount.total", DROP)), "amount.total"),
    v("missing_order_items", changed(("orderItems", DROP)), "orderItems"),
    v("missing_unit_price", changed(("orderItems.0.unitPrice", DROP)), "orderItems.0.unitPrice"),
    v("missing_quantity", changed(("orderItems.0.quantity", DROP)), "orderItems.0.quantity"),
    v("missing_item_name", changed(("orderItems.0.name", DROP)), "orderItems.0.name"),
    v("missing_customer", changed(("customer", DROP)), "customer"),
    v("missing_email", changed(("customer.email", DROP)), "customer.email"),
    v("missing_redirect_urls", changed(("redirectUrls", DROP)), "redirectUrls"),
    v("missing_failure_url", changed(("redirectUrls.failure", DROP)), "redirectUrls.failure"),
    v("null_currency", changed(("currency", None)), "currency"),
    # Money: numbers only, finite, not negative, not absurd.
    v("negative_shipping", changed(("amount.shipping", -9.95)), "amount.shipping"),
    v("negative_unit_price", changed(("orderItems.0.unitPrice", -119)), "orderItems.0.unitPrice"),
    v("negative_total", changed(("amount.total", -140.76)), "amount.total"),
    v("total_zero_everything_zero", order("AUD", 0, total=0), "amount.total"),
    v("total_1e400", replaced("140.76", "1e400"), "amount.total"),
    v(
        "unit_price_1e400",
        replaced('"unitPrice": 119', '"unitPrice": 1e400'),
        "orderItems.0.unitPrice",
    ),
    v("total_as_string", changed(("amount.total", "140.76")), "amount.total"),
    v("unit_price_as_string", changed(("orderItems.0.unitPrice", "119")), "orderItems.0.unitPrice"),
    v("tax_as_boolean", changed(("amount.tax", True)), "amount.tax"),
    v("total_as_boolean", changed(("amount.total", False)), "amount.total"),
    v("total_as_null", changed(("amount.total", None)), "amount.total"),
    v("total_as_object", changed(("amount.total", {"value": 140.76})), "amount.total"),
    # Quantities: whole positive JSON integers.
    v("quantity_zero", changed(("orderItems.0.quantity", 0)), "orderItems.0.quantity"),
    v("quantity_negative", changed(("orderItems.0.quantity", -1)), "orderItems.0.quantity"),
    v("quantity_fraction", changed(("orderItems.0.quantity", 1.5)), "orderItems.0.quantity"),
    v("quantity_as_string", changed(("orderItems.0.quantity", "1")), "orderItems.0.quantity"),
    v("quantity_as_boolean", changed(("orderItems.0.quantity", True)), "orderItems.0.quantity"),
    # Currency: upper-case ISO 4217 only.
    v("currency_lower_case", changed(("currency", "aud")), "currency"),
    v("currency_unknown_code", changed(("currency", "XYZ")), "currency"),
    v("currency_two_letters", changed(("currency", "AU")), "currency"),
    v("currency_as_number", changed(("currency", 36)), "currency"),
    # Decimals beyond the currency's exponent.
    v("jpy_unit_price_10_5", order("JPY", "10.5", quantity=2, total=21), "orderItems.0.unitPrice"),
    v(
        "jpy_total_10_5",
        order("JPY", "10.5", total="10.5"),
        "amount.total",
        "orderItems.0.unitPrice",
    ),
    v(
        "usd_tax_1_005",
        order("USD", 119, shipping="9.95", tax="1.005", total="129.955"),
        "amount.tax",
        "amount.total",
    ),
    v(
        "aud_shipping_three_places",
        order("AUD", 119, shipping="9.951", tax="11.81", total="140.761"),
        "amount.shipping",
        "amount.total",
    ),
    # Totals that do not add up.
    Case(
        "amount_mismatch_total",
        changed(("amount.total", 140.77)),
        422,
        "amount_mismatch",
        {"amount.total"},
    ),
    Case(
        "amount_mismatch_quantity",
        changed(("orderItems.0.quantity", 2)),
        422,
        "amount_mismatch",
        {"amount.total"},
    ),
    Case(
        "amount_mismatch_missing_tax",
        changed(("amount.tax", DROP)),
        422,
        "amount_mismatch",
        {"amount.total"},
    ),
    # Customer and addresses.
    v("email_without_at", changed(("customer.email", "jane.smith.example.com")), "customer.email"),
    v("email_without_domain", changed(("customer.email", "jane@")), "customer.email"),
    v("email_without_local_part", changed(("customer.email", "@example.com")), "customer.email"),
    v("email_with_space", changed(("customer.email", "jane smith@example.com")), "customer.email"),
    v("email_two_ats", changed(("customer.email", "jane@smith@example.com")), "customer.email"),
    v(
        "country_lower_case",
        changed(("customer.billingAddress.country", "au")),
        "customer.billingAddress.country",
    ),
    v(
        "country_three_letters",
        changed(("customer.shippingAddress.country", "AUS")),
        "customer.shippingAddress.country",
    ),
    v(
        "country_with_digit",
        changed(("customer.billingAddress.country", "A1")),
        "customer.billingAddress.country",
    ),
    # Redirect URLs: absolute http(s) only.
    v(
        "url_ftp",
        changed(("redirectUrls.success", "ftp://merchant.example.com/ok")),
        "redirectUrls.success",
    ),
    v(
        "url_relative",
        changed(("redirectUrls.success", "/checkout/success")),
        "redirectUrls.success",
    ),
    v(
        "url_javascript",
        changed(("redirectUrls.failure", "javascript:alert(1)")),
        "redirectUrls.failure",
    ),
    v(
        "url_no_host",
        changed(("redirectUrls.failure", "https:///checkout/failure")),
        "redirectUrls.failure",
    ),
    # Text: no control characters, no lone surrogates.
    v("nul_in_first_name", changed(("customer.firstName", "Ja\u0000ne")), "customer.firstName"),
    v("bell_in_last_name", changed(("customer.lastName", "Smi\u0007th")), "customer.lastName"),
    v("nul_in_item_name", changed(("orderItems.0.name", "Head\u0000phones")), "orderItems.0.name"),
    v(
        "escape_in_city",
        changed(("customer.billingAddress.city", "Mel\u001bbourne")),
        "customer.billingAddress.city",
    ),
    v("lone_surrogate_in_first_name", replaced('"Jane"', '"J\\ud800ne"'), "customer.firstName"),
    v(
        "lone_low_surrogate_in_item_name",
        replaced('"Wireless Headphones"', '"Wireless \\udc00"'),
        "orderItems.0.name",
    ),
    # Enumerations, lists, the extension.
    v("payment_method_cash", changed(("paymentMethod", "cash")), "paymentMethod"),
    v("payment_method_upper_case", changed(("paymentMethod", "CARD")), "paymentMethod"),
    v("empty_order_items", changed(("orderItems", [])), "orderItems"),
    v("order_items_not_a_list", changed(("orderItems", {"name": "x"})), "orderItems"),
    v("expires_in_299", changed(("expiresInSeconds", 299)), "expiresInSeconds"),
    v("expires_in_86401", changed(("expiresInSeconds", 86401)), "expiresInSeconds"),
    v("expires_in_as_string", changed(("expiresInSeconds", "600")), "expiresInSeconds"),
    v("expires_in_fraction", changed(("expiresInSeconds", 600.5)), "expiresInSeconds"),
    # Several problems at once: each one listed.
    v(
        "several_fields_at_once",
        changed(
            ("customer.email", "nope"),
            ("currency", "aud"),
            ("orderItems.0.quantity", 0),
        ),
        "customer.email",
        "currency",
        "orderItems.0.quantity",
    ),
    # Headers.
    Case(
        "content_type_text_plain",
        seed_bytes(),
        415,
        "unsupported_media_type",
        headers={"Content-Type": "text/plain"},
    ),
    Case(
        "content_type_form",
        seed_bytes(),
        415,
        "unsupported_media_type",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Case(
        "content_type_missing",
        seed_bytes(),
        415,
        "unsupported_media_type",
        headers={"Content-Type": ""},
    ),
    Case("body_over_1_mib_with_content_length", b" " * (MiB + 1), 413, "payload_too_large"),
    Case(
        "content_length_claims_over_1_mib",
        seed_bytes(),
        413,
        "payload_too_large",
        headers={"Content-Length": str(MiB + 1)},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_bad_request_is_refused_and_nothing_is_stored(router: Harness, case: Case) -> None:
    merchant = await router.merchant()
    response = await post(router, merchant, case.body, headers=case.headers, key="case-key")
    error = assert_error(response, case.status, case.code)
    if case.fields is not None:
        assert fields_of(error) == case.fields
    elif case.code == "validation_error":
        assert error["details"], error
    await assert_nothing_stored(router, merchant)
    await assert_key_still_free(router, merchant, "case-key")


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


# -- body size without a truthful Content-Length ---------------------------------------------


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


async def test_chunked_body_over_1_mib_is_too_large(router: Harness) -> None:
    merchant = await router.merchant()
    response = await post(router, merchant, _chunks(MiB + 1))
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error(response, 413, "payload_too_large")
    await assert_nothing_stored(router, merchant)


async def test_understated_content_length_does_not_bypass_the_limit(router: Harness) -> None:
    merchant = await router.merchant()
    body = seed_bytes() + b" " * MiB
    response = await post(router, merchant, body, headers={"Content-Length": "100"})
    assert_error(response, 413, "payload_too_large")
    await assert_nothing_stored(router, merchant)


async def test_body_of_exactly_1_mib_is_accepted(router: Harness) -> None:
    merchant = await router.merchant()
    seed = seed_bytes()
    body = seed + b" " * (MiB - len(seed))
    assert len(body) == MiB
    response = await post(router, merchant, body)
    assert response.status_code == 201, response.text


async def test_chunked_seed_body_is_accepted(router: Harness) -> None:
    merchant = await router.merchant()

    async def pieces() -> AsyncIterator[bytes]:
        seed = seed_bytes()
        for start in range(0, len(seed), 100):
            yield seed[start : start + 100]

    response = await post(router, merchant, pieces())
    assert response.status_code == 201, response.text


# -- Idempotency-Key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_missing"),
        ("", "idempotency_key_invalid"),
        ("k" * 256, "idempotency_key_invalid"),
        ("k" * 1000, "idempotency_key_invalid"),
    ],
    ids=["missing", "empty", "256_chars", "1000_chars"],
)
async def test_bad_idempotency_key_is_refused(router: Harness, key: str | None, code: str) -> None:
    merchant = await router.merchant()
    response = await post(router, merchant, seed_bytes(), key=key)
    assert_error(response, 400, code)
    await assert_nothing_stored(router, merchant)


@pytest.mark.parametrize("length", [1, 255])
async def test_idempotency_key_of_1_to_255_chars_is_accepted(router: Harness, length: int) -> None:
    merchant = await router.merchant()
    key = ("abcdefghij" * 26)[:length]
    response = await post(router, merchant, seed_bytes(), key=key)
    assert response.status_code == 201, response.text
    replay = await post(router, merchant, seed_bytes(), key=key)
    assert replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.content == response.content


# -- valid but nobody can take it ------------------------------------------------------------


async def test_crypto_in_aud_has_no_eligible_provider(router: Harness) -> None:
    merchant = await router.merchant()
    response = await post(router, merchant, changed(("paymentMethod", "crypto")), key="k-crypto")
    error = assert_error(response, 422, "no_eligible_provider")
    by_provider = {d.get("provider"): d for d in error["details"]}
    assert "crypto_collector" in by_provider, error
    reason = by_provider["crypto_collector"].get("reason")
    assert isinstance(reason, str) and "AUD" in reason
    assert "stripe" in by_provider  # card-only: excluded for the method, and says so
    assert "crypto" in str(by_provider["stripe"].get("reason"))
    await assert_nothing_stored(router, merchant)
    await assert_key_still_free(router, merchant, "k-crypto")


async def test_kwd_amount_stripe_cannot_represent_has_no_eligible_provider(
    router: Harness,
) -> None:
    merchant = await router.merchant()
    body = order("KWD", "1.005", quantity=1, shipping="0.000", tax="0.000", total="1.005")
    response = await post(router, merchant, body)
    error = assert_error(response, 422, "no_eligible_provider")
    assert any(d.get("provider") == "stripe" for d in error["details"])
    await assert_nothing_stored(router, merchant)


async def test_lone_surrogate_in_additional_information_value_is_a_validation_error(
    router: Harness,
) -> None:
    merchant = await router.merchant()
    body = replaced('"summer-sale-2024"', '"summer\\ud800"')
    transport = httpx.ASGITransport(app=router.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=router.client.base_url) as client:
        response = await client.post(
            SESSIONS, content=body, headers={**merchant.auth, **JSON, "Idempotency-Key": "k"}
        )
    error = assert_error(response, 422, "validation_error")
    assert fields_of(error) == {"additionalInformation.campaignId"}
    await assert_nothing_stored(router, merchant)
    await assert_key_still_free(router, merchant, "k")


# -- inputs that must be accepted ------------------------------------------------------------


async def test_seed_003_byte_for_byte_is_created(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.create_session(merchant)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "PENDING"


async def created_and_read(router: Harness, body: bytes, key: str = "ok") -> dict[str, Any]:
    merchant = await router.merchant()
    response = await post(router, merchant, body, key=key)
    assert response.status_code == 201, response.text
    read = await router.client.get(
        f"{SESSIONS}/{response.json()['sessionId']}", headers=merchant.auth
    )
    assert read.status_code == 200, read.text
    session: dict[str, Any] = read.json()
    return session


async def test_jpy_in_whole_numbers_is_created(router: Harness) -> None:
    session = await created_and_read(
        router, order("JPY", 1000, quantity=2, shipping=500, tax=0, total=2500)
    )
    assert session["currency"] == "JPY"
    assert session["amount"] == {"total": "2500", "shipping": "500", "tax": "0"}
    assert session["orderItems"][0]["unitPrice"] == "1000"


async def test_kwd_with_three_decimals_is_created(router: Harness) -> None:
    session = await created_and_read(
        router, order("KWD", "12.340", quantity=2, shipping="1.250", tax="0.010", total="25.940")
    )
    assert session["amount"] == {"total": "25.940", "shipping": "1.250", "tax": "0.010"}
    assert session["orderItems"][0]["unitPrice"] == "12.340"


async def test_usd_with_two_decimals_and_trailing_zero_is_created(router: Harness) -> None:
    session = await created_and_read(
        router, order("USD", "19.90", quantity=3, shipping="0.10", tax="0", total="59.80")
    )
    assert session["amount"] == {"total": "59.80", "shipping": "0.10", "tax": "0.00"}


@pytest.mark.parametrize("seconds", [300, 86400])
async def test_expires_in_seconds_at_its_bounds_is_accepted(router: Harness, seconds: int) -> None:
    await created_and_read(router, changed(("expiresInSeconds", seconds)))


async def test_content_type_with_charset_is_accepted(router: Harness) -> None:
    merchant = await router.merchant()
    response = await post(
        router, merchant, seed_bytes(), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text


async def test_optional_fields_may_be_left_out(router: Harness) -> None:
    body = changed(
        ("locale", DROP),
        ("shipping", DROP),
        ("additionalInformation", DROP),
        ("customer.phone", DROP),
        ("customer.billingAddress", DROP),
        ("customer.shippingAddress", DROP),
        ("orderItems.0.sku", DROP),
    )
    session = await created_and_read(router, body)
    assert session["customer"]["email"] == "jane.smith@example.com"


UNICODE_NAMES: dict[str, str] = {
    "emoji": "Zoë 😀🎧",
    "cjk": "山田 太郎",
    "arabic": "عبد الله",
    "combining_marks": "Jose\u0301 Ame\u0301lie",  # decomposed: must not be normalised
    "hebrew_rtl_mark": "\u200f\u05e9\u05dc\u05d5\u05dd",  # RLM + shalom
}


def unicode_payload(text: str) -> dict[str, Any]:
    body = seed_payload()
    body["customer"]["firstName"] = text
    body["customer"]["lastName"] = text[::-1]
    body["customer"]["billingAddress"]["city"] = f"{text} 市"
    body["customer"]["shippingAddress"]["line1"] = f"1 {text} Street"
    body["orderItems"][0]["name"] = f"{text} headphones"
    body["additionalInformation"] = {"note": text, "campaignId": f"🎁 {text}"}
    return body


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["raw_utf8", "escaped"])
@pytest.mark.parametrize("text", list(UNICODE_NAMES.values()), ids=list(UNICODE_NAMES))
async def test_unicode_is_accepted_and_read_back_identical(
    router: Harness, text: str, ensure_ascii: bool
) -> None:
    payload = unicode_payload(text)
    session = await created_and_read(
        router, json.dumps(payload, ensure_ascii=ensure_ascii).encode("utf-8")
    )
    assert session["customer"] == payload["customer"]
    assert session["orderItems"][0]["name"] == payload["orderItems"][0]["name"]
    assert session["additionalInformation"] == payload["additionalInformation"]
    # Byte-exact too, not merely equal after some normalisation.
    assert session["customer"]["firstName"].encode("utf-8") == text.encode("utf-8")


async def test_additional_information_scalars_are_read_back_with_their_types(
    router: Harness,
) -> None:
    info: dict[str, Any] = {"campaignId": "summer", "visits": 3, "vip": True, "coupon": None}
    session = await created_and_read(router, changed(("additionalInformation", info)))
    assert session["additionalInformation"] == info
    assert isinstance(session["additionalInformation"]["visits"], int)
    assert session["additionalInformation"]["vip"] is True
