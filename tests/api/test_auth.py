"""Client credentials, bearer tokens and application isolation, through HTTP only.

Contract: POST /api/v1/auth/token -> 200 {accessToken, tokenType: Bearer, expiresIn};
every /api/v1/sessions route answers 401 ``unauthorized`` for a token that is missing,
malformed, expired, wrongly signed or ``alg: none``; the token and webhook routes need no
token; an application never sees another application's sessions (404 ``not_found``).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import jwt
import pytest

from tests.harness import Harness, Merchant, assert_error, seed_bytes

TOKEN_URL = "/api/v1/auth/token"
# Long enough that PyJWT does not warn about a short HMAC key (-W error).
OTHER_KEY = "another-signing-key-that-payrouter-never-used-" + "0123456789abcdef" * 3


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a token the service issued (read without checking the signature)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def unsigned_token(claims: dict[str, Any]) -> str:
    """An ``alg: none`` JWT: header.payload. with an empty signature."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}."


async def session_of(router: Harness, merchant: Merchant) -> str:
    response = await router.create_session(merchant, key=f"setup-{uuid.uuid4()}")
    assert response.status_code == 201, response.text
    session_id: str = response.json()["sessionId"]
    return session_id


async def call_route(
    router: Harness, route: str, session_id: str, headers: dict[str, str]
) -> httpx.Response:
    """Call one /api/v1 session route with ``headers`` and otherwise valid input, so that
    only the token can make it fail."""
    if route == "create":
        return await router.client.post(
            "/api/v1/sessions",
            content=seed_bytes(),
            headers={
                **headers,
                "Idempotency-Key": f"auth-{uuid.uuid4()}",
                "Content-Type": "application/json",
            },
        )
    if route == "list":
        return await router.client.get("/api/v1/sessions", headers=headers)
    if route == "get":
        return await router.client.get(f"/api/v1/sessions/{session_id}", headers=headers)
    assert route == "expire"
    return await router.client.post(f"/api/v1/sessions/{session_id}/expire", headers=headers)


async def listed_ids(router: Harness, merchant: Merchant) -> list[str]:
    response = await router.client.get("/api/v1/sessions?limit=100", headers=merchant.auth)
    assert response.status_code == 200, response.text
    return [item["sessionId"] for item in response.json()["data"]]


ROUTES = ["create", "list", "get", "expire"]


# -- the token endpoint -------------------------------------------------------------------


async def test_token_is_issued_for_valid_credentials(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.client.post(
        TOKEN_URL, json={"clientId": merchant.client_id, "clientSecret": merchant.client_secret}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "no-store" in response.headers["cache-control"].lower()
    body = response.json()
    assert set(body) >= {"accessToken", "tokenType", "expiresIn"}
    assert body["tokenType"] == "Bearer"
    assert isinstance(body["expiresIn"], int) and not isinstance(body["expiresIn"], bool)
    assert body["expiresIn"] > 0
    assert isinstance(body["accessToken"], str) and body["accessToken"].count(".") == 2
    # The fresh token works.
    listed = await router.client.get(
        "/api/v1/sessions", headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    assert listed.status_code == 200, listed.text


async def test_token_response_does_not_echo_the_secret(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.client.post(
        TOKEN_URL, json={"clientId": merchant.client_id, "clientSecret": merchant.client_secret}
    )
    assert response.status_code == 200
    assert merchant.client_secret not in response.text
    assert merchant.client_secret not in claims_of(response.json()["accessToken"]).values()


@pytest.mark.parametrize("who", ["wrong_secret", "unknown_client", "secret_of_other_client"])
async def test_bad_credentials_are_unauthorized(router: Harness, who: str) -> None:
    merchant = await router.merchant("a")
    other = await router.merchant("b")
    credentials = {
        "wrong_secret": {"clientId": merchant.client_id, "clientSecret": "pr_secret_wrong"},
        "unknown_client": {"clientId": "pr_client_nobody", "clientSecret": merchant.client_secret},
        "secret_of_other_client": {
            "clientId": merchant.client_id,
            "clientSecret": other.client_secret,
        },
    }[who]
    response = await router.client.post(TOKEN_URL, json=credentials)
    assert_error(response, 401, "unauthorized")
    assert "accessToken" not in response.text
    assert credentials["clientSecret"] not in response.text


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"clientId=a&clientSecret=b", b'{"clientId": "a",}', b"\xff\xfe"],
    ids=["empty", "truncated", "form_encoded_text", "trailing_comma", "not_utf8"],
)
async def test_token_body_that_is_not_json_is_invalid_json(router: Harness, body: bytes) -> None:
    response = await router.client.post(
        TOKEN_URL, content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"clientId": "pr_client_x"}, {"clientSecret"}),
        ({"clientSecret": "pr_secret_x"}, {"clientId"}),
        ({}, {"clientId", "clientSecret"}),
        ({"clientId": 7, "clientSecret": "pr_secret_x"}, {"clientId"}),
        ({"clientId": "", "clientSecret": "pr_secret_x"}, {"clientId"}),
    ],
    ids=["no_secret", "no_client_id", "empty_object", "client_id_number", "client_id_empty"],
)
async def test_token_body_with_missing_or_bad_fields_is_a_validation_error(
    router: Harness, body: dict[str, Any], fields: set[str]
) -> None:
    response = await router.client.post(TOKEN_URL, json=body)
    error = assert_error(response, 422, "validation_error")
    assert {detail["field"] for detail in error["details"]} == fields
    assert all(isinstance(detail["message"], str) for detail in error["details"])


