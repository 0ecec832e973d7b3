"""The full check of a session request body, shared by the API and the CLI."""

from __future__ import annotations

from typing import Any

from router.api.common import validate
from router.errors import ApiError, validation_error
from router.schemas import SessionCreateRequest, expected_total, money_problems


def validate_session_request(payload: Any) -> SessionCreateRequest:
    """A valid request, or :class:`ApiError` 422 (``validation_error``, ``amount_mismatch``)."""
    request = validate(SessionCreateRequest, payload)
    problems = money_problems(request)
    if problems:
        raise validation_error(problems)
    expected = expected_total(request)
    if expected != request.amount.total:
        raise ApiError(
            422,
            "amount_mismatch",
            "amount.total must equal the sum of quantity x unitPrice plus shipping and tax.",
            [
                {
                    "field": "amount.total",
                    "message": f"expected {expected}, got {request.amount.total}",
                }
            ],
        )
    return request
