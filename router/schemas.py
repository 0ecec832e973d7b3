"""The public request and response models (seed 003), and the checks they cannot express.

Requests are parsed with ``json.loads(parse_float=Decimal)`` before validation, so money
arrives here as exact ``Decimal`` (pydantic's own JSON parser would go through float).
Money fields accept JSON numbers only: a string, a boolean or NaN is a validation error.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from router.money import exponent, fits_currency, is_currency

MAX_AMOUNT = Decimal("1000000000000")  # 10^12 major units: beyond any real checkout


def _printable(value: str) -> str:
    """Reject control characters and lone surrogates (they break storage and providers)."""
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs"):
            raise PydanticCustomError(
                "text_control_character", "must not contain control characters"
            )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("text_blank", "must not be blank")
    return value


def Text(min_length: int = 1, max_length: int = 200) -> Any:
    """A text field: printable, within its length, and not only spaces when required."""
    validators = [AfterValidator(_printable)]
    if min_length > 0:
        validators.append(AfterValidator(_not_blank))
    return Annotated[
        StrictStr,
        StringConstraints(min_length=min_length, max_length=max_length),
        *validators,
    ]


def _money(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PydanticCustomError("money_type", "must be a JSON number")
    amount = Decimal(value)
    if not amount.is_finite():
        raise PydanticCustomError("money_finite", "must be a finite number")
    if amount < 0:
        raise PydanticCustomError("money_negative", "must not be negative")
    if amount >= MAX_AMOUNT:
        raise PydanticCustomError("money_too_large", "must be less than 1000000000000")
    return amount


Money = Annotated[
    Decimal,
    PlainValidator(_money),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "number", "minimum": 0, "exclusiveMaximum": 1e12}),
]


def _email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    if (
        not local
        or len(local) > 64
        or not re.fullmatch(r"[^@\s]+", local)
        or not re.fullmatch(r"[^@\s.]+(\.[^@\s.]+)+", domain)
    ):
        raise PydanticCustomError("email", "must be an email address such as name@example.com")
    return value


Email = Annotated[
    StrictStr,
    StringConstraints(min_length=3, max_length=254),
    AfterValidator(_printable),
    AfterValidator(_email),
]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise PydanticCustomError("url", "must be an absolute http(s) URL")
    return value


HttpUrl = Annotated[
    StrictStr,
    StringConstraints(min_length=10, max_length=2000),
    AfterValidator(_printable),
    AfterValidator(_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": 2000}),
]
Country = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locale = Annotated[
    StrictStr, StringConstraints(pattern=r"^[a-zA-Z]{2,3}([_-][a-zA-Z0-9]{2,8}){0,2}$")
]
Phone = Annotated[StrictStr, StringConstraints(pattern=r"^\+?[0-9][0-9 ()\-]{4,24}$")]
MetadataKey = Annotated[
    str, StringConstraints(min_length=1, max_length=40), AfterValidator(_printable)
]


def _metadata_value(value: object) -> str | int | bool | None:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if len(value) > 500:
            raise PydanticCustomError("metadata_length", "must be at most 500 characters")
        return _printable(value)
    raise PydanticCustomError("metadata_type", "must be a string, an integer, a boolean or null")


MetadataValue = Annotated[
    str | int | bool | None,
    PlainValidator(_metadata_value),
    WithJsonSchema({"type": ["string", "integer", "boolean", "null"], "maxLength": 500}),
]


class ApiModel(BaseModel):
    """camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        frozen=True,
    )


class Amount(ApiModel):
    total: Money
    shipping: Money = Decimal(0)
    tax: Money = Decimal(0)


class OrderItem(ApiModel):
    name: Text(1, 200)  # type: ignore[valid-type]
    sku: Text(1, 100) | None = None  # type: ignore[valid-type]
    quantity: Annotated[StrictInt, Field(ge=1, le=100_000)]
    unit_price: Money


class Address(ApiModel):
    line1: Text(1, 200)  # type: ignore[valid-type]
    line2: Text(0, 200) | None = None  # type: ignore[valid-type]
    city: Text(1, 100)  # type: ignore[valid-type]
    state: Text(0, 100) | None = None  # type: ignore[valid-type]
    postal_code: Text(0, 20) | None = None  # type: ignore[valid-type]
    country: Country


class Customer(ApiModel):
    first_name: Text(1, 100) | None = None  # type: ignore[valid-type]
    last_name: Text(1, 100) | None = None  # type: ignore[valid-type]
    email: Email
    phone: Phone | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


class Shipping(ApiModel):
    type: Text(1, 50)  # type: ignore[valid-type]
    method: Text(1, 100) | None = None  # type: ignore[valid-type]


class RedirectUrls(ApiModel):
    success: HttpUrl
    failure: HttpUrl


