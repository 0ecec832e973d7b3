"""Config reload without restart: a good file takes over, a bad one is refused and said so."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from router.reload import ConfigReloader
from tests.conftest import MakeRouter
from tests.harness import Harness, seed_bytes


def _reloader(router: Harness) -> ConfigReloader:
    reloader: ConfigReloader = router.app.state.reloader
    return reloader


async def _score(router: Harness) -> Any:
    """Stripe's configured priority as the running ranking sees it (its priority factor)."""
    merchant = await router.merchant()
    response = await router.client.post(
        "/api/v1/routing/simulate",
        content=seed_bytes(),
        headers={**merchant.auth, "Content-Type": "application/json"},
    )
    [stripe] = response.json()["candidates"]
    return round(stripe["factors"]["priority"] * 100, 1)


def _edit(path: Path, change: Any) -> None:
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config))
    stat = os.stat(path)
    os.utime(path, (stat.st_atime, stat.st_mtime + 1))  # a new mtime even within one tick


async def _health(router: Harness) -> Any:
    return (await router.client.get("/api/health")).json()


async def test_a_valid_change_takes_effect_without_restart(
    make_router: MakeRouter, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    router = await make_router(config_file=path)
    assert await _score(router) == 92.5
    version = (await _health(router))["configVersion"]
    _edit(path, lambda c: c["providers"]["stripe"].update(priority=70))
    assert _reloader(router).reload_if_changed() is True
    assert await _score(router) == 70
    health = await _health(router)
    assert health["configVersion"] != version
    assert health["configStatus"] == "ok"
    assert _reloader(router).reload_if_changed() is None  # unchanged file: nothing to do


async def test_an_invalid_file_keeps_the_last_good_config_and_says_so(
    make_router: MakeRouter, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    router = await make_router(config_file=path)
    version = (await _health(router))["configVersion"]
    _edit(path, lambda c: c["providers"]["stripe"].update(priority=70, colour="red"))
    assert _reloader(router).reload_if_changed() is False
    health = await _health(router)
    assert health["configStatus"] == "invalid"
    assert health["configErrors"] == ["providers.stripe.colour: unknown key"]
    assert health["configVersion"] == version
    assert await _score(router) == 92.5  # still the old config
    # Checkouts keep working on the last good config.
    merchant = await router.merchant()
    assert (await router.create_session(merchant)).status_code == 201
    _edit(path, lambda c: c["providers"]["stripe"].pop("colour"))
    assert _reloader(router).reload_if_changed() is True
    assert (await _health(router))["configStatus"] == "ok"
    assert await _score(router) == 70


async def test_a_broken_provider_in_the_new_file_is_refused(
    make_router: MakeRouter, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    router = await make_router(config_file=path)
    _edit(path, lambda c: c["providers"]["stripe"].update(adapter="nope"))
    assert _reloader(router).reload_if_changed() is False
    [error] = (await _health(router))["configErrors"]
    assert "providers.stripe" in error and "nope" in error
    assert await _score(router) == 92.5


async def test_restart_only_sections_keep_their_running_values(
    make_router: MakeRouter, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    router = await make_router(config_file=path)
    _edit(
        path,
        lambda c: (
            c["database"].update(url="sqlite+aiosqlite:////nonexistent/elsewhere.db"),
            c["providers"]["stripe"].update(priority=60),
        ),
    )
    assert _reloader(router).reload_if_changed() is True
    assert (await _health(router))["database"] == "ok"
    assert await _score(router) == 60


async def test_health_shows_each_provider_and_its_circuit(router: Harness) -> None:
    providers = (await _health(router))["providers"]
    assert providers == {
        "stripe": {"enabled": True, "circuit": "closed"},
        "crypto_collector": {"enabled": True, "circuit": "closed"},
    }
