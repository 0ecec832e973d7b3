"""The routing engine through HTTP: rules, breaker, failover limits, shared learning."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import MakeRouter
from tests.harness import Harness, Merchant

STRIPE_API = "/sandbox/stripe/v1/"


def accounts(**routing: Any) -> Any:
    """Two Stripe accounts: 'stripe' ranked first (higher priority), 'stripe_backup' second."""

    def tweak(config: dict[str, Any]) -> None:
        primary = config["providers"]["stripe"]
        primary["priority"] = 100
        config["providers"]["stripe_backup"] = {**primary, "priority": 0}
        config["routing"] = routing

    return tweak


async def _create(router: Harness, merchant: Merchant, key: str) -> dict[str, Any]:
    response = await router.create_session(merchant, key=key)
    assert response.status_code in (201, 502), response.text
    body: dict[str, Any] = response.json()
    return body


async def _session(router: Harness, merchant: Merchant, session_id: str) -> dict[str, Any]:
    got = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    data: dict[str, Any] = got.json()
    return data


async def _circuit(router: Harness) -> str:
    health = (await router.client.get("/api/health")).json()
    return str(health["providers"]["stripe"]["circuit"])


async def _gauge(router: Harness) -> str:
    metrics = (await router.client.get("/metrics")).text
    match = re.search(r'payrouter_circuit_breaker_state\{provider="stripe"\} (\S+)', metrics)
    assert match
    return match.group(1)


async def test_circuit_breaker_opens_lets_a_probe_through_and_closes(
    make_router: MakeRouter,
) -> None:
    router = await make_router(
        accounts(circuit_breaker={"failure_threshold": 2, "cooldown_seconds": 30})
    )
    merchant = await router.merchant()
    router.transport.drop_prefixes.append(STRIPE_API)  # the primary account is down
    for key in ("a", "b"):
        body = await _create(router, merchant, key)
        assert body["routing"]["selectedProvider"] == "stripe_backup"
    assert await _circuit(router) == "open"
    assert await _gauge(router) == "2.0"

    open_body = await _create(router, merchant, "c")
    assert {"provider": "stripe", "reason": "circuit breaker open"} in open_body["routing"][
        "excluded"
    ]
    attempts = (await _session(router, merchant, open_body["sessionId"]))["attempts"]
    assert [a["provider"] for a in attempts] == ["stripe_backup"]  # no call to the open one

    router.clock.advance(seconds=30)
    await router.reauth(merchant)
    assert await _circuit(router) == "half_open"
    assert await _gauge(router) == "1.0"
    router.transport.drop_prefixes.clear()  # the primary is back
    probe = await _create(router, merchant, "d")
    assert probe["routing"]["selectedProvider"] == "stripe"
    assert await _circuit(router) == "closed"
    assert await _gauge(router) == "0.0"


async def test_a_failed_probe_opens_the_breaker_again(make_router: MakeRouter) -> None:
    router = await make_router(
        accounts(circuit_breaker={"failure_threshold": 1, "cooldown_seconds": 10})
    )
    merchant = await router.merchant()
    router.transport.drop_prefixes.append(STRIPE_API)
    await _create(router, merchant, "a")
    assert await _circuit(router) == "open"
    router.clock.advance(seconds=10)
    await router.reauth(merchant)
    probe = await _create(router, merchant, "b")
    attempts = (await _session(router, merchant, probe["sessionId"]))["attempts"]
    assert [a["provider"] for a in attempts] == ["stripe", "stripe_backup"]
    assert await _circuit(router) == "open"


async def test_max_attempts_bounds_the_cascade(make_router: MakeRouter) -> None:
    def three_down(config: dict[str, Any]) -> None:
        accounts(failover={"max_attempts": 2, "deadline_seconds": 30})(config)
        config["providers"]["stripe_third"] = {**config["providers"]["stripe"], "priority": 50}
        for name in ("stripe", "stripe_backup", "stripe_third"):
            config["providers"][name]["sandbox"] = {"fault": "error"}

    router = await make_router(three_down)
    merchant = await router.merchant()
    body = await _create(router, merchant, "k")
    error = body["error"]
    assert error["code"] == "providers_unavailable"
    assert [d["provider"] for d in error["details"]] == ["stripe", "stripe_third"]
    assert "2 attempts" in error["message"]


async def test_the_deadline_bounds_the_cascade(make_router: MakeRouter) -> None:
    def slow(config: dict[str, Any]) -> None:
        accounts(failover={"deadline_seconds": 0.1, "max_attempts": 3})(config)
        for name in ("stripe", "stripe_backup"):
            config["providers"][name]["sandbox"] = {"fault": "timeout"}
            config["providers"][name]["timeout_seconds"] = 5

    router = await make_router(slow)
    merchant = await router.merchant()
    body = await _create(router, merchant, "k")
    error = body["error"]
    assert [d["provider"] for d in error["details"]] == ["stripe"]
    assert error["details"][0]["code"] == "deadline_exceeded"
    assert "deadline" in error["message"]


async def test_a_non_retryable_error_stops_the_cascade(make_router: MakeRouter) -> None:
    def wrong_key(config: dict[str, Any]) -> None:
        accounts()(config)
        primary = config["providers"]["stripe"]
        # The primary's key is not the one its (backup's) sandbox knows: Stripe answers 401.
        primary["credentials"] = {"api_key": "STRIPE_WRONG_KEY"}
        primary["sandbox"] = {"url": "http://payrouter.test/sandbox/stripe_backup"}

    router = await make_router(wrong_key, environ={"STRIPE_WRONG_KEY": "sk_test_wrong"})
    merchant = await router.merchant()
    body = await _create(router, merchant, "k")
    [detail] = body["error"]["details"]
    assert (detail["provider"], detail["retryable"]) == ("stripe", False)
    assert "sk_test_wrong" not in str(body)


async def test_rules_steer_and_explain(make_router: MakeRouter) -> None:
    rules = [
        {
            "name": "aud-to-backup",
            "match": {"currency": ["AUD"], "amount": {"min": 100, "max": 1000}},
            "action": "prefer",
            "providers": ["stripe_backup"],
            "weight": 100,
        },
        {
            "name": "au-locale-not-primary",
            "match": {"billing_country": ["AU"], "locale": ["en_AU"]},
            "action": "exclude",
            "providers": ["stripe"],
        },
    ]
    router = await make_router(accounts(rules=rules))
    merchant = await router.merchant()
    body = await _create(router, merchant, "k")
    routing = body["routing"]
    assert routing["selectedProvider"] == "stripe_backup"
    assert routing["matchedRules"] == ["aud-to-backup", "au-locale-not-primary"]
    assert {
        "provider": "stripe",
        "reason": "excluded by rule au-locale-not-primary",
    } in routing["excluded"]
    backup = next(c for c in routing["candidates"] if c["provider"] == "stripe_backup")
    assert any("aud-to-backup" in reason for reason in backup["reasons"])
    stored = await _session(router, merchant, body["sessionId"])
    assert stored["routing"] == routing  # GET explains the same decision


async def test_a_volume_split_is_stable_per_idempotency_key(make_router: MakeRouter) -> None:
    rules = [
        {
            "name": "half",
            "match": {},
            "action": "split",
            "split": {"stripe": 50, "stripe_backup": 50},
        }
    ]
    router = await make_router(accounts(rules=rules))
    merchant = await router.merchant()
    chosen = {}
    for i in range(40):
        body = await _create(router, merchant, f"order-{i}")
        chosen[f"order-{i}"] = body["routing"]["selectedProvider"]
    assert set(chosen.values()) == {"stripe", "stripe_backup"}
    again = await _create(router, merchant, "order-7")  # a replay of the same request
    assert again["routing"]["selectedProvider"] == chosen["order-7"]


async def test_success_rates_agree_across_service_processes(make_router: MakeRouter) -> None:
    one = await make_router()
    two = await make_router()
    two.transport.app = one.app
    merchant = await one.merchant()
    for i in range(3):
        body = await _create(one, merchant, f"paid-{i}")
        await one.pay(body["checkoutUrl"], "paid")

    async def success_factor(router: Harness) -> float:
        other = await router.merchant("probe")
        response = await router.client.post(
            "/api/v1/routing/simulate",
            content=b"",
            headers={**other.auth, "Content-Type": "application/json"},
        )
        assert response.status_code == 400  # empty body: not JSON
        from tests.harness import seed_bytes

        response = await router.client.post(
            "/api/v1/routing/simulate",
            content=seed_bytes(),
            headers={**other.auth, "Content-Type": "application/json"},
        )
        [stripe] = response.json()["candidates"]
        return float(stripe["factors"]["success_rate"])

    prior = await success_factor(two)
    assert prior == 0.8  # 8 / (8 + 2): the prior, nothing learned yet
    await two.services.stats.refresh()  # what the interval task does
    learned = await success_factor(two)
    assert learned > prior
    await one.services.stats.refresh()
    assert await success_factor(one) == learned
