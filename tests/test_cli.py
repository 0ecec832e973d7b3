"""The payrouter command line, run as a user would: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.harness import seed_bytes

REPO = Path(__file__).resolve().parent.parent
PAYROUTER = [sys.executable, "-m", "router"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PAYROUTER, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        check=False,
    )


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["database"]["url"] = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    config["server"]["config_watch_seconds"] = 0  # reload on SIGHUP only
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_config_check_accepts_the_shipped_config() -> None:
    result = run("config", "check", "config.yaml")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    assert "ok" in result.stdout


def test_config_check_lists_each_problem_with_its_path(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["providers"]["stripe"]["colour"] = "red"
    config["providers"]["stripe"]["currencies"] = ["AUD", "XXQ"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run("config", "check", str(path))
    assert result.returncode == 2
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("providers.stripe.colour: ") for line in lines)
    assert any(line.startswith("providers.stripe.currencies: ") for line in lines)


def test_apps_create_prints_one_json_object(config_file: Path) -> None:
    result = run(
        "apps",
        "create",
        "Shop",
        "--config",
        str(config_file),
        "--webhook-url",
        "https://m.example/hook",
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"applicationId", "clientId", "clientSecret", "webhookSecret"}
    assert created["webhookSecret"].startswith("whsec_")


def test_apps_create_rejects_a_bad_webhook_url(config_file: Path) -> None:
    result = run("apps", "create", "Shop", "--config", str(config_file), "--webhook-url", "ftp://x")
    assert result.returncode == 2
    assert "--webhook-url" in result.stderr


def test_simulate_ranks_without_creating(config_file: Path, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(seed_bytes())
    result = run("simulate", "--config", str(config_file), str(payload))
    assert result.returncode == 0, result.stderr
    ranking = json.loads(result.stdout)
    assert ranking["selectedProvider"] == "stripe"
    assert [c["provider"] for c in ranking["candidates"]] == ["stripe"]
    assert ranking["excluded"][0]["provider"] == "crypto_collector"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@pytest.fixture
def server(config_file: Path) -> Iterator[Served]:
    port = _free_port()
    process = subprocess.Popen(
        [*PAYROUTER, "serve", "--config", str(config_file), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Readiness wait, not a timing assertion: poll until the server answers.
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "payrouter serve did not come up"
            time.sleep(0.1)
        yield Served(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_the_readme_quickstart_works_over_real_http(server: Served, config_file: Path) -> None:
    served = server.url
    created = json.loads(run("apps", "create", "Demo shop", "--config", str(config_file)).stdout)
    with httpx.Client(base_url=served, timeout=10) as client:
        token = client.post(
            "/api/v1/auth/token",
            json={"clientId": created["clientId"], "clientSecret": created["clientSecret"]},
        ).json()["accessToken"]
        auth = {"Authorization": f"Bearer {token}"}
        response = client.post(
            "/api/v1/sessions",
            content=seed_bytes(),
            headers={**auth, "Idempotency-Key": "quickstart-1", "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        assert body["checkoutUrl"].startswith(f"{served}/sandbox/stripe/pay/")
        assert client.get(body["checkoutUrl"]).status_code == 200
        paid = client.post(f"{body['checkoutUrl']}/outcome", data={"outcome": "paid"})
        assert paid.status_code == 303
        back = client.get(paid.headers["location"])
        assert back.status_code == 303
        assert back.headers["location"].startswith(
            "https://merchant.example.com/checkout/success?sessionId="
        )
        session = client.get(f"/api/v1/sessions/{body['sessionId']}", headers=auth).json()
        assert session["status"] == "COMPLETED"


def test_sighup_reloads_the_config_of_a_running_service(server: Served, config_file: Path) -> None:
    served = server.url
    before = httpx.get(f"{served}/api/health").json()["configVersion"]
    config = yaml.safe_load(config_file.read_text())
    config["providers"]["stripe"]["priority"] = 55
    config_file.write_text(yaml.safe_dump(config))
    os.kill(server.pid, signal.SIGHUP)
    deadline = time.monotonic() + 20
    while httpx.get(f"{served}/api/health").json()["configVersion"] == before:
        assert time.monotonic() < deadline, "SIGHUP did not reload the config"
        time.sleep(0.05)


def test_config_check_names_a_bad_rule_by_its_path(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["routing"]["rules"] = [
        {"name": "to-paypal", "match": {}, "action": "prefer", "providers": ["paypal"], "weight": 5}
    ]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run("config", "check", str(path))
    assert result.returncode == 2
    assert result.stdout.startswith("routing.rules.0.providers.0: ")
    assert "paypal" in result.stdout


def test_replay_reports_how_shares_would_move(
    server: Served, config_file: Path, tmp_path: Path
) -> None:
    created = json.loads(run("apps", "create", "Shop", "--config", str(config_file)).stdout)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        token = client.post(
            "/api/v1/auth/token",
            json={"clientId": created["clientId"], "clientSecret": created["clientSecret"]},
        ).json()["accessToken"]
        for i in range(4):
            response = client.post(
                "/api/v1/sessions",
                content=seed_bytes(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": f"replay-{i}",
                    "Content-Type": "application/json",
                },
            )
            assert response.status_code == 201
    candidate = yaml.safe_load(config_file.read_text())
    candidate["providers"]["stripe_eu"] = {**candidate["providers"]["stripe"], "priority": 10}
    candidate["routing"]["rules"] = [
        {
            "name": "move-all",
            "match": {"currency": ["AUD"]},
            "action": "only",
            "providers": ["stripe_eu"],
        }
    ]
    new = tmp_path / "candidate.yaml"
    new.write_text(yaml.safe_dump(candidate))
    result = run("simulate", "--replay", "10", "--config", str(new), "--current", str(config_file))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["sessions"] == 4
    assert report["current"]["share"] == {"stripe": 100.0}
    assert report["candidate"]["share"] == {"stripe_eu": 100.0}
    assert report["shift"] == {"stripe": -100.0, "stripe_eu": 100.0}
    assert report["moves"] == [{"from": "stripe", "to": "stripe_eu", "sessions": 4}]


def test_sandbox_runs_alone_and_speaks_stripe(config_file: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*PAYROUTER, "sandbox", "--config", str(config_file), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/sandbox/stripe"
    try:
        deadline = time.monotonic() + 30
        while True:  # readiness wait, not a timing assertion
            try:
                httpx.get(f"{base}/v1/checkout/sessions/cs_none", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "payrouter sandbox exited"
                assert time.monotonic() < deadline, "payrouter sandbox did not come up"
                time.sleep(0.1)
        auth = {"Authorization": "Bearer sk_test_payrouter_sandbox"}
        created = httpx.post(
            f"{base}/v1/checkout/sessions",
            headers=auth,
            data={
                "mode": "payment",
                "success_url": "https://m.example/ok",
                "line_items[0][quantity]": "1",
                "line_items[0][price_data][currency]": "usd",
                "line_items[0][price_data][unit_amount]": "1999",
                "line_items[0][price_data][product_data][name]": "Mug",
            },
        )
        assert created.status_code == 200, created.text
        session = created.json()
        assert session["amount_total"] == 1999
        assert session["url"].startswith(f"{base}/pay/")
        assert httpx.get(session["url"]).status_code == 200
        assert httpx.post(f"{base}/v1/checkout/sessions", data={}).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
