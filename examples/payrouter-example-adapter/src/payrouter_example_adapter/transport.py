"""Transport: authenticated JSON calls to ExamplePay, and the one error boundary.

Everything below this module's functions (httpx, asyncio, json, HTTP statuses) comes out
as a :mod:`providers.errors` exception: the router decides failover from ``retryable``
alone, so nothing else may escape. The API key is sent, never logged nor put in a message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx

from payrouter_example_adapter.wire import WireError
from providers.errors import (
    NonRetryableProviderError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RetryableProviderError,
)

_MESSAGE_MAX: Final = 200  # how much of ExamplePay's own error message is passed on


class ExamplePayTransport:
    """Where and how to reach one ExamplePay account.

    ``api_base`` has no trailing slash; every call is bounded by ``timeout_seconds``.
    """

    def __init__(
        self, *, api_base: str, api_key: str, http: httpx.AsyncClient, timeout_seconds: float
    ) -> None:
        self._api_base = api_base
        self._api_key = api_key
        self._http = http
        self._timeout = timeout_seconds

    def __repr__(self) -> str:  # no secret in any repr that ends up in a log
        return f"ExamplePayTransport({self._api_base!r})"

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one request to ``api_base + path`` and return its parsed 2xx JSON.

        Raises :class:`ProviderTimeoutError` after ``timeout_seconds``,
        :class:`ProviderUnavailableError` when ExamplePay cannot be reached,
        :class:`NonRetryableProviderError` for 400/401/403/404/409/422 and a retryable
        :class:`RetryableProviderError` for 429, 5xx and answers that cannot be read.
        """
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        with provider_errors(f"{method} {path}", secrets=(self._api_key,)):
            # The timeout sits inside the boundary: asyncio.timeout raises TimeoutError on
            # exit, which the boundary turns into ProviderTimeoutError.
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(
                    method, self._api_base + path, json=body, headers=headers
                )
            if not 200 <= response.status_code < 300:
                raise status_error(response, secrets=(self._api_key,))
            return json.loads(response.content)


def status_error(response: httpx.Response, *, secrets: tuple[str, ...] = ()) -> ProviderError:
    """The error for a non-2xx answer, by status and ExamplePay's ``{"error": {...}}``."""
    status = response.status_code
    message = _scrub(_error_message(response), secrets) or f"ExamplePay answered HTTP {status}"
    if status in (401, 403):
        return NonRetryableProviderError(
            "examplepay_unauthorized",
            "ExamplePay refused the instance's API key; check its credentials",
            http_status=status,
        )
    if status == 404:
        return NonRetryableProviderError("examplepay_not_found", message, http_status=status)
    if status == 409:
        return NonRetryableProviderError(
            "examplepay_checkout_not_open", message, http_status=status
        )
    if status in (400, 422):
        return NonRetryableProviderError("examplepay_invalid_request", message, http_status=status)
    if status == 429 or status >= 500:
        return RetryableProviderError("examplepay_unavailable", message, http_status=status)
    # 1xx/3xx and the odd 4xx: not what the API documents; another try may fare better.
    return RetryableProviderError("examplepay_unexpected_status", message, http_status=status)


@contextmanager
def provider_errors(operation: str, *, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """``with provider_errors("create_checkout"):`` lets only ProviderErrors out.

    Every other ``Exception`` becomes the matching ProviderError, chained with ``from``.
    BaseExceptions (task cancellation) pass untouched.
    """
    try:
        yield
    except ProviderError:
        raise
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise ProviderTimeoutError(
            "examplepay_timeout", f"ExamplePay {operation}: no answer in time"
        ) from exc
    except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError) as exc:
        raise ProviderUnavailableError(
            "examplepay_unreachable", f"ExamplePay {operation}: could not connect"
        ) from exc
    except httpx.HTTPError as exc:
        raise RetryableProviderError(
            "examplepay_network_error", f"ExamplePay {operation}: {type(exc).__name__}"
        ) from exc
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError, UnicodeDecodeError and WireError are ValueErrors; absurdly deep
        # JSON is a RecursionError.
        detail = str(exc) if isinstance(exc, WireError) else "the answer is not JSON"
        raise RetryableProviderError(
            "examplepay_bad_response", _scrub(f"ExamplePay {operation}: {detail}", secrets)
        ) from exc
    except Exception as exc:
        raise RetryableProviderError(
            "examplepay_unexpected_error",
            f"ExamplePay {operation} failed unexpectedly: {type(exc).__name__}",
        ) from exc


def _error_message(response: httpx.Response) -> str:
    try:
        error = json.loads(response.content).get("error")
        message = error.get("message")
    except Exception:  # any shape at all: the status alone decides then
        return ""
    return " ".join(message.split())[:_MESSAGE_MAX] if isinstance(message, str) else ""


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
