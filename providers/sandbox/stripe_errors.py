"""Stripe's error answers: ``{"error": {"type", "code", "param", "message", "doc_url"}}``.

``code`` is present only where Stripe sends one (``parameter_missing``, ``email_invalid``,
``resource_missing``...); for other invalid values Stripe answers with a message and a
``param`` alone, and so does the sandbox.
"""

from __future__ import annotations

import re
from typing import Any

_DOC_BASE = "https://stripe.com/docs/error-codes/"
_KEY_PREFIX = re.compile(r"^[a-z]{2,4}_(?:test|live)_")
_PREVIEW_CHARS = 60


class StripeApiError(Exception):
    """An error answer of the Stripe API, raised by a handler and rendered by the wrapper.

    An error raised while executing a request is stored for idempotent replay, as Stripe
    stores any answer of a request that started executing.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe would answer with."""
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = _DOC_BASE + self.code.replace("_", "-")
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


class ParamError(StripeApiError):
    """A 400 for parameters that failed validation.

    Stripe saves no idempotent result for a request that never started executing, so
    the same key may be used again with corrected parameters.
    """

    def __init__(self, param: str, message: str, code: str | None = None) -> None:
        super().__init__(400, message, code=code, param=param)


def preview(value: str) -> str:
    """A value cut short for an error message, so a huge input is not echoed whole."""
    return value if len(value) <= _PREVIEW_CHARS else value[:_PREVIEW_CHARS] + "..."


def missing(param: str) -> ParamError:
    return ParamError(param, f"Missing required param: {param}.", "parameter_missing")


def empty(param: str) -> ParamError:
    return ParamError(
        param,
        f"You passed an empty string for '{param}'. We assume empty values are an attempt "
        f"to unset a parameter; however '{param}' cannot be unset. You should remove "
        f"'{param}' from your request or supply a non-empty value.",
        "parameter_invalid_empty",
    )


def unknown(param: str) -> ParamError:
    return ParamError(param, f"Received unknown parameter: {param}", "parameter_unknown")


def invalid_integer(param: str, value: str) -> ParamError:
    return ParamError(param, f"Invalid integer: {preview(value)}", "parameter_invalid_integer")


def too_small(param: str, minimum: int) -> ParamError:
    return ParamError(
        param,
        f"This value must be greater than or equal to {minimum}.",
        "parameter_invalid_integer",
    )


def resource_missing(kind: str, object_id: str, param: str, status: int = 404) -> StripeApiError:
    """An id that names nothing: 404 in a URL, 400 inside params (a Price id)."""
    return StripeApiError(
        status, f"No such {kind}: '{preview(object_id)}'", code="resource_missing", param=param
    )


def mask_api_key(key: str) -> str:
    """The key as Stripe shows it in errors: its prefix and last four characters only.

    Short keys lose their tail too, so an error never reveals most of a key.
    """
    prefix_match = _KEY_PREFIX.match(key)
    prefix = prefix_match.group(0) if prefix_match else ""
    rest = key[len(prefix) :]
    tail = rest[-4:] if len(rest) >= 12 else ""
    return f"{prefix}****{tail}"
