"""One error tree for the HTTP API and the handlers that render the contract's envelope.

Every error response is ``{"error": {"code", "message", "details"}}``; nothing else (no
stack trace, no library message that might carry a secret) ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("payrouter.errors")


class ApiError(Exception):
    """An error the API answers with; ``code`` is the contract's snake_case code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details or [])
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def unauthorized(message: str = "A valid bearer token is required.") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def not_found(message: str = "No such resource.") -> ApiError:
    return ApiError(404, "not_found", message)


def validation_error(details: Sequence[Mapping[str, Any]]) -> ApiError:
    return ApiError(422, "validation_error", "The request has invalid fields.", details)


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


async def handle_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


_HTTP_CODES = {
    404: ("not_found", "No such route."),
    405: ("method_not_allowed", "This method is not allowed on this route."),
}


async def handle_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    headers = dict(exc.headers or {})
    return error_response(ApiError(exc.status_code, code, message, headers=headers))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ApiError(500, "internal_error", "Something went wrong on our side."))
