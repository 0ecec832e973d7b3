"""Find adapter factories through entry points and build the configured provider instances.

Every failure here happens at start and names the instance and the adapter, so a broken
plugin or a missing secret never surfaces as a 500 on the first checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import entry_points

import httpx

from providers.base import (
    AdapterContext,
    AdapterFactory,
    Capabilities,
    Clock,
    ProviderAdapter,
    SandboxContext,
    Sleep,
)
from providers.errors import AdapterConfigError
from router.settings import ProviderInstanceSettings, Settings

ENTRY_POINT_GROUP = "payrouter.providers"
SANDBOX_PREFIX = "/sandbox"
# Fault mode ``refuse``: the instance is pointed at an address where nothing listens (the
# discard port), so its calls fail with a refused connection, as for a provider that is down.
REFUSING_API_BASE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class ProviderInstance:
    """A configured provider instance with its adapter and effective capabilities."""

    name: str
    settings: ProviderInstanceSettings
    adapter: ProviderAdapter
    capabilities: Capabilities


class ProviderRegistry:
    """The provider instances of one configuration, by name."""

    def __init__(self, instances: Mapping[str, ProviderInstance]) -> None:
        self._instances = dict(instances)

    def get(self, name: str) -> ProviderInstance | None:
        return self._instances.get(name)

    def all(self) -> list[ProviderInstance]:
        return list(self._instances.values())

    async def aclose(self) -> None:
        for instance in self._instances.values():
            await instance.adapter.aclose()


def load_factory(adapter_name: str, instance_name: str) -> AdapterFactory:
    """Load the factory an entry point names, checking its shape.

    Raises :class:`AdapterConfigError` naming the instance and adapter when it is missing,
    fails to import, or lacks part of the factory protocol.
    """
    found = entry_points(group=ENTRY_POINT_GROUP, name=adapter_name)
    if not found:
        raise AdapterConfigError(
            f"providers.{instance_name}: no adapter {adapter_name!r} is installed "
            f"(entry point group {ENTRY_POINT_GROUP})"
        )
    entry = next(iter(found))
    try:
        loaded = entry.load()
        factory = loaded() if isinstance(loaded, type) else loaded
    except Exception as exc:
        raise AdapterConfigError(
            f"providers.{instance_name}: adapter {adapter_name!r} ({entry.value}) failed to "
            f"load: {type(exc).__name__}: {exc}"
        ) from exc
    missing = [
        attr
        for attr in (
            "required_credentials",
            "sandbox_credentials",
            "capabilities",
            "validate_options",
            "create",
            "sandbox_app",
        )
        if not hasattr(factory, attr)
    ]
    if missing:
        raise AdapterConfigError(
            f"providers.{instance_name}: adapter {adapter_name!r} is broken: it lacks "
            + ", ".join(missing)
        )
    return factory  # type: ignore[no-any-return]


def resolve_credentials(
    instance_name: str,
    settings: ProviderInstanceSettings,
    factory: AdapterFactory,
    environ: Mapping[str, str],
) -> dict[str, str]:
    """The instance's secrets from the environment variables its config names.

    In sandbox mode a secret left unset falls back to the adapter's well-known sandbox
    value. Raises :class:`AdapterConfigError` for an unknown or missing secret (naming the
    variable, never its value).
    """
    unknown = sorted(set(settings.credentials) - set(factory.required_credentials))
    if unknown:
        raise AdapterConfigError(
            f"providers.{instance_name}.credentials: unknown secret(s) {', '.join(unknown)}; "
            f"the adapter takes {', '.join(factory.required_credentials) or 'none'}"
        )
    resolved: dict[str, str] = {}
    for secret in factory.required_credentials:
        env_name = settings.credentials.get(secret)
        value = environ.get(env_name) if env_name else None
        if value:
            resolved[secret] = value
        elif settings.mode == "sandbox" and secret in factory.sandbox_credentials:
            resolved[secret] = factory.sandbox_credentials[secret]
        elif env_name:
            raise AdapterConfigError(
                f"providers.{instance_name}.credentials.{secret}: environment variable "
                f"{env_name} is not set"
            )
        else:
            raise AdapterConfigError(
                f"providers.{instance_name}.credentials.{secret}: required in {settings.mode} "
                "mode; name the environment variable that holds it"
            )
    return resolved


def effective_capabilities(
    instance_name: str, settings: ProviderInstanceSettings, declared: Capabilities
) -> Capabilities:
    """Narrow the adapter's declared capabilities to what the instance's config enables.

    Raises :class:`AdapterConfigError` when config enables something the adapter cannot do.
    """
    for currency in settings.currencies:
        if currency not in declared.currencies:
            raise AdapterConfigError(
                f"providers.{instance_name}.currencies: the {settings.adapter} adapter "
                f"does not support {currency}"
            )
    for method in settings.methods:
        if method not in declared.methods:
            raise AdapterConfigError(
                f"providers.{instance_name}.methods: the {settings.adapter} adapter "
                f"does not support {method}"
            )
    low: dict[str, Decimal] = dict(declared.min_amount)
    high: dict[str, Decimal] = dict(declared.max_amount)
    for currency, limit in settings.amount_limits.items():
        if limit.min is not None:
            low[currency] = max(limit.min, low.get(currency, limit.min))
        if limit.max is not None:
            high[currency] = min(limit.max, high.get(currency, limit.max))
    return Capabilities(
        currencies=frozenset(settings.currencies),
        methods=frozenset(settings.methods),
        min_amount=low,
        max_amount=high,
        amount_step=declared.amount_step,
        can_expire=declared.can_expire,
        has_webhooks=declared.has_webhooks,
    )


def sandbox_base_url(
    public_url: str, instance_name: str, settings: ProviderInstanceSettings
) -> str:
    """Where an instance's sandbox is served: its external URL, else mounted in the service."""
    if settings.sandbox.url:
        return settings.sandbox.url.rstrip("/")
    return f"{public_url}{SANDBOX_PREFIX}/{instance_name}"


