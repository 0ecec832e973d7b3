"""Failover across provider instances and the sandbox fault modes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import MakeRouter


def two_stripe_accounts(primary_fault: str) -> Any:
    def tweak(config: dict[str, Any]) -> None:
        primary = config["providers"]["stripe"]
        primary["sandbox"] = {"fault": primary_fault}
        primary["timeout_seconds"] = 0.05
        config["providers"]["stripe_backup"] = {
            **primary,
            "priority": 60,
            "sandbox": {"fault": "none"},
        }

    return tweak


@pytest.mark.parametrize("fault", ["error", "timeout", "refuse"])
async def test_a_failing_provider_fails_over_to_the_next(
    make_router: MakeRouter, fault: str
) -> None:
    router = await make_router(two_stripe_accounts(fault))
    merchant = await router.merchant()
    created = await router.create_session(merchant)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["routing"]["selectedProvider"] == "stripe_backup"
    assert "/sandbox/stripe_backup/" in body["checkoutUrl"]
    session = (
        await router.client.get(f"/api/v1/sessions/{body['sessionId']}", headers=merchant.auth)
    ).json()
    first, second = session["attempts"]
    assert (first["provider"], first["status"], first["retryable"]) == ("stripe", "failed", True)
    assert first["errorCode"]
    assert (second["provider"], second["status"]) == ("stripe_backup", "succeeded")
    assert session["provider"]["name"] == "stripe_backup"


async def test_latency_knob_delays_the_sandbox(make_router: MakeRouter) -> None:
    def slow(config: dict[str, Any]) -> None:
        config["providers"]["stripe"]["sandbox"] = {"latency_ms": 250}

    router = await make_router(slow)
    merchant = await router.merchant()
    assert (await router.create_session(merchant)).status_code == 201
    assert 0.25 in router.sleep.calls


@pytest.mark.parametrize("fault", ["error", "timeout", "refuse"])
async def test_when_every_provider_fails_the_merchant_gets_502_and_the_attempts(
    make_router: MakeRouter, fault: str
) -> None:
    def broken(config: dict[str, Any]) -> None:
        config["providers"]["stripe"]["sandbox"] = {"fault": fault}
        config["providers"]["stripe"]["timeout_seconds"] = 0.05

    router = await make_router(broken)
    merchant = await router.merchant()
    response = await router.create_session(merchant)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "providers_unavailable"
    [detail] = error["details"]
    assert detail["provider"] == "stripe"
    assert detail["retryable"] is True
    session_id = detail["sessionId"]
    stored = await router.client.get(f"/api/v1/sessions/{session_id}", headers=merchant.auth)
    assert stored.json()["status"] == "FAILED"
    assert stored.json()["checkoutUrl"] is None
    assert [a["status"] for a in stored.json()["attempts"]] == ["failed"]


async def test_disabled_provider_is_not_a_candidate(make_router: MakeRouter) -> None:
    def disabled(config: dict[str, Any]) -> None:
        config["providers"]["stripe"]["enabled"] = False

    router = await make_router(disabled)
    merchant = await router.merchant()
    response = await router.create_session(merchant)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_eligible_provider"
    reasons = {d["provider"]: d["reason"] for d in error["details"]}
    assert reasons["stripe"] == "disabled in config"
    assert "crypto_collector" in reasons