class SessionCreateRequest(ApiModel):
    """POST /api/v1/sessions (seed 003)."""

    order_reference: Text(1, 100)  # type: ignore[valid-type]
    payment_method: Literal["card", "crypto"]
    currency: Currency
    locale: Locale | None = None
    amount: Amount
    order_items: Annotated[list[OrderItem], Field(min_length=1, max_length=99)]
    customer: Customer
    shipping: Shipping | None = None
    additional_information: (
        Annotated[
            dict[MetadataKey, MetadataValue],
            Field(max_length=40),
        ]
        | None
    ) = None
    redirect_urls: RedirectUrls
    expires_in_seconds: Annotated[StrictInt, Field(ge=300, le=86400)] | None = None


def money_problems(request: SessionCreateRequest) -> list[dict[str, str]]:
    """Checks that depend on the currency: ISO code, and decimals within its exponent."""
    if not is_currency(request.currency):
        return [{"field": "currency", "message": "must be an ISO 4217 currency code"}]
    places = exponent(request.currency)
    problems = []
    fields: list[tuple[str, Decimal]] = [
        ("amount.total", request.amount.total),
        ("amount.shipping", request.amount.shipping),
        ("amount.tax", request.amount.tax),
    ]
    fields += [
        (f"orderItems.{i}.unitPrice", item.unit_price) for i, item in enumerate(request.order_items)
    ]
    for field, value in fields:
        if not fits_currency(value, request.currency):
            problems.append(
                {
                    "field": field,
                    "message": f"{request.currency} allows at most {places} decimal places",
                }
            )
    if request.amount.total <= 0 and not problems:
        problems.append({"field": "amount.total", "message": "must be greater than zero"})
    return problems


def expected_total(request: SessionCreateRequest) -> Decimal:
    """sum(quantity x unitPrice) + shipping + tax, exactly."""
    items = sum((item.unit_price * item.quantity for item in request.order_items), Decimal(0))
    return items + request.amount.shipping + request.amount.tax


# -- responses ----------------------------------------------------------------------------


class OutModel(ApiModel):
    """Response shapes: built in code by field name, emitted in camelCase."""

    model_config = ConfigDict(validate_by_name=True)


DecimalString = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$"})]


class RankedCandidate(OutModel):
    provider: str
    score: float
    # Each factor's value from 0 to 1 (success_rate, cost, latency, health, priority...).
    factors: dict[str, float]
    reasons: list[str]


class ExcludedCandidate(OutModel):
    provider: str
    reason: str


class Routing(OutModel):
    selected_provider: str | None
    score: float | None
    candidates: list[RankedCandidate]
    excluded: list[ExcludedCandidate]
    matched_rules: list[str]
    notes: list[str]
    config_version: str


class SessionCreated(OutModel):
    session_id: str
    checkout_url: str
    status: str
    routing: Routing
    expires_at: str
    created_at: str


class AmountOut(OutModel):
    total: DecimalString
    shipping: DecimalString
    tax: DecimalString


class OrderItemOut(OutModel):
    name: str
    sku: str | None
    quantity: int
    unit_price: DecimalString


class AttemptOut(OutModel):
    provider: str
    status: Literal["started", "succeeded", "failed"]
    error_code: str | None
    error_message: str | None
    retryable: bool | None
    latency_ms: int | None
    started_at: str
    finished_at: str | None


class ProviderRef(OutModel):
    name: str | None
    reference: str | None


class SessionOut(OutModel):
    session_id: str
    status: Literal["PENDING", "COMPLETED", "FAILED", "CANCELLED", "EXPIRED"]
    order_reference: str
    payment_method: str
    currency: str
    locale: str | None
    amount: AmountOut
    order_items: list[OrderItemOut]
    customer: dict[str, Any]
    shipping: dict[str, Any] | None
    additional_information: dict[str, Any] | None
    redirect_urls: dict[str, str]
    checkout_url: str | None
    provider: ProviderRef
    routing: Routing | None
    attempts: list[AttemptOut]
    failure_code: str | None
    expires_at: str
    created_at: str
    updated_at: str


class SessionList(OutModel):
    data: list[SessionOut]
    has_more: bool
    next_cursor: str | None


class TokenRequest(ApiModel):
    client_id: Text(1, 200)  # type: ignore[valid-type]
    client_secret: Text(1, 500)  # type: ignore[valid-type]


class TokenResponse(OutModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorResponse(BaseModel):
    error: ErrorBody


class ProviderHealth(OutModel):
    enabled: bool
    circuit: Literal["closed", "half_open", "open"]


class Health(OutModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    version: str
    uptime: float
    config_version: str
    # "invalid" while the config file on disk was refused and the last good one runs.
    config_status: Literal["ok", "invalid"]
    config_errors: list[str]
    providers: dict[str, ProviderHealth]
