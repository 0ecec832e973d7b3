"""GET /api/v1/sessions/{sessionId} (the whole session) and GET /api/v1/sessions (newest
first, cursor pagination), through HTTP only."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.harness import Harness, Merchant, assert_error, seed_payload

SESSIONS = "/api/v1/sessions"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def parse_time(value: str) -> datetime:
    assert TIMESTAMP.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def create(
    router: Harness, merchant: Merchant, key: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await router.create_session(merchant, body=body, key=key)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def get_page(router: Harness, merchant: Merchant, query: str = "") -> dict[str, Any]:
    response = await router.client.get(f"{SESSIONS}{query}", headers=merchant.auth)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"data", "hasMore", "nextCursor"}
    assert isinstance(page["hasMore"], bool)
    return page


async def walk(router: Harness, merchant: Merchant, limit: int) -> list[list[str]]:
    """Every page's session ids, following nextCursor to the end."""
    pages: list[list[str]] = []
    query = f"?limit={limit}"
    for _ in range(100):
        page = await get_page(router, merchant, query)
        ids = [item["sessionId"] for item in page["data"]]
        pages.append(ids)
        assert len(ids) <= limit
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            return pages
        assert len(ids) == limit
        assert isinstance(page["nextCursor"], str) and page["nextCursor"]
        query = f"?limit={limit}&cursor={page['nextCursor']}"
    raise AssertionError("pagination never ended")


async def create_many(router: Harness, merchant: Merchant, count: int) -> list[str]:
    """``count`` sessions a minute apart; their ids oldest first."""
    ids = []
    for n in range(count):
        ids.append((await create(router, merchant, f"list-{n}"))["sessionId"])
        router.clock.advance(minutes=1)
    return ids


# -- one session ----------------------------------------------------------------------------


