"""Config reload without restart: SIGHUP or a change of the file's modification time.

A reload builds the new runtime (settings, provider instances, routing policy) completely
before one attribute assignment swaps it in, so requests in flight finish on the config they
started with and nothing waits. A file that does not load keeps the last good config running,
and says so in the log and in /api/health until a good one arrives.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from providers.errors import AdapterConfigError
from router.context import Runtime, Services
from router.settings import ConfigError, Settings, load_settings

log = logging.getLogger("payrouter.reload")

# Sections a running service cannot take over: they need a restart.
RESTART_ONLY = ("server", "database", "auth")

BuildRuntime = Callable[[Settings], Runtime]


class ConfigReloader:
    def __init__(
        self,
        services: Services,
        path: Path,
        environ: Mapping[str, str],
        build_runtime: BuildRuntime,
    ) -> None:
        self._services = services
        self._path = path
        self._environ = environ
        self._build = build_runtime
        self._mtime = self._stat()
        self._pending: set[asyncio.Task[bool]] = set()

    def _stat(self) -> float | None:
        try:
            return os.stat(self._path).st_mtime
        except OSError:
            return None

    def _prepare(self) -> Runtime | list[str]:
        """Read, validate and build the new runtime; the problems instead when it fails."""
        current = self._services.settings
        try:
            settings = load_settings(self._path, self._environ)
            kept = {name: getattr(current, name) for name in RESTART_ONLY}
            changed = [name for name, value in kept.items() if getattr(settings, name) != value]
            if changed:
                log.warning(
                    "config reload: %s changed; that takes a restart, the running values stay",
                    ", ".join(changed),
                )
            return self._build(settings.model_copy(update=kept))
        except ConfigError as exc:
            return exc.lines()
        except AdapterConfigError as exc:
            return [str(exc)]

    def reload(self) -> bool:
        """Load the file again; True when the new config now runs."""
        return self._apply(self._prepare())

    async def reload_async(self) -> bool:
        """:meth:`reload` with the reading and building off the event loop, so requests
        in flight are not held up while a large config compiles."""
        return self._apply(await asyncio.to_thread(self._prepare))

    def on_signal(self) -> None:
        """SIGHUP handler: schedule a reload (signal handlers must not block)."""
        task = asyncio.get_running_loop().create_task(self.reload_async())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _apply(self, prepared: Runtime | list[str]) -> bool:
        if isinstance(prepared, list):
            self._reject(prepared)
            return False
        runtime = prepared
        self._services.runtime = runtime
        self._services.config_errors = ()
        log.info("config reloaded from %s: version %s", self._path, runtime.config_version)
        return True

    def _reject(self, problems: list[str]) -> None:
        self._services.config_errors = tuple(problems)
        log.error(
            "config reload from %s refused; the last good config (version %s) keeps running: %s",
            self._path,
            self._services.config_version,
            "; ".join(problems),
        )

    def reload_if_changed(self) -> bool | None:
        """Reload when the file's modification time moved; None when it did not."""
        mtime = self._stat()
        if mtime == self._mtime:
            return None
        self._mtime = mtime
        return self.reload()

    async def reload_if_changed_async(self) -> bool | None:
        mtime = self._stat()
        if mtime == self._mtime:
            return None
        self._mtime = mtime
        return await self.reload_async()

    async def watch(self, interval: float) -> None:
        """Poll the file for changes, for the life of the service."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload_if_changed_async()
            except Exception:
                log.exception("config watch failed; trying again later")
