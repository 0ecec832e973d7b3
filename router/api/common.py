"""What every JSON endpoint shares: reading a bounded body, parsing it exactly, auth."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from router.context import Services
from router.errors import ApiError, unauthorized, validation_error

M = TypeVar("M", bound=BaseModel)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refusing more than ``max_bytes`` (413) before reading it all."""
    declared = request.headers.get("content-length")
    too_large = ApiError(
        413, "payload_too_large", f"The request body exceeds the limit of {max_bytes} bytes."
    )
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_json(raw: bytes) -> Any:
    """Parse JSON keeping every digit of decimals (``Decimal``, never float).

    Raises :class:`ApiError` 400 ``invalid_json`` for anything that is not strict JSON:
    bad syntax or encoding, NaN/Infinity, duplicate keys, absurd nesting.
    """
    try:
        return json.loads(
            raw.decode("utf-8"),
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {reason[:200]}") from exc


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request) -> Any:
    """The request's JSON body; 413 when too big.

    A body with no Content-Type is read as JSON (400 when it is not); one that declares
    another media type (a form, XML) is refused with 415 rather than guessed at.
    """
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json_type(content_type):
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    limit = services_of(request).settings.server.max_body_bytes
    return parse_json(await read_body(request, limit))


def field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(body)"


def validate(model: type[M], payload: Any) -> M:
    """Validate ``payload`` against ``model``; 422 listing each invalid field's path."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        details = []
        for error in exc.errors(include_url=False, include_input=False):
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            elif error["type"] == "model_type":
                message = "must be a JSON object"
            details.append({"field": field_path(error["loc"]), "message": message})
        raise validation_error(details) from exc


def authenticate(request: Request) -> str:
    """The application id of the request's bearer token; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    services = services_of(request)
    assert services.tokens is not None
    application_id = services.tokens.verify(token.strip(), services.now())
    if application_id is None:
        raise unauthorized("The bearer token is invalid or expired.")
    return application_id
