"""The entry point ``example_pay``: what payrouter loads to build ExamplePay instances."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from starlette.types import ASGIApp

from payrouter_example_adapter.adapter import ExamplePayAdapter
from payrouter_example_adapter.transport import ExamplePayTransport
from providers.base import AdapterContext, Capabilities, SandboxContext
from providers.errors import AdapterConfigError

if TYPE_CHECKING:
    from providers.base import AdapterFactory

# ExamplePay's live API; an instance's options.api_base overrides it (a proxy, a region).
DEFAULT_API_BASE: Final = "https://api.examplepay.example"
CURRENCIES: Final = frozenset({"USD", "EUR", "GBP", "AUD"})
MIN_AMOUNT: Final[Mapping[str, Decimal]] = MappingProxyType(
    {currency: Decimal("0.50") for currency in CURRENCIES}
)
MAX_AMOUNT: Final[Mapping[str, Decimal]] = MappingProxyType(
    {currency: Decimal("10000.00") for currency in CURRENCIES}
)
_OPTIONS: Final = frozenset({"api_base"})


class ExamplePayAdapterFactory:
    """Builds :class:`ExamplePayAdapter` s and their sandboxes (the AdapterFactory protocol)."""

    # Logical secret names; config.yaml maps each to an environment variable.
    required_credentials: tuple[str, ...] = ("api_key", "webhook_secret")
    # Used in sandbox mode when the environment sets nothing: they open only the local
    # sandbox, which accepts exactly these, never a real account.
    sandbox_credentials: Mapping[str, str] = MappingProxyType(
        {"api_key": "ep_test_sandbox_key", "webhook_secret": "ep_whsec_sandbox_secret"}
    )

    def capabilities(self) -> Capabilities:
        """Cards in four currencies, 0.50 to 10,000.00; expirable; signed webhooks."""
        return Capabilities(
            currencies=CURRENCIES,
            methods=frozenset({"card"}),
            min_amount=MIN_AMOUNT,
            max_amount=MAX_AMOUNT,
            can_expire=True,
            has_webhooks=True,
        )

    def validate_options(self, options: Mapping[str, Any]) -> None:
        """Accept only ``api_base``, an http(s) URL. Raises ``ValueError`` naming the key."""
        for key, value in options.items():
            if key not in _OPTIONS:
                raise ValueError(f"{key}: unknown option (allowed: {', '.join(sorted(_OPTIONS))})")
            parts = urlsplit(value) if isinstance(value, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{key}: must be an http(s) URL such as {DEFAULT_API_BASE}")

    def create(self, context: AdapterContext) -> ExamplePayAdapter:
        """Build one instance. Raises :class:`AdapterConfigError` naming the instance's key
        when an option is wrong or a secret is missing."""
        name = context.instance_name
        try:
            self.validate_options(context.settings.options)
        except ValueError as exc:
            raise AdapterConfigError(f"providers.{name}.options.{exc}") from exc
        for secret in self.required_credentials:
            if not context.credentials.get(secret):
                raise AdapterConfigError(f"providers.{name}.credentials.{secret}: not set")
        # In sandbox mode the router passes its sandbox's URL; else the option or the default.
        api_base = context.api_base or context.settings.options.get("api_base") or DEFAULT_API_BASE
        transport = ExamplePayTransport(
            api_base=str(api_base).rstrip("/"),
            api_key=context.credentials["api_key"],
            http=context.http,
            timeout_seconds=float(context.settings.timeout_seconds),
        )
        return ExamplePayAdapter(
            name=name,
            capabilities=self.capabilities(),
            transport=transport,
            webhook_secret=context.credentials["webhook_secret"],
            clock=context.clock,
        )

    def sandbox_app(self, context: SandboxContext) -> ASGIApp | None:
        """The local ExamplePay for sandbox mode (imported only when one is wanted)."""
        from payrouter_example_adapter.sandbox import build_sandbox

        app: ASGIApp = build_sandbox(context)
        return app


if TYPE_CHECKING:
    # mypy proves the factory has the shape the registry relies on.
    def _conforms(factory: ExamplePayAdapterFactory) -> AdapterFactory:
        return factory