async def test_get_returns_the_whole_session(router: Harness) -> None:
    merchant = await router.merchant()
    created_at = router.clock()
    created = await create(router, merchant, "read-1")
    response = await router.client.get(f"{SESSIONS}/{created['sessionId']}", headers=merchant.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    session = response.json()
    seed = seed_payload()

    assert session["sessionId"] == created["sessionId"]
    uuid.UUID(session["sessionId"])
    assert session["status"] == "PENDING"
    assert session["orderReference"] == "ORD-2024-001"
    assert session["paymentMethod"] == "card"
    assert session["currency"] == "AUD"
    assert session["locale"] == "en_AU"
    # Money as exact decimal strings with the currency's places, never floats.
    assert session["amount"] == {"total": "140.76", "shipping": "9.95", "tax": "11.81"}
    assert session["orderItems"] == [
        {"name": "Wireless Headphones", "sku": "WH-100", "quantity": 1, "unitPrice": "119.00"}
    ]
    assert session["customer"] == seed["customer"]
    assert session["shipping"] == seed["shipping"]
    assert session["additionalInformation"] == seed["additionalInformation"]
    assert session["redirectUrls"] == seed["redirectUrls"]

    routing = session["routing"]
    assert routing["selectedProvider"] == "stripe"
    assert isinstance(routing["score"], int | float) and 0 <= routing["score"] <= 100
    assert routing == created["routing"]

    assert session["checkoutUrl"] == created["checkoutUrl"]
    assert session["provider"]["name"] == "stripe"
    reference = session["provider"]["reference"]
    assert isinstance(reference, str) and reference.startswith("cs_")
    assert reference in created["checkoutUrl"]

    attempts = session["attempts"]
    assert len(attempts) == 1
    assert attempts[0]["provider"] == "stripe"
    assert attempts[0]["status"] == "succeeded"
    parse_time(attempts[0]["startedAt"])
    parse_time(attempts[0]["finishedAt"])

    assert parse_time(session["createdAt"]) == created_at
    assert session["createdAt"] == created["createdAt"]
    assert session["expiresAt"] == created["expiresAt"]
    assert parse_time(session["expiresAt"]) > created_at
    parse_time(session["updatedAt"])


async def test_expires_in_seconds_sets_expires_at(router: Harness) -> None:
    merchant = await router.merchant()
    body = seed_payload()
    body["expiresInSeconds"] = 1800
    created = await create(router, merchant, "read-expiry", body)
    response = await router.client.get(f"{SESSIONS}/{created['sessionId']}", headers=merchant.auth)
    session = response.json()
    assert parse_time(session["expiresAt"]) - parse_time(session["createdAt"]) == timedelta(
        seconds=1800
    )


async def test_get_reflects_a_status_change(router: Harness) -> None:
    merchant = await router.merchant()
    created = await create(router, merchant, "read-paid")
    router.clock.advance(seconds=30)
    paid = await router.pay(created["checkoutUrl"], "paid")
    assert paid.status_code == 303
    session = (
        await router.client.get(f"{SESSIONS}/{created['sessionId']}", headers=merchant.auth)
    ).json()
    assert session["status"] == "COMPLETED"
    assert parse_time(session["updatedAt"]) > parse_time(session["createdAt"])


@pytest.mark.parametrize(
    "session_id",
    [str(uuid.uuid4()), "not-a-uuid", "0", "x" * 300, "%E2%82%AC", "..%2F..%2Fetc"],
    ids=["random_uuid", "not_a_uuid", "zero", "very_long", "non_ascii", "traversal"],
)
async def test_unknown_session_is_not_found(router: Harness, session_id: str) -> None:
    merchant = await router.merchant()
    await create(router, merchant, "exists")  # the table is not empty
    response = await router.client.get(f"{SESSIONS}/{session_id}", headers=merchant.auth)
    assert_error(response, 404, "not_found")
    expire = await router.client.post(f"{SESSIONS}/{session_id}/expire", headers=merchant.auth)
    assert_error(expire, 404, "not_found")


def tolerant_client(router: Harness) -> httpx.AsyncClient:
    """A client that sees the 500 response instead of the app's exception."""
    transport = httpx.ASGITransport(app=router.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=str(router.client.base_url))


@pytest.mark.parametrize("method", ["get", "expire"])
async def test_session_id_with_nul_is_not_found(
    router: Harness,
    database: tuple[str, str | None],
    request: pytest.FixtureRequest,
    method: str,
) -> None:
    merchant = await router.merchant()
    await create(router, merchant, "exists")
    async with tolerant_client(router) as client:
        if method == "get":
            response = await client.get(f"{SESSIONS}/a%00b", headers=merchant.auth)
        else:
            response = await client.post(f"{SESSIONS}/a%00b/expire", headers=merchant.auth)
    assert_error(response, 404, "not_found")


# -- the list -------------------------------------------------------------------------------


async def test_list_is_newest_first_and_pages_with_a_cursor(router: Harness) -> None:
    merchant = await router.merchant()
    oldest_first = await create_many(router, merchant, 5)
    newest_first = oldest_first[::-1]

    first = await get_page(router, merchant, "?limit=2")
    assert [item["sessionId"] for item in first["data"]] == newest_first[:2]
    assert first["hasMore"] is True
    assert isinstance(first["nextCursor"], str) and first["nextCursor"]

    pages = await walk(router, merchant, 2)
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    flat = [sid for page in pages for sid in page]
    assert len(flat) == len(set(flat)) == 5
    assert flat == newest_first


async def test_list_items_are_whole_sessions(router: Harness) -> None:
    merchant = await router.merchant()
    created = await create(router, merchant, "whole")
    page = await get_page(router, merchant)
    one = await router.client.get(f"{SESSIONS}/{created['sessionId']}", headers=merchant.auth)
    assert page["data"] == [one.json()]


async def test_last_page_exactly_full_has_no_more(router: Harness) -> None:
    merchant = await router.merchant()
    ids = await create_many(router, merchant, 4)
    assert await walk(router, merchant, 2) == [ids[::-1][0:2], ids[::-1][2:4]]
    everything = await get_page(router, merchant, "?limit=4")
    assert everything["hasMore"] is False and everything["nextCursor"] is None


async def test_default_limit_is_10(router: Harness) -> None:
    merchant = await router.merchant()
    ids = await create_many(router, merchant, 11)
    page = await get_page(router, merchant)
    assert [item["sessionId"] for item in page["data"]] == ids[::-1][:10]
    assert page["hasMore"] is True
    rest = await get_page(router, merchant, f"?cursor={page['nextCursor']}")
    assert [item["sessionId"] for item in rest["data"]] == [ids[0]]
    assert rest["hasMore"] is False and rest["nextCursor"] is None


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_accepted(router: Harness, limit: int) -> None:
    merchant = await router.merchant()
    ids = await create_many(router, merchant, 2)
    page = await get_page(router, merchant, f"?limit={limit}")
    assert [item["sessionId"] for item in page["data"]] == ids[::-1][:limit]
    assert page["hasMore"] is (limit == 1)


async def test_sessions_created_in_the_same_instant_are_neither_lost_nor_repeated(
    router: Harness,
) -> None:
    """The cursor must break ties on creation time: the clock does not move here."""
    merchant = await router.merchant()
    ids = {(await create(router, merchant, f"tie-{n}"))["sessionId"] for n in range(4)}
    pages = await walk(router, merchant, 1)
    flat = [sid for page in pages for sid in page]
    assert len(flat) == 4
    assert set(flat) == ids


async def test_new_sessions_do_not_disturb_a_walk_in_progress(router: Harness) -> None:
    merchant = await router.merchant()
    ids = await create_many(router, merchant, 3)
    first = await get_page(router, merchant, "?limit=2")
    await create(router, merchant, "newer")  # newer than everything: not behind the cursor
    rest = await get_page(router, merchant, f"?limit=2&cursor={first['nextCursor']}")
    assert [item["sessionId"] for item in rest["data"]] == [ids[0]]
    assert rest["hasMore"] is False


async def test_empty_list(router: Harness) -> None:
    merchant = await router.merchant()
    assert await get_page(router, merchant) == {"data": [], "hasMore": False, "nextCursor": None}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED_CURSORS = {
    "garbage": "abc",
    "not_base64": "!!!***",
    "base64_of_text": _b64(b"hello world"),
    "base64_of_object": _b64(b'{"after": 1}'),
    "base64_of_wrong_types": _b64(b"[1, 2]"),
    "base64_of_naive_time": _b64(json.dumps(["2024-01-15T11:00:00", "x"]).encode()),
    "base64_of_bad_time": _b64(json.dumps(["yesterday", str(uuid.uuid4())]).encode()),
    "base64_of_non_utf8": _b64(b"\xff\xfe\xfd"),
    "base64_of_three_items": _b64(json.dumps(["2024-01-15T11:00:00+00:00", "a", "b"]).encode()),
}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=abc", "limit"),
        ("?limit=-1", "limit"),
        ("?limit=1.5", "limit"),
        ("?limit=", "limit"),
        ("?limit=1e1", "limit"),
        ("?limit=99999999999999999999999", "limit"),
        *[(f"?cursor={cursor}", "cursor") for cursor in FORGED_CURSORS.values()],
    ],
    ids=[
        "limit_0",
        "limit_101",
        "limit_abc",
        "limit_negative",
        "limit_fraction",
        "limit_empty",
        "limit_exponent",
        "limit_huge",
        *[f"cursor_{name}" for name in FORGED_CURSORS],
    ],
)
async def test_bad_limit_or_cursor_is_a_validation_error(
    router: Harness, query: str, field: str
) -> None:
    merchant = await router.merchant()
    await create(router, merchant, "exists")
    response = await router.client.get(f"{SESSIONS}{query}", headers=merchant.auth)
    error = assert_error(response, 422, "validation_error")
    assert [detail["field"] for detail in error["details"]] == [field]


