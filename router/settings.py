"""config.yaml and the environment, read into typed, frozen settings.

Every section forbids unknown keys, so a typo is an error at load named by its path
(``providers.stripe.currencies.2: ...``) instead of a silently ignored setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from router.money import is_currency
from scoring.config import RoutingConfig

DATABASE_URL_ENV = "PAYROUTER_DATABASE_URL"
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class StrictModel(BaseModel):
    """A settings section: unknown keys are errors, values never change after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # The base of every URL the service hands out (checkout pages, webhook and payer-return
    # URLs). Unset: the host and port the service was started on.
    public_url: str | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Mount the sandbox providers under /sandbox/ in the service itself.
    mount_sandbox: bool = True
    # How often to look for a changed config file (0: only on SIGHUP).
    config_watch_seconds: Decimal = Field(default=Decimal(2), ge=0, le=3600)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8000")
        return value.rstrip("/") if value else value


class DatabaseSettings(StrictModel):
    url: str = "sqlite+aiosqlite:///./payrouter.db"
    pool_size: int = Field(default=10, ge=1, le=200)
    # PostgreSQL only: the schema to keep payrouter's tables in (several deployments or
    # test runs can share one database). Default: the server's search_path.
    schema_name: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")

    @field_validator("url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class AuthSettings(StrictModel):
    token_ttl_seconds: int = Field(default=900, ge=60, le=86400)
    # Name of an environment variable holding the JWT signing key. When it is unset the
    # service generates a key once and keeps it in the database, so every process agrees.
    signing_key_env: str = "PAYROUTER_JWT_SIGNING_KEY"

    @field_validator("signing_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        return _check_env_name(value)


class SessionSettings(StrictModel):
    default_expires_in_seconds: int = Field(default=3600, ge=300, le=86400)


class IdempotencySettings(StrictModel):
    retention_hours: int = Field(default=24, ge=1, le=24 * 30)
    # A request still marked in progress after this long is taken to have died with its
    # process; a retry with the same key may then take it over.
    in_progress_timeout_seconds: int = Field(default=120, ge=5, le=3600)
    purge_interval_seconds: int = Field(default=600, ge=1, le=86400)


class ReconciliationSettings(StrictModel):
    """The background re-check of sessions a notification may never settle."""

    enabled: bool = True
    # How often the loop looks for work.
    interval_seconds: int = Field(default=30, ge=1, le=3600)
    # A PENDING session is first checked with its provider once it is this old: younger ones
    # are normal (the payer is still on the page; crypto needs confirmations).
    pending_after_seconds: int = Field(default=300, ge=0, le=86400)
    # Then again this often while it stays PENDING.
    recheck_seconds: int = Field(default=120, ge=1, le=86400)
    # A provider that cannot close a checkout is given this long past expiresAt for a
    # payment already under way to confirm, before the session is expired on our side.
    expiry_grace_seconds: int = Field(default=3600, ge=0, le=7 * 86400)
    batch_size: int = Field(default=50, ge=1, le=1000)
    lease_seconds: int = Field(default=120, ge=5, le=3600)


def _retry_schedule() -> tuple[int, ...]:
    # Standard Webhooks' suggested schedule: about a day and a half in all.
    return (5, 300, 1800, 7200, 18000, 36000, 36000)


class NotificationSettings(StrictModel):
    """Signed webhooks to merchants on every terminal status."""

    enabled: bool = True
    interval_seconds: int = Field(default=5, ge=1, le=3600)
    timeout_seconds: Decimal = Field(default=Decimal(10), gt=0, le=60)
    # Wait before each retry; after the last one the notification is given up (state failed).
    retry_schedule_seconds: tuple[int, ...] = Field(
        default_factory=_retry_schedule, min_length=1, max_length=30
    )
    batch_size: int = Field(default=50, ge=1, le=1000)

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _positive(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        if any(v < 1 for v in values):
            raise ValueError("every wait must be at least 1 second")
        return values


class SandboxSettings(StrictModel):
    fault: Literal["none", "error", "timeout", "refuse"] = "none"
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    # An external sandbox (``payrouter sandbox``) instead of the one mounted in the service.
    url: str | None = None


class AmountLimit(StrictModel):
    min: Decimal | None = Field(default=None, ge=0)
    max: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AmountLimit:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class FeeSettings(StrictModel):
    """What the provider charges, for the cost factor: a percent plus a fixed fee per currency."""

    percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    fixed: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("fixed")
    @classmethod
    def _fixed(cls, values: dict[str, Decimal]) -> dict[str, Decimal]:
        for code, fee in values.items():
            if not is_currency(code):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code (upper case)")
            if not fee.is_finite() or fee < 0:
                raise ValueError(f"{code}: must be a number >= 0")
        return values


class ProviderInstanceSettings(StrictModel):
    adapter: str
    enabled: bool = True
    mode: Literal["sandbox", "live"] = "sandbox"
    currencies: tuple[str, ...] = Field(min_length=1)
    methods: tuple[Literal["card", "crypto"], ...] = Field(min_length=1)
    # Per currency; a currency not listed is bounded only by the adapter's capabilities.
    amount_limits: dict[str, AmountLimit] = Field(default_factory=dict)
    # Ops' own 0-100 preference: one factor of the score (routing.weights.priority).
    priority: Decimal = Field(default=Decimal(50), ge=0, le=100)
    fees: FeeSettings = FeeSettings()
    # Billing countries this instance serves (ISO 3166 alpha-2); unset: every country.
    countries: tuple[str, ...] | None = None
    timeout_seconds: Decimal = Field(default=Decimal(10), gt=0, le=120)
    # Logical secret name -> the environment variable that holds it. Never a secret itself.
    credentials: dict[str, str] = Field(default_factory=dict)
    # Adapter-specific, non-secret options; the adapter validates them at start.
    options: dict[str, Any] = Field(default_factory=dict)
    sandbox: SandboxSettings = SandboxSettings()

    @field_validator("currencies")
    @classmethod
    def _iso_currencies(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for code in values:
            if not is_currency(code):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code (upper case)")
        if len(set(values)) != len(values):
            raise ValueError("lists a currency twice")
        return values

    @field_validator("amount_limits")
    @classmethod
    def _limit_currencies(cls, values: dict[str, AmountLimit]) -> dict[str, AmountLimit]:
        for code in values:
            if not is_currency(code):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code (upper case)")
        return values

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if values is not None:
            if not values:
                raise ValueError("list at least one country, or leave it out for all")
            for code in values:
                if not re.fullmatch(r"[A-Z]{2}", code):
                    raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 country code")
        return values

    @field_validator("credentials")
    @classmethod
    def _env_names(cls, values: dict[str, str]) -> dict[str, str]:
        for env_name in values.values():
            _check_env_name(env_name)
        return values


class Settings(StrictModel):
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    sessions: SessionSettings = SessionSettings()
    idempotency: IdempotencySettings = IdempotencySettings()
    reconciliation: ReconciliationSettings = ReconciliationSettings()
    notifications: NotificationSettings = NotificationSettings()
    providers: dict[str, ProviderInstanceSettings] = Field(default_factory=dict)
    routing: RoutingConfig = RoutingConfig()

    @field_validator("providers")
    @classmethod
    def _instance_names(
        cls, values: dict[str, ProviderInstanceSettings]
    ) -> dict[str, ProviderInstanceSettings]:
        for name in values:
            if not _INSTANCE_NAME.match(name):
                raise ValueError(
                    f"provider name {name!r} must be lower case letters, digits and _ "
                    "(at most 40, starting with a letter)"
                )
        return values


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` holds ``(path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))

    def lines(self) -> list[str]:
        """One ``path.to.key: message`` line per problem."""
        return [f"{path}: {message}" for path, message in self.problems]


def _check_env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        # The value is not echoed: someone may have pasted the secret itself here.
        raise ValueError(
            "must name an environment variable (A-Z, 0-9, _), never hold the secret itself"
        )
    return value


def _loc_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_settings(data: Any, environ: Mapping[str, str] | None = None) -> Settings:
    """Validate already-parsed config data and apply environment overrides.

    Raises :class:`ConfigError` listing every problem with its key path.
    """
    environ = os.environ if environ is None else environ
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("(top level)", "must be a mapping of sections")])
    override = environ.get(DATABASE_URL_ENV)
    if override:
        database = dict(data.get("database") or {})
        database["url"] = override
        data = {**data, "database": database}
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append((_loc_path(error["loc"]), message))
        raise ConfigError(problems) from exc
    # Rules are checked against the instances they name, and against each other.
    rule_problems = settings.routing.check(settings.providers)
    if rule_problems:
        raise ConfigError(rule_problems)
    return settings


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a config must not."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read config.yaml at ``path`` into :class:`Settings`.

    Raises :class:`ConfigError` when the file is missing, is not YAML, or is invalid.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([(str(path), f"cannot read: {exc.strerror}")]) from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else str(path)
        raise ConfigError([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    return parse_settings(data, environ)
