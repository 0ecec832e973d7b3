"""Operations routes: /api/health, /metrics, /openapi.json, and the envelope for unknown
routes and wrong methods, through HTTP only."""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy.ext.asyncio import create_async_engine

from router.db.store import Store
from tests.harness import Harness, assert_error, seed_payload

UNREACHABLE_DATABASE = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


# -- /api/health ----------------------------------------------------------------------------


async def test_health_reports_every_field(router: Harness) -> None:
    router.clock.advance(seconds=42)
    response = await router.client.get("/api/health")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"status", "database", "version", "uptime", "configVersion"}
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"] == version("payrouter")
    assert isinstance(body["uptime"], int | float) and not isinstance(body["uptime"], bool)
    assert body["uptime"] == pytest.approx(42)
    assert isinstance(body["configVersion"], str) and body["configVersion"]


async def test_health_config_version_is_stable_and_matches_routing(router: Harness) -> None:
    first = (await router.client.get("/api/health")).json()["configVersion"]
    second = (await router.client.get("/api/health")).json()["configVersion"]
    assert first == second
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    assert created.status_code == 201
    routing = created.json()["routing"]
    if "configVersion" in routing:  # optional in the contract; must agree when present
        assert routing["configVersion"] == first


async def test_health_config_version_follows_the_config(make_router: Any) -> None:
    plain: Harness = await make_router()

    def tweak(config: dict[str, Any]) -> None:
        config["providers"]["stripe"]["priority"] = 60

    tweaked: Harness = await make_router(tweak)
    before = (await plain.client.get("/api/health")).json()["configVersion"]
    after = (await tweaked.client.get("/api/health")).json()["configVersion"]
    assert before != after


async def test_health_is_503_when_the_database_is_unreachable(router: Harness) -> None:
    # The only internal poke in these suites: there is no HTTP way to take the database
    # down, so the service's store is swapped for one pointing at a closed port.
    original = router.services.store
    dead = Store(create_async_engine(UNREACHABLE_DATABASE))
    router.services.store = dead
    try:
        response = await router.client.get("/api/health")
    finally:
        router.services.store = original
        await dead.engine.dispose()
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["database"] == "unreachable"
    assert body["status"] != "ok"
    assert body["version"] == version("payrouter")
    assert isinstance(body["configVersion"], str) and body["configVersion"]
    assert "nobody" not in response.text and "127.0.0.1:1" not in response.text
    # And healthy again once the database is back.
    again = await router.client.get("/api/health")
    assert again.status_code == 200
    assert again.json()["database"] == "ok"


# -- /metrics -------------------------------------------------------------------------------