async def test_token_route_ignores_a_bad_authorization_header(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.client.post(
        TOKEN_URL,
        json={"clientId": merchant.client_id, "clientSecret": merchant.client_secret},
        headers={"Authorization": "Bearer garbage"},
    )
    assert response.status_code == 200, response.text


# -- every session route refuses a bad token ----------------------------------------------


def bad_headers(kind: str, merchant: Merchant) -> dict[str, str]:
    """Authorization headers that must all be refused (``merchant``'s token is valid)."""
    claims = claims_of(merchant.token)
    header, payload, signature = merchant.token.split(".")
    tampered_claims = {**claims, "sub": str(uuid.uuid4())}
    if kind == "missing":
        return {}
    if kind == "basic_scheme":
        return {"Authorization": "Basic x"}
    if kind == "basic_with_credentials":
        raw = f"{merchant.client_id}:{merchant.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    if kind == "bearer_without_token":
        return {"Authorization": "Bearer"}
    if kind == "bearer_blank":
        return {"Authorization": "Bearer    "}
    if kind == "garbage":
        return {"Authorization": "garbage"}
    if kind == "token_without_scheme":
        return {"Authorization": merchant.token}
    if kind == "bearer_garbage":
        return {"Authorization": "Bearer not.a.jwt"}
    if kind == "other_key":
        return {"Authorization": f"Bearer {jwt.encode(claims, OTHER_KEY, algorithm='HS256')}"}
    if kind == "alg_none":
        return {"Authorization": f"Bearer {unsigned_token(claims)}"}
    if kind == "alg_none_keeping_signature":
        none_header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        return {"Authorization": f"Bearer {none_header}.{payload}.{signature}"}
    if kind == "tampered_payload":
        forged = b64url(json.dumps(tampered_claims).encode())
        return {"Authorization": f"Bearer {header}.{forged}.{signature}"}
    if kind == "signature_stripped":
        return {"Authorization": f"Bearer {header}.{payload}."}
    raise AssertionError(kind)


BAD_TOKENS = [
    "missing",
    "basic_scheme",
    "basic_with_credentials",
    "bearer_without_token",
    "bearer_blank",
    "garbage",
    "token_without_scheme",
    "bearer_garbage",
    "other_key",
    "alg_none",
    "alg_none_keeping_signature",
    "tampered_payload",
    "signature_stripped",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_session_routes_refuse_a_bad_token(router: Harness, route: str, kind: str) -> None:
    merchant = await router.merchant()
    session_id = await session_of(router, merchant)
    response = await call_route(router, route, session_id, bad_headers(kind, merchant))
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    # Nothing happened behind the refusal: no new session, the session still open.
    assert await listed_ids(router, merchant) == [session_id]
    current = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    assert current.json()["status"] == "PENDING"


@pytest.mark.parametrize("route", ROUTES)
async def test_the_same_calls_succeed_with_the_real_token(router: Harness, route: str) -> None:
    """The control for the refusals above: only the token differs."""
    merchant = await router.merchant()
    session_id = await session_of(router, merchant)
    response = await call_route(router, route, session_id, merchant.auth)
    assert response.status_code == (201 if route == "create" else 200), response.text


@pytest.mark.parametrize("route", ROUTES)
async def test_an_expired_token_is_refused(router: Harness, route: str) -> None:
    merchant = await router.merchant()
    session_id = await session_of(router, merchant)
    expires_in = claims_of(merchant.token)["exp"] - claims_of(merchant.token)["iat"]
    assert expires_in > 1
    router.clock.advance(seconds=expires_in + 1)
    response = await call_route(router, route, session_id, merchant.auth)
    assert_error(response, 401, "unauthorized")


async def test_a_token_lives_exactly_expires_in_seconds(router: Harness) -> None:
    merchant = await router.merchant()
    issued = await router.client.post(
        TOKEN_URL, json={"clientId": merchant.client_id, "clientSecret": merchant.client_secret}
    )
    token = issued.json()["accessToken"]
    expires_in = issued.json()["expiresIn"]
    headers = {"Authorization": f"Bearer {token}"}
    router.clock.advance(seconds=expires_in - 1)
    still_valid = await router.client.get("/api/v1/sessions", headers=headers)
    assert still_valid.status_code == 200, still_valid.text
    router.clock.advance(seconds=1)
    expired = await router.client.get("/api/v1/sessions", headers=headers)
    assert_error(expired, 401, "unauthorized")
    # A new token from the same credentials works again.
    renewed = await router.client.post(
        TOKEN_URL, json={"clientId": merchant.client_id, "clientSecret": merchant.client_secret}
    )
    fresh = {"Authorization": f"Bearer {renewed.json()['accessToken']}"}
    assert (await router.client.get("/api/v1/sessions", headers=fresh)).status_code == 200


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
async def test_a_token_with_another_hmac_algorithm_is_refused(
    router: Harness, algorithm: str
) -> None:
    merchant = await router.merchant()
    forged = jwt.encode(claims_of(merchant.token), OTHER_KEY, algorithm=algorithm)
    response = await router.client.get(
        "/api/v1/sessions", headers={"Authorization": f"Bearer {forged}"}
    )
    assert_error(response, 401, "unauthorized")


# -- routes that need no token --------------------------------------------------------------


async def test_webhook_route_needs_no_bearer_token(router: Harness) -> None:
    """A provider has no bearer token: the webhook route must judge the notification by its
    own signature. The sandbox's signed webhook (sent without Authorization) completes
    the session; an unsigned one is refused for its signature, not for a missing token."""
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    assert created.status_code == 201, created.text
    unsigned = await router.client.post(
        "/api/v1/webhooks/stripe",
        content=b'{"id": "evt_1", "type": "checkout.session.completed"}',
        headers={"Content-Type": "application/json"},
    )
    assert unsigned.status_code != 401
    assert 400 <= unsigned.status_code < 500
    assert unsigned.json()["error"]["code"] != "unauthorized"

    paid = await router.pay(created.json()["checkoutUrl"], "paid")
    assert paid.status_code == 303
    assert not [url for url in router.transport.refused if "/api/v1/webhooks/" in url]
    current = await router.client.get(
        f"/api/v1/sessions/{created.json()['sessionId']}", headers=merchant.auth
    )
    assert current.json()["status"] == "COMPLETED"


# -- application isolation ------------------------------------------------------------------


async def test_another_application_cannot_read_expire_or_list_a_session(
    router: Harness,
) -> None:
    alice = await router.merchant("alice")
    bob = await router.merchant("bob")
    session_id = await session_of(router, alice)

    read = await router.client.get(f"/api/v1/sessions/{session_id}", headers=bob.auth)
    assert_error(read, 404, "not_found")
    expire = await router.client.post(f"/api/v1/sessions/{session_id}/expire", headers=bob.auth)
    assert_error(expire, 404, "not_found")
    # Indistinguishable from a session that does not exist at all.
    unknown = await router.client.get(f"/api/v1/sessions/{uuid.uuid4()}", headers=bob.auth)
    assert_error(unknown, 404, "not_found")
    assert read.json() == unknown.json()

    assert await listed_ids(router, bob) == []
    assert await listed_ids(router, alice) == [session_id]
    # Bob's expire did nothing to Alice's session.
    mine = await router.client.get(f"/api/v1/sessions/{session_id}", headers=alice.auth)
    assert mine.status_code == 200
    assert mine.json()["status"] == "PENDING"


async def test_each_application_lists_only_its_own_sessions(router: Harness) -> None:
    alice = await router.merchant("alice")
    bob = await router.merchant("bob")
    alices = {await session_of(router, alice) for _ in range(2)}
    bobs = {await session_of(router, bob)}
    assert set(await listed_ids(router, alice)) == alices
    assert set(await listed_ids(router, bob)) == bobs


async def test_same_idempotency_key_in_two_applications_makes_two_sessions(
    router: Harness,
) -> None:
    """Idempotency keys are scoped to the application: Bob's key must not replay Alice's
    session (that would hand Alice's checkout to Bob)."""
    alice = await router.merchant("alice")
    bob = await router.merchant("bob")
    first = await router.create_session(alice, key="shared-key")
    second = await router.create_session(bob, key="shared-key")
    assert first.status_code == 201 and second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert first.json()["sessionId"] != second.json()["sessionId"]
    assert await listed_ids(router, bob) == [second.json()["sessionId"]]
