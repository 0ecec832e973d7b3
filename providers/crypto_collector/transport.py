"""Signed HTTP calls to the collector's API, and the one error boundary around them.

Every call is bounded by the instance's timeout, and every failure below this line
(httpx, asyncio, JSON, HTTP status) leaves it as a :mod:`providers.errors` exception, so
the router decides failover from ``retryable`` alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from providers.base import Clock
from providers.crypto_collector.signing import signed_headers
from providers.crypto_collector.transformers import ShapeError, decode_json
from providers.errors import (
    NonRetryableProviderError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RetryableProviderError,
)

logger = logging.getLogger(__name__)

_MESSAGE_MAX = 300  # how much of the collector's own error message is passed on


@dataclass(frozen=True)
class CollectorTransport:
    """Where and how to reach one collector account.

    ``api_base`` has no trailing slash; ``timeout`` is in seconds. The secret is only
    ever used to sign: it is never logged and never part of an error.
    """

    instance_name: str
    api_base: str
    api_key: str
    api_secret: str = field(repr=False)
    timeout: float
    http: httpx.AsyncClient
    clock: Clock

    async def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send a signed request to ``api_base + path`` and return the parsed 2xx JSON.

        ``path`` is relative to the API base and is what gets signed. Raises
        :class:`ProviderTimeoutError`, :class:`ProviderUnavailableError`,
        :class:`RetryableProviderError` or :class:`NonRetryableProviderError`; nothing else.
        """
        headers = {
            "Accept": "application/json",
            **signed_headers(self.api_key, self.api_secret, method, path, body, now=self.clock()),
            **(extra_headers or {}),
        }
        if body:
            headers["Content-Type"] = "application/json"
        response = await self._send(method, self.api_base + path, body, headers)
        if not 200 <= response.status_code < 300:
            raise self._status_error(response)
        try:
            return decode_json(response.content)
        except ShapeError as exc:
            raise bad_response(self.instance_name, str(exc)) from exc

    async def _send(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> httpx.Response:
        name = self.instance_name
        try:
            async with asyncio.timeout(self.timeout):
                return await self.http.request(method, url, content=body or None, headers=headers)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ProviderTimeoutError(
                "collector_timeout",
                f"the crypto collector ({name}) did not answer within {self.timeout:g} s",
            ) from exc
        except (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol) as exc:
            raise ProviderUnavailableError(
                "collector_unreachable", f"the crypto collector ({name}) could not be reached"
            ) from exc
        except httpx.InvalidURL as exc:
            raise NonRetryableProviderError(
                "collector_bad_api_base", f"the API base URL of instance {name} is not usable"
            ) from exc
        except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
            raise RetryableProviderError(
                "collector_network_error",
                f"the connection to the crypto collector ({name}) failed: {type(exc).__name__}",
            ) from exc
        except Exception as exc:
            # A transport may raise anything; the router must still see a ProviderError.
            logger.exception("unexpected error calling the crypto collector (%s)", name)
            raise RetryableProviderError(
                "collector_transport_error",
                f"calling the crypto collector ({name}) failed: {type(exc).__name__}",
            ) from exc

    def _status_error(self, response: httpx.Response) -> ProviderError:
        """The error for a non-2xx answer, by status and the collector's error body."""
        status = response.status_code
        code, message = _error_body(response)
        name = self.instance_name
        if status == 401:
            return NonRetryableProviderError(
                "collector_unauthorized",
                f"the crypto collector rejected the API key/secret of instance {name}: they are "
                "wrong or belong to another account; check the instance's credentials",
                http_status=status,
            )
        if status == 403:
            return NonRetryableProviderError(
                "collector_forbidden",
                f"the crypto collector does not let instance {name}'s API key make this call",
                http_status=status,
            )
        if status == 404:
            return NonRetryableProviderError(
                "collector_not_found",
                message or "the collector knows no such payment",
                http_status=404,
            )
        if status == 409:
            if "IDEMPOTENCY_KEY_IN_USE" in code:
                # The same idempotent request is still running there: asking again will do.
                return RetryableProviderError(
                    "collector_request_in_progress",
                    message or "request in progress",
                    http_status=409,
                )
            return NonRetryableProviderError(
                "collector_conflict",
                message or "the collector already has an order with this id",
                http_status=409,
            )
        if status == 429:
            return RetryableProviderError(
                "collector_rate_limited", "the crypto collector is rate limiting", http_status=429
            )
        if status >= 500 or status == 408:
            return RetryableProviderError(
                "collector_server_error",
                f"the crypto collector answered {status}" + (f": {message}" if message else ""),
                http_status=status,
            )
        if 400 <= status < 500:
            return NonRetryableProviderError(
                "collector_rejected",
                message or f"the crypto collector rejected the request ({status})",
                http_status=status,
            )
        return bad_response(name, f"unexpected HTTP status {status}", status)


def bad_response(instance_name: str, detail: str, status: int | None = None) -> ProviderError:
    """The error for a 2xx (or odd) answer that is not what the API documents."""
    return RetryableProviderError(
        "collector_bad_response",
        f"the crypto collector ({instance_name}) sent an unusable response: {detail}",
        http_status=status,
    )


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """The collector's ``{"error": {"code", "message"}}``, as far as it is there."""
    try:
        payload = decode_json(response.content)
    except ShapeError:
        return "", ""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code = error.get("code")
    message = error.get("message")
    return (
        code.upper() if isinstance(code, str) else "",
        message[:_MESSAGE_MAX] if isinstance(message, str) else "",
    )