def samples(text: str, name: str) -> list[Sample]:
    """Every sample named ``name`` (e.g. ``payrouter_sessions_created_total``)."""
    found: list[Sample] = []
    for family in text_string_to_metric_families(text):
        found += [sample for sample in family.samples if sample.name == name]
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    matching = [
        s.value for s in samples(text, name) if all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(matching) <= 1, matching
    return matching[0] if matching else None


async def metrics_text(router: Harness) -> str:
    response = await router.client.get("/metrics")
    assert response.status_code == 200, response.text
    content_type = response.headers["content-type"]
    # Prometheus text exposition: 0.0.4, or 1.0.0 from newer prometheus_client releases.
    assert re.match(r"text/plain; *version=(0\.0\.4|1\.0\.0)", content_type), content_type
    return response.text


async def test_metrics_count_a_created_session(router: Harness) -> None:
    before = await metrics_text(router)
    created = "payrouter_sessions_created_total"
    assert value(before, created, provider="stripe", outcome="created") in (None, 0.0)

    merchant = await router.merchant()
    response = await router.create_session(merchant)
    assert response.status_code == 201, response.text
    after = await metrics_text(router)
    assert value(after, created, provider="stripe", outcome="created") == 1.0
    # The exact exposition line, label order aside.
    line = re.compile(
        r'^payrouter_sessions_created_total\{(outcome="created",provider="stripe"'
        r'|provider="stripe",outcome="created")\} 1\.0$',
        re.MULTILINE,
    )
    assert line.search(after), after

    # A replay is not a second creation.
    replay = await router.create_session(merchant)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert value(await metrics_text(router), created, provider="stripe", outcome="created") == 1.0


async def test_metrics_time_the_provider_call(router: Harness) -> None:
    merchant = await router.merchant()
    assert (await router.create_session(merchant)).status_code == 201
    text = await metrics_text(router)
    buckets = [
        s
        for s in samples(text, "payrouter_provider_call_seconds_bucket")
        if s.labels.get("provider") == "stripe" and s.labels.get("outcome") != "error"
    ]
    assert buckets, text
    create_buckets = [s for s in buckets if s.labels.get("operation", "create") == "create"]
    assert create_buckets
    by_le = {s.labels["le"]: s.value for s in create_buckets}
    assert by_le["+Inf"] == 1.0
    ordered = sorted(by_le.items(), key=lambda item: float(item[0]))
    counts = [count for _, count in ordered]
    assert counts == sorted(counts), "buckets are cumulative"
    count = [
        s.value
        for s in samples(text, "payrouter_provider_call_seconds_count")
        if s.labels.get("provider") == "stripe"
        and s.labels.get("outcome") != "error"
        and s.labels.get("operation", "create") == "create"
    ]
    assert count == [1.0]


async def test_metrics_before_any_traffic_parse(router: Harness) -> None:
    text = await metrics_text(router)
    names = {family.name for family in text_string_to_metric_families(text)}
    assert "payrouter_sessions_created" in names
    assert "payrouter_provider_call_seconds" in names


# -- /openapi.json --------------------------------------------------------------------------

CONTRACT_ROUTES = [
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/sessions"),
    ("get", "/api/v1/sessions"),
    ("get", "/api/v1/sessions/{sessionId}"),
    ("post", "/api/v1/sessions/{sessionId}/expire"),
    ("post", "/api/v1/webhooks/{providerName}"),
    ("get", "/api/health"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
]

SEED_SHAPE: dict[str, Any] = {
    # property -> nested seed properties (None: a leaf)
    "orderReference": None,
    "paymentMethod": None,
    "currency": None,
    "locale": None,
    "amount": {"total": None, "shipping": None, "tax": None},
    "orderItems": {"name": None, "sku": None, "quantity": None, "unitPrice": None},
    "customer": {
        "firstName": None,
        "lastName": None,
        "email": None,
        "phone": None,
        "billingAddress": {
            "line1": None,
            "line2": None,
            "city": None,
            "state": None,
            "postalCode": None,
            "country": None,
        },
        "shippingAddress": {
            "line1": None,
            "line2": None,
            "city": None,
            "state": None,
            "postalCode": None,
            "country": None,
        },
    },
    "shipping": {"type": None, "method": None},
    "additionalInformation": None,
    "redirectUrls": {"success": None, "failure": None},
}


async def openapi(router: Harness) -> dict[str, Any]:
    response = await router.client.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def resolve(document: dict[str, Any], ref: str) -> Any:
    """The target of an internal JSON reference (``#/a/b``), or AssertionError."""
    assert ref.startswith("#/"), f"external or malformed $ref: {ref}"
    node: Any = document
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref: {ref}"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "$ref":
                assert isinstance(child, str)
                found.append(child)
            else:
                found += refs(child)
    elif isinstance(node, list):
        for child in node:
            found += refs(child)
    return found


def object_schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref, nullable unions and array items down to an object schema."""
    for _ in range(10):
        if "$ref" in schema:
            schema = resolve(document, schema["$ref"])
        elif "anyOf" in schema or "oneOf" in schema:
            options = [
                s for s in schema.get("anyOf", schema.get("oneOf", [])) if s.get("type") != "null"
            ]
            assert len(options) == 1, schema
            schema = options[0]
        elif schema.get("type") == "array":
            schema = schema["items"]
        else:
            return schema
    raise AssertionError("schema nests too deep")


def request_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    content = document["paths"][path][method]["requestBody"]["content"]
    return object_schema(document, content["application/json"]["schema"])


async def test_openapi_is_3_1_and_lists_every_contract_route(router: Harness) -> None:
    document = await openapi(router)
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"]), document["openapi"]
    assert document["info"]["title"] and document["info"]["version"]
    for method, path in CONTRACT_ROUTES:
        assert path in document["paths"], path
        operation = document["paths"][path].get(method)
        assert isinstance(operation, dict), f"{method.upper()} {path} missing"
        assert operation["responses"], f"{method.upper()} {path} has no responses"


async def test_openapi_refs_all_resolve_inside_the_document(router: Harness) -> None:
    document = await openapi(router)
    found = refs(document)
    assert len(found) > 10  # the schemas really are referenced, not inlined away
    for ref in found:
        target = resolve(document, ref)
        assert isinstance(target, dict) and target, ref


async def test_openapi_session_request_schema_is_seed_003_and_closed(router: Harness) -> None:
    document = await openapi(router)
    assert "SessionCreateRequest" in document["components"]["schemas"]
    schema = request_schema(document, "post", "/api/v1/sessions")
    assert schema is document["components"]["schemas"]["SessionCreateRequest"] or (
        schema == document["components"]["schemas"]["SessionCreateRequest"]
    )

    def check(node: dict[str, Any], shape: dict[str, Any], where: str) -> None:
        assert node.get("additionalProperties") is False, f"{where} accepts unknown fields"
        properties = node.get("properties", {})
        missing = set(shape) - set(properties)
        assert not missing, f"{where} lacks {sorted(missing)}"
        for name, nested in shape.items():
            if nested is not None:
                check(object_schema(document, properties[name]), nested, f"{where}.{name}")

    check(schema, SEED_SHAPE, "SessionCreateRequest")
    assert "expiresInSeconds" in schema["properties"]
    required = set(schema.get("required", []))
    assert {
        "orderReference",
        "paymentMethod",
        "currency",
        "amount",
        "orderItems",
        "customer",
        "redirectUrls",
    } <= required
    payment = schema["properties"]["paymentMethod"]
    assert set(payment["enum"]) == {"card", "crypto"}


async def test_openapi_describes_the_real_responses(router: Harness) -> None:
    document = await openapi(router)
    created = document["paths"]["/api/v1/sessions"]["post"]["responses"]["201"]
    created_schema = object_schema(document, created["content"]["application/json"]["schema"])
    assert {"sessionId", "checkoutUrl", "status", "routing", "expiresAt", "createdAt"} <= set(
        created_schema["properties"]
    )
    listing = document["paths"]["/api/v1/sessions"]["get"]["responses"]["200"]
    list_schema = object_schema(document, listing["content"]["application/json"]["schema"])
    assert {"data", "hasMore", "nextCursor"} <= set(list_schema["properties"])
    token = document["paths"]["/api/v1/auth/token"]["post"]["responses"]["200"]
    token_schema = object_schema(document, token["content"]["application/json"]["schema"])
    assert {"accessToken", "tokenType", "expiresIn"} <= set(token_schema["properties"])
    # Token request and error envelope too.
    token_request = request_schema(document, "post", "/api/v1/auth/token")
    assert {"clientId", "clientSecret"} <= set(token_request["properties"])
    unauthorized = document["paths"]["/api/v1/sessions"]["post"]["responses"]["401"]
    envelope = object_schema(document, unauthorized["content"]["application/json"]["schema"])
    assert "error" in envelope["properties"]
    error = object_schema(document, envelope["properties"]["error"])
    assert {"code", "message", "details"} <= set(error["properties"])


async def test_openapi_session_schema_matches_what_get_returns(router: Harness) -> None:
    """The documented session is the one the API sends: every field GET returns is in it."""
    document = await openapi(router)
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    session = (
        await router.client.get(
            f"/api/v1/sessions/{created.json()['sessionId']}", headers=merchant.auth
        )
    ).json()
    ok = document["paths"]["/api/v1/sessions/{sessionId}"]["get"]["responses"]["200"]
    schema = object_schema(document, ok["content"]["application/json"]["schema"])
    assert set(session) <= set(schema["properties"]), set(session) - set(schema["properties"])


async def test_openapi_marks_the_session_routes_as_needing_a_bearer_token(
    router: Harness,
) -> None:
    document = await openapi(router)
    schemes = document["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("scheme", "").lower() == "bearer"]
    assert bearer
    for method, path in CONTRACT_ROUTES[1:5]:
        security = document["paths"][path][method].get("security", document.get("security"))
        assert security and any(set(item) & set(bearer) for item in security), path
    token_security = document["paths"]["/api/v1/auth/token"]["post"].get("security")
    assert not token_security  # the token route must not ask for a token


def test_seed_shape_covers_the_seed() -> None:
    """The table above is seed 003's shape (guards the table itself)."""
    seed = seed_payload()
    assert set(SEED_SHAPE) == set(seed)
    assert set(SEED_SHAPE["customer"]) == set(seed["customer"])
    assert set(SEED_SHAPE["orderItems"]) == set(seed["orderItems"][0])


async def test_routing_simulate_ranks_without_creating(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.client.post(
        "/api/v1/routing/simulate", json=seed_payload(), headers=merchant.auth
    )
    assert response.status_code == 200, response.text
    assert "/api/v1/routing/simulate" in (await openapi(router))["paths"]
    listed = await router.client.get("/api/v1/sessions", headers=merchant.auth)
    assert listed.json()["data"] == []


# -- unknown routes and methods -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/nope", "/api/v1/nope", "/api/v2/sessions", "/api/v1/sessions/x/y/z", "/api/health/x"],
)
async def test_unknown_route_is_a_404_envelope(router: Harness, path: str) -> None:
    response = await router.client.get(path)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/sessions", {"POST"}),
        ("PUT", "/api/v1/sessions/abc", {"GET"}),
        ("GET", "/api/v1/auth/token", {"POST"}),
        ("GET", "/api/v1/sessions/abc/expire", {"POST"}),
        ("POST", "/api/health", {"GET"}),
        ("DELETE", "/metrics", {"GET"}),
        ("PATCH", "/openapi.json", {"GET"}),
        ("GET", "/api/v1/webhooks/stripe", {"POST"}),
    ],
)
async def test_wrong_method_is_a_405_envelope(
    router: Harness, method: str, path: str, allowed: set[str]
) -> None:
    merchant = await router.merchant()
    response = await router.client.request(method, path, headers=merchant.auth)
    assert_error(response, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in response.headers.get("allow", "").split(",") if m.strip()}
    assert allowed <= allow, allow


async def test_405_allow_header_lists_every_method_of_the_path(router: Harness) -> None:
    merchant = await router.merchant()
    response = await router.client.delete("/api/v1/sessions", headers=merchant.auth)
    assert_error(response, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in response.headers.get("allow", "").split(",")}
    assert {"GET", "POST"} <= allow, allow
