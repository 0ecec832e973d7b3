"""config.yaml into typed settings: every problem named by its key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from providers.errors import AdapterConfigError
from router.app import create_app
from router.settings import ConfigError, load_settings, parse_settings
from tests.harness import base_config

REPO = Path(__file__).resolve().parent.parent


def problems(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, environ={})
    return caught.value.lines()


def test_the_shipped_config_loads() -> None:
    settings = load_settings(REPO / "config.yaml", environ={})
    assert set(settings.providers) == {"stripe", "crypto_collector"}
    assert settings.providers["stripe"].sandbox.fault == "none"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda c: c["providers"]["stripe"].update(colour="red"),
            "providers.stripe.colour: unknown key",
        ),
        (lambda c: c.update(extra=1), "extra: unknown key"),
        (
            lambda c: c["providers"]["stripe"].update(currencies=["AUD", "aud"]),
            "providers.stripe.currencies: ",
        ),
        (
            lambda c: c["providers"]["stripe"].update(methods=["cash"]),
            "providers.stripe.methods.0: ",
        ),
        (lambda c: c["providers"]["stripe"].update(mode="prod"), "providers.stripe.mode: "),
        (
            lambda c: c["providers"]["stripe"].update(sandbox={"fault": "boom"}),
            "providers.stripe.sandbox.fault: ",
        ),
        (lambda c: c["providers"]["stripe"].update(priority=101), "providers.stripe.priority: "),
        (
            lambda c: c["providers"]["stripe"].update(credentials={"api_key": "sk_live_123"}),
            "providers.stripe.credentials: ",
        ),
        (lambda c: c["database"].update(url="mysql://x"), "database.url: "),
        (lambda c: c["server"].update(public_url="not a url"), "server.public_url: "),
        (lambda c: c["routing"].update(weights={"luck": 1}), "routing.weights.luck: unknown key"),
        (lambda c: c["providers"].update({"Bad-Name": c["providers"]["stripe"]}), "providers: "),
        (
            lambda c: c["providers"]["stripe"].update(amount_limits={"AUD": {"min": 5, "max": 1}}),
            "providers.stripe.amount_limits.AUD: ",
        ),
    ],
)
def test_bad_values_are_named_by_path(edit: Any, expected: str) -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["routing"] = {}
    edit(config)
    lines = problems(config)
    assert any(line.startswith(expected) for line in lines), lines


def test_a_secret_pasted_into_config_is_not_echoed() -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["providers"]["stripe"]["credentials"] = {"api_key": "sk_live_abc123"}
    lines = problems(config)
    assert lines and not any("sk_live_abc123" in line for line in lines)


def test_several_problems_are_all_reported() -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["providers"]["stripe"]["colour"] = "red"
    config["server"]["port"] = -1
    assert len(problems(config)) == 2


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  port: [1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.lines()[0].startswith("line ")


def test_a_key_given_twice_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "routing:\n  rules:\n    - name: s\n      match: {}\n      action: split\n"
        "      split: {stripe: 50, stripe: 50}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    [line] = caught.value.lines()
    assert line.startswith("line 6: ") and "duplicate key 'stripe'" in line


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "none.yaml", environ={})


def test_database_url_comes_from_the_environment() -> None:
    settings = parse_settings(
        base_config("sqlite+aiosqlite:///x.db"),
        environ={"PAYROUTER_DATABASE_URL": "postgresql+asyncpg://u@h/db"},
    )
    assert settings.database.url == "postgresql+asyncpg://u@h/db"


def _app_error(config: dict[str, Any], environ: dict[str, str] | None = None) -> str:
    with pytest.raises(AdapterConfigError) as caught:
        create_app(parse_settings(config, environ={}), environ=environ or {})
    return str(caught.value)


def test_live_mode_without_its_secret_fails_at_start_naming_the_variable() -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["providers"]["stripe"]["mode"] = "live"
    config["providers"]["stripe"]["credentials"] = {
        "api_key": "STRIPE_KEY_X",
        "webhook_secret": "STRIPE_WHSEC_X",
    }
    message = _app_error(config, {"STRIPE_WHSEC_X": "whsec_very_secret_value"})
    assert "providers.stripe.credentials.api_key" in message
    assert "STRIPE_KEY_X" in message
    assert "whsec_very_secret_value" not in message


def test_unknown_adapter_fails_at_start_naming_the_instance() -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["providers"]["stripe"]["adapter"] = "nope"
    message = _app_error(config)
    assert "providers.stripe" in message and "'nope'" in message


def test_config_may_not_enable_what_the_adapter_cannot_do() -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["providers"]["crypto_collector"]["methods"] = ["card"]
    message = _app_error(config)
    assert "providers.crypto_collector.methods" in message


def test_unknown_secret_name_is_refused() -> None:
    config = base_config("sqlite+aiosqlite:///x.db")
    config["providers"]["stripe"]["credentials"] = {"password": "STRIPE_PASSWORD"}
    assert "providers.stripe.credentials" in _app_error(config)
