"""The one error boundary of the Stripe adapter: any exception in, a ProviderError out.

The router decides failover from ``retryable`` alone, so nothing from stripe, httpx, json or
a bug of ours may escape as itself. Messages carry Stripe's message, its code and request id
(what support needs), cut to a bounded length and scrubbed of secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import TracebackType
from typing import Final

import httpx
import stripe

from providers.errors import (
    NonRetryableProviderError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RetryableProviderError,
)

MAX_MESSAGE_LENGTH: Final = 500
# Anything shaped like a Stripe secret, in case Stripe (or a proxy) echoes one back.
_SECRET_PATTERN: Final = re.compile(r"\b(sk|rk|whsec)_[A-Za-z0-9_]+")

# Stripe refusals that no retry can fix, most specific first: (class, code).
_NON_RETRYABLE: Final[tuple[tuple[type[stripe.StripeError], str], ...]] = (
    (stripe.AuthenticationError, "stripe_authentication_failed"),
    (stripe.PermissionError, "stripe_permission_denied"),
    (stripe.IdempotencyError, "stripe_idempotency_error"),
    (stripe.CardError, "stripe_card_declined"),
    (stripe.InvalidRequestError, "stripe_invalid_request"),
)


def map_exception(exc: Exception, *, operation: str, secrets: Iterable[str] = ()) -> ProviderError:
    """The :class:`ProviderError` for any exception raised while calling Stripe.

    Connection failures are :class:`ProviderUnavailableError` (:class:`ProviderTimeoutError`
    when the cause was a timeout); 429, 409 and 5xx are retryable; Stripe's refusals of the
    request itself (401, 402, 403, 400/404, idempotency errors) are not; anything else,
    an unreadable answer included, is retryable, since another provider may still succeed.
    """
    clean = _Scrubber(secrets)
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return ProviderTimeoutError("stripe_timeout", f"Stripe {operation}: no answer in time")
    if isinstance(exc, stripe.APIConnectionError):
        cause = exc.__cause__
        if isinstance(cause, httpx.TimeoutException):
            return ProviderTimeoutError("stripe_timeout", f"Stripe {operation}: no answer in time")
        reason = f"{type(cause).__name__}: {cause}" if cause is not None else exc.user_message
        return ProviderUnavailableError(
            "stripe_unreachable", clean(f"Stripe {operation}: could not reach Stripe ({reason})")
        )
    if isinstance(exc, httpx.TransportError):
        return ProviderUnavailableError(
            "stripe_unreachable", clean(f"Stripe {operation}: could not reach Stripe ({exc})")
        )
    if isinstance(exc, stripe.StripeError):
        return _map_stripe_error(exc, operation, clean)
    return RetryableProviderError(
        "stripe_unexpected_error",
        clean(f"Stripe {operation} failed unexpectedly: {type(exc).__name__}: {exc}"),
    )


def _map_stripe_error(exc: stripe.StripeError, operation: str, clean: _Scrubber) -> ProviderError:
    status = exc.http_status
    message = clean(_describe(exc, operation))
    for error_class, code in _NON_RETRYABLE:
        if isinstance(exc, error_class):
            if code == "stripe_invalid_request" and status == 404:
                code = "stripe_not_found"
            return NonRetryableProviderError(code, message, http_status=status)
    if isinstance(exc, stripe.RateLimitError):
        return RetryableProviderError("stripe_rate_limited", message, http_status=status)
    if isinstance(exc, stripe.APIError) and status == 409:
        # idempotency_key_in_use: the first request with this key is still running.
        return RetryableProviderError("stripe_conflict", message, http_status=status)
    if isinstance(exc, stripe.APIError) and status is not None and status >= 500:
        return RetryableProviderError("stripe_api_error", message, http_status=status)
    # Includes APIError for an unparsable body (whatever the status) and error types newer
    # than this adapter.
    return RetryableProviderError("stripe_invalid_response", message, http_status=status)


def _describe(exc: stripe.StripeError, operation: str) -> str:
    text = (exc.user_message or type(exc).__name__).strip()
    details = [f"HTTP {exc.http_status}"] if exc.http_status is not None else []
    if exc.code:
        details.append(f"code {exc.code}")
    if exc.request_id:
        details.append(f"request {exc.request_id}")
    suffix = f" ({', '.join(details)})" if details else ""
    return f"Stripe {operation}: {text}{suffix}"


class _Scrubber:
    """Removes the instance's secrets and secret-shaped tokens from a message, bounds it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is removed whole.
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _SECRET_PATTERN.sub(lambda m: f"{m.group(1)}_[redacted]", text)
        text = " ".join(text.split())
        if len(text) > MAX_MESSAGE_LENGTH:
            text = text[: MAX_MESSAGE_LENGTH - 3] + "..."
        return text


class ErrorBoundary:
    """``with ErrorBoundary("create_checkout", secrets):`` lets only ProviderErrors out.

    Every other ``Exception`` is replaced by :func:`map_exception`'s error, chained with
    ``from``. BaseExceptions (task cancellation, KeyboardInterrupt) pass untouched.
    """

    def __init__(self, operation: str, secrets: Iterable[str] = ()) -> None:
        self._operation = operation
        self._secrets = tuple(secrets)

    def __enter__(self) -> ErrorBoundary:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not isinstance(exc, Exception) or isinstance(exc, ProviderError):
            return
        raise map_exception(exc, operation=self._operation, secrets=self._secrets) from exc