async def test_cursor_with_nul_in_it_is_a_validation_error_or_an_empty_page(
    router: Harness, database: tuple[str, str | None], request: pytest.FixtureRequest
) -> None:
    """A forged cursor naming a session id with NUL: never a 500."""
    merchant = await router.merchant()
    await create(router, merchant, "exists")
    cursor = _b64(json.dumps(["2999-01-01T00:00:00+00:00", "a\u0000b"]).encode())
    async with tolerant_client(router) as client:
        response = await client.get(f"{SESSIONS}?cursor={cursor}", headers=merchant.auth)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.json()["error"]["code"] == "validation_error"
    else:
        assert len(response.json()["data"]) == 1


async def test_unicode_superscript_limit_is_a_validation_error(router: Harness) -> None:
    merchant = await router.merchant()
    async with tolerant_client(router) as client:
        response = await client.get(f"{SESSIONS}?limit=%C2%B2", headers=merchant.auth)
    error = assert_error(response, 422, "validation_error")
    assert [detail["field"] for detail in error["details"]] == ["limit"]


async def test_cursor_from_another_application_reveals_nothing(router: Harness) -> None:
    alice = await router.merchant("alice")
    bob = await router.merchant("bob")
    await create_many(router, alice, 3)
    await create(router, bob, "bob-1")
    alices_cursor = (await get_page(router, alice, "?limit=1"))["nextCursor"]
    page = await get_page(router, bob, f"?cursor={alices_cursor}")
    # Bob's only session is newer than Alice's cursor position, so nothing is behind it.
    assert page["data"] == []
    assert page["hasMore"] is False


async def test_list_time_ordering_uses_creation_time_not_id(router: Harness) -> None:
    """Session ids are random: newest first must follow createdAt even when ids do not."""
    merchant = await router.merchant()
    ids = await create_many(router, merchant, 6)
    page = await get_page(router, merchant, "?limit=6")
    created = [parse_time(item["createdAt"]) for item in page["data"]]
    assert created == sorted(created, reverse=True)
    assert len(set(created)) == 6
    assert [item["sessionId"] for item in page["data"]] == ids[::-1]
    assert all(t.tzinfo == UTC for t in created)
