"""Adapters are found through the payrouter.providers entry points; a broken one stops the
service at start with its name."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.errors import AdapterConfigError
from router.app import create_app
from router.settings import parse_settings
from tests.harness import base_config


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on sys.path where a test can install a distribution by hand."""
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("payrouter_test_plugin")]:
            del sys.modules[name]


def install(plugin_dir: Path, name: str, target: str, source: str) -> None:
    dist = plugin_dir / "payrouter_test_plugin-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: payrouter-test-plugin\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(f"[payrouter.providers]\n{name} = {target}\n")
    (plugin_dir / "payrouter_test_plugin.py").write_text(source)


def start_with(adapter: str) -> str:
    config = base_config("sqlite+aiosqlite:///unused.db")
    config["providers"]["acme"] = {
        "adapter": adapter,
        "currencies": ["USD"],
        "methods": ["card"],
    }
    with pytest.raises(AdapterConfigError) as caught:
        create_app(parse_settings(config, environ={}), environ={})
    return str(caught.value)


def test_an_adapter_that_fails_to_import_is_named(plugin_dir: Path) -> None:
    install(
        plugin_dir, "acme", "payrouter_test_plugin:Factory", "raise ImportError('no acme sdk')\n"
    )
    message = start_with("acme")
    assert "providers.acme" in message
    assert "'acme'" in message and "no acme sdk" in message


def test_an_adapter_missing_part_of_the_protocol_is_named(plugin_dir: Path) -> None:
    install(plugin_dir, "acme", "payrouter_test_plugin:Factory", "class Factory:\n    pass\n")
    message = start_with("acme")
    assert "'acme' is broken" in message
    assert "create" in message and "capabilities" in message


def test_an_adapter_that_is_not_installed_is_named() -> None:
    assert "no adapter 'acme' is installed" in start_with("acme")