def webhook_url(public_url: str, instance_name: str) -> str:
    return f"{public_url}/api/v1/webhooks/{instance_name}"


def build_registry(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    http: httpx.AsyncClient,
    clock: Clock,
    public_url: str,
) -> ProviderRegistry:
    """Build every configured instance (enabled or not, so a disabled one still verifies
    its late webhooks). Raises :class:`AdapterConfigError` on the first broken one."""
    instances: dict[str, ProviderInstance] = {}
    for name, instance_settings in settings.providers.items():
        factory = load_factory(instance_settings.adapter, name)
        try:
            factory.validate_options(instance_settings.options)
        except ValueError as exc:
            raise AdapterConfigError(f"providers.{name}.options: {exc}") from exc
        capabilities = effective_capabilities(name, instance_settings, factory.capabilities())
        credentials = resolve_credentials(name, instance_settings, factory, environ)
        api_base: str | None = None
        if instance_settings.mode == "sandbox":
            api_base = (
                REFUSING_API_BASE
                if instance_settings.sandbox.fault == "refuse"
                else sandbox_base_url(public_url, name, instance_settings)
            )
        context = AdapterContext(
            instance_name=name,
            settings=instance_settings,
            credentials=credentials,
            api_base=api_base,
            http=http,
            clock=clock,
        )
        try:
            adapter = factory.create(context)
        except AdapterConfigError:
            raise
        except Exception as exc:
            raise AdapterConfigError(
                f"providers.{name}: adapter {instance_settings.adapter!r} failed to start: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        instances[name] = ProviderInstance(name, instance_settings, adapter, capabilities)
    return ProviderRegistry(instances)


def build_sandboxes(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    http: httpx.AsyncClient,
    clock: Clock,
    sleep: Sleep,
    public_url: str,
    router_url: str,
) -> dict[str, object]:
    """The sandbox apps to mount, by instance name, for instances in sandbox mode.

    ``public_url`` is where the sandboxes are served; ``router_url`` where they send
    notifications (the same service unless the sandbox runs as its own process).
    """
    apps: dict[str, object] = {}
    for name, instance_settings in settings.providers.items():
        if instance_settings.mode != "sandbox":
            continue
        factory = load_factory(instance_settings.adapter, name)
        context = SandboxContext(
            instance_name=name,
            settings=instance_settings,
            credentials=resolve_credentials(name, instance_settings, factory, environ),
            base_url=f"{public_url}{SANDBOX_PREFIX}/{name}",
            webhook_url=webhook_url(router_url, name),
            http=http,
            clock=clock,
            sleep=sleep,
        )
        app = factory.sandbox_app(context)
        if app is not None:
            apps[name] = app
    return apps
