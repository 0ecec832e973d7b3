"""The ``routing:`` section of config.yaml: weights, estimator settings and ops rules.

Shape problems (types, ranges, unknown keys, a rule without what its action needs) are
pydantic errors at their exact path. Problems that need the whole rule set or the list of
provider instances (unknown names, duplicate rule names, contradictions) come from
:meth:`RoutingConfig.check`, also as ``(path, message)`` pairs.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from router.money import is_currency
from scoring.checks import rule_set_problems

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LOCALE = re.compile(r"^[a-zA-Z]{2,3}([_-][a-zA-Z0-9]{2,8}){0,2}$")

RuleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Percent = Annotated[int, Field(ge=1, le=100)]
Action = Literal["only", "exclude", "prefer", "split"]
Method = Literal["card", "crypto"]


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, values never change after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Weights(StrictModel):
    """How much each factor counts; only the ratios matter (they are normalised)."""

    success_rate: Decimal = Field(default=Decimal("0.4"), ge=0, le=1000)
    cost: Decimal = Field(default=Decimal("0.2"), ge=0, le=1000)
    latency: Decimal = Field(default=Decimal("0.15"), ge=0, le=1000)
    health: Decimal = Field(default=Decimal("0.15"), ge=0, le=1000)
    priority: Decimal = Field(default=Decimal("0.1"), ge=0, le=1000)

    @model_validator(mode="after")
    def _not_all_zero(self) -> Weights:
        if not any(self.as_dict().values()):
            raise ValueError("at least one weight must be above 0")
        return self

    def as_dict(self) -> dict[str, Decimal]:
        return {
            "success_rate": self.success_rate,
            "cost": self.cost,
            "latency": self.latency,
            "health": self.health,
            "priority": self.priority,
        }


class SuccessRateSettings(StrictModel):
    """The Beta prior every segment starts from, and when a segment stands on its own.

    The defaults (8 successes, 2 failures) give a provider with no history 0.8: below an
    established good provider, far from zero, and ten real outcomes move it noticeably.
    """

    prior_successes: Decimal = Field(default=Decimal(8), ge=0, le=100_000)
    prior_failures: Decimal = Field(default=Decimal(2), ge=0, le=100_000)
    min_segment_volume: int = Field(default=20, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _some_prior(self) -> SuccessRateSettings:
        if self.prior_successes + self.prior_failures <= 0:
            raise ValueError("prior_successes + prior_failures must be above 0")
        return self


class LatencySettings(StrictModel):
    # A p50 at or above this scores 0; an unknown latency scores a neutral 0.5.
    reference_ms: Decimal = Field(default=Decimal(2000), gt=0, le=600_000)


class CostSettings(StrictModel):
    # An effective fee at or above this percent of the amount scores 0.
    reference_percent: Decimal = Field(default=Decimal(5), gt=0, le=100)


class ExplorationSettings(StrictModel):
    # Share of requests sent to a candidate other than the best one, to keep learning.
    rate: Decimal = Field(default=Decimal(0), ge=0, le=Decimal("0.2"))
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


class FailoverSettings(StrictModel):
    deadline_seconds: Decimal = Field(default=Decimal(30), gt=0, le=600)
    max_attempts: int = Field(default=3, ge=1, le=20)


class CircuitBreakerSettings(StrictModel):
    failure_threshold: int = Field(default=5, ge=1, le=1000)
    cooldown_seconds: Decimal = Field(default=Decimal(30), gt=0, le=86400)


class AmountRange(StrictModel):
    """Bounds in the session currency, both inclusive."""

    min: Decimal | None = Field(default=None, ge=0)
    max: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> AmountRange:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both (omit amount to match any amount)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


def _nonempty_unique(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if not values:
        raise ValueError("list at least one value (leave the key out to match any)")
    if len(set(values)) != len(values):
        raise ValueError("lists a value twice")
    return values


class RuleMatch(StrictModel):
    """Every given condition must hold; an empty match matches every payment.

    A locale matches itself and its regional variants: ``de`` matches ``de``, ``de-CH``
    and ``de_AT``; ``de-CH`` matches only ``de-CH`` (case and ``_``/``-`` are ignored).
    """

    currency: tuple[str, ...] | None = None
    payment_method: tuple[Method, ...] | None = None
    amount: AmountRange | None = None
    billing_country: tuple[str, ...] | None = None
    shipping_country: tuple[str, ...] | None = None
    locale: tuple[str, ...] | None = None
    # Exact string match on the session's additional information.
    metadata: dict[str, str] | None = None
    # Keys that must be present, whatever their value.
    metadata_keys: tuple[str, ...] | None = None

    @field_validator("currency")
    @classmethod
    def _currencies(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for code in values or ():
            if not is_currency(code):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code (upper case)")
        return _nonempty_unique(values)

    @field_validator("billing_country", "shipping_country")
    @classmethod
    def _countries(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for code in values or ():
            if not _COUNTRY.match(code):
                raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 country code (upper case)")
        return _nonempty_unique(values)

    @field_validator("locale")
    @classmethod
    def _locales(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for tag in values or ():
            if not _LOCALE.match(tag):
                raise ValueError(f"{tag!r} is not a locale such as de or de-CH")
        return _nonempty_unique(values)

    @field_validator("payment_method", "metadata_keys")
    @classmethod
    def _lists(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return _nonempty_unique(values)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, values: dict[str, str] | None) -> dict[str, str] | None:
        if values is not None and not values:
            raise ValueError("give at least one key (leave metadata out to match any)")
        return values


class Rule(StrictModel):
    """One ops rule: when ``match`` holds, apply ``action``.

    - ``only``: only the listed providers may take the payment (several matching ``only``
      rules: a provider must be in every list).
    - ``exclude``: the listed providers may not.
    - ``prefer``: add ``weight`` (-100..100) points to the listed providers' scores.
    - ``split``: send ``split`` percentages of the matching volume to each provider,
      decided by a stable hash of the request's routing key (the first matching split wins).
    """

    name: RuleName
    match: RuleMatch = RuleMatch()
    action: Action
    providers: tuple[str, ...] = ()
    weight: Decimal | None = Field(default=None, ge=-100, le=100)
    split: dict[str, Percent] | None = None

    # Field validators run in declaration order, so ``action`` is known (in info.data)
    # when these run; an error lands on the field at fault, e.g. rules.3.weight.
    @field_validator("providers", mode="after")
    @classmethod
    def _providers_for_action(
        cls, values: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        action = info.data.get("action")
        if action == "split":
            if values:
                raise ValueError("a split rule names its providers in split, not providers")
        elif action is not None and not values:
            raise ValueError(f"the {action} action needs at least one provider")
        if len(set(values)) != len(values):
            raise ValueError("names a provider twice")
        return values

    @field_validator("weight", mode="after")
    @classmethod
    def _weight_for_action(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        action = info.data.get("action")
        if action == "prefer" and value is None:
            raise ValueError("a prefer rule needs a weight (points added to the score, -100..100)")
        if action not in (None, "prefer") and value is not None:
            raise ValueError("only a prefer rule takes a weight")
        return value

    @field_validator("split", mode="after")
    @classmethod
    def _split_for_action(
        cls, value: dict[str, int] | None, info: ValidationInfo
    ) -> dict[str, int] | None:
        action = info.data.get("action")
        if action == "split":
            if not value:
                raise ValueError("a split rule needs split: {provider: percent, ...}")
            total = sum(value.values())
            if total != 100:
                raise ValueError(f"percentages must sum to 100, not {total}")
        elif action is not None and value is not None:
            raise ValueError("only a split rule takes split")
        return value

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    def provider_names(self) -> tuple[str, ...]:
        """Every provider the rule names (``providers`` or the split's keys)."""
        return tuple(self.split) if self.split else self.providers


class RoutingConfig(StrictModel):
    """The ``routing:`` section. The router reads failover, circuit breaker and refresh."""

    weights: Weights = Weights()
    success_rate: SuccessRateSettings = SuccessRateSettings()
    latency: LatencySettings = LatencySettings()
    cost: CostSettings = CostSettings()
    exploration: ExplorationSettings = ExplorationSettings()
    failover: FailoverSettings = FailoverSettings()
    circuit_breaker: CircuitBreakerSettings = CircuitBreakerSettings()
    stats_refresh_seconds: Decimal = Field(default=Decimal(10), gt=0, le=3600)
    rules: tuple[Rule, ...] = Field(default=(), max_length=1000)

    def check(self, providers: Collection[str], prefix: str = "routing") -> list[tuple[str, str]]:
        """Problems the rule set has against the configured provider instance names.

        ``providers`` is any collection of instance names (the ``providers:`` mapping works
        as is). Returns ``(path, message)`` pairs, paths from the config root such as
        ``routing.rules.3.providers.0``; empty when the rules are consistent.
        """
        return rule_set_problems(self.rules, frozenset(providers), prefix)
