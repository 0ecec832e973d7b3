"""Calls to Stripe's Checkout Sessions API through the official SDK, on the router's httpx.

Each call is bounded by the instance's timeout and passes the error boundary, so callers
get a plain dict or a :class:`providers.errors.ProviderError`, nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import stripe

from providers.stripe.errors import ErrorBoundary
from providers.stripe.transformers import as_mapping


class SharedHTTPXClient(stripe.HTTPXClient):
    """The SDK's httpx client, running on the router's shared ``httpx.AsyncClient``.

    ``stripe.HTTPXClient`` builds a private ``httpx.AsyncClient`` in its constructor, stores
    it as ``_client_async`` and sends every async request through that attribute
    (``request_async``, ``request_stream_async``); it offers no parameter to pass one in.
    So the constructor replaces the attribute with the router's client: one connection pool
    and one set of limits for the whole service, and the transport the router was given
    (``httpx.MockTransport`` or ``ASGITransport`` in tests, the mounted sandbox) is the one
    Stripe calls go through. TLS verification is then the shared client's (httpx's default,
    certifi), not the SDK's bundle. The private client the parent built is never used and
    holds no connection.
    """

    def __init__(self, http: httpx.AsyncClient, *, timeout: float) -> None:
        super().__init__(timeout=timeout, allow_sync_methods=False)
        self._client_async = http

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> list[Any]:
        # The parent passes the form-encoded body as ``data=<str>``, which httpx 0.28
        # deprecates; the DeprecationWarning is raised inside the SDK's ``except Exception``
        # when warnings are errors and comes out as an APIConnectionError. ``content=`` is
        # the same bytes on the wire without the warning.
        kwargs: dict[str, Any] = {"headers": headers}
        if post_data:
            kwargs["content"] = post_data
        if self._timeout:
            kwargs["timeout"] = self._timeout
        return [(method, url), kwargs]

    def close(self) -> None:
        """Nothing to close: there is no sync client."""

    async def close_async(self) -> None:
        """Leave the shared client open: the router owns it and closes it at shutdown."""


class StripeTransport:
    """The three Checkout Session calls the adapter makes, as plain dicts.

    ``api_base`` may carry a path (``http://127.0.0.1:8000/sandbox/stripe``): the SDK
    appends the request path to it as a string (``<api_base>/v1/checkout/sessions``).
    Retries are the router's (failover), so the SDK makes none.
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str | None,
        http: httpx.AsyncClient,
        timeout_seconds: float,
    ) -> None:
        self._timeout = timeout_seconds
        self._secrets = (api_key,)
        base_addresses: dict[str, str | None] = {"api": api_base.rstrip("/")} if api_base else {}
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,  # type: ignore[arg-type]
            http_client=SharedHTTPXClient(http, timeout=timeout_seconds),
            max_network_retries=0,
        )

    async def create_session(
        self, params: Mapping[str, Any], idempotency_key: str
    ) -> Mapping[str, Any]:
        """Create a Checkout Session; the same key returns the same session (Stripe replays)."""
        sessions = self._client.v1.checkout.sessions
        return await self._call(
            "create_checkout",
            lambda: sessions.create_async(
                params=dict(params),  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
        )

    async def retrieve_session(self, session_id: str) -> Mapping[str, Any]:
        """Read a Checkout Session with its payment intent expanded."""
        sessions = self._client.v1.checkout.sessions
        return await self._call(
            "get_status",
            lambda: sessions.retrieve_async(session_id, params={"expand": ["payment_intent"]}),
        )

    async def expire_session(self, session_id: str) -> Mapping[str, Any]:
        """Expire an open Checkout Session."""
        sessions = self._client.v1.checkout.sessions
        return await self._call("expire", lambda: sessions.expire_async(session_id))

    async def _call(
        self, operation: str, call: Callable[[], Awaitable[object]]
    ) -> Mapping[str, Any]:
        # The timeout sits inside the boundary: asyncio.timeout raises TimeoutError on
        # exit, which the boundary turns into ProviderTimeoutError.
        with ErrorBoundary(operation, self._secrets):
            async with asyncio.timeout(self._timeout):
                result = await call()
            return as_mapping(result)
