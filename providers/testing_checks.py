"""The adapter kit's assertions: each failure says what the adapter did and what the
contract (providers/base.py, providers/errors.py) wants instead.

Failures are raised with ``pytest.fail`` (never a bare ``assert``): the kit lives outside
test modules, where pytest does not rewrite asserts into readable messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from decimal import Decimal
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

import pytest

from providers.base import Capabilities, ProviderAdapter, WebhookNotification
from providers.errors import ProviderError, WebhookVerificationError
from router.money import is_currency

T = TypeVar("T")
KNOWN_METHODS = frozenset({"card", "crypto"})


def fail(message: str) -> NoReturn:
    """Fail the current test with ``message`` (``pytest.fail.Exception``)."""
    pytest.fail(message, pytrace=True)


async def guarded(what: str, call: Awaitable[T], guard_seconds: float) -> T:
    """Await ``call``, failing the test when it has not returned after ``guard_seconds``.

    The guard only stops a hung adapter from hanging the suite; a TimeoutError the adapter
    raises itself is passed on (and reported as a leak by the callers).
    """
    scope = asyncio.timeout(guard_seconds)
    try:
        async with scope:
            return await call
    except TimeoutError:
        if scope.expired():
            fail(
                f"{what} was still running after {guard_seconds} s: bound every provider call "
                "by the instance's settings.timeout_seconds and raise ProviderTimeoutError"
            )
        raise


def check_no_secret(text: str, secrets: Iterable[str], where: str) -> None:
    """Fail when any credential value appears in ``text``."""
    for secret in secrets:
        if secret and secret in text:
            fail(
                f"{where} contains one of the instance's credentials: secrets never go into "
                "error messages, URLs or anything else the router may log or show"
            )


def check_provider_error(exc: ProviderError, what: str, secrets: Iterable[str]) -> None:
    """A ProviderError's fields are what the router relies on: a short code, no secret."""
    if not isinstance(exc.code, str) or not exc.code:
        fail(f"{what} raised {type(exc).__name__} without a code (a short snake_case reason)")
    check_no_secret(f"{exc.code} {exc.message} {exc}", secrets, f"the error {what} raised")


async def expect_provider_error(
    what: str, call: Awaitable[object], guard_seconds: float, secrets: Iterable[str]
) -> ProviderError:
    """The ProviderError ``call`` raises; fails when it returns or raises anything else."""
    try:
        result = await guarded(what, call, guard_seconds)
    except ProviderError as exc:
        check_provider_error(exc, what, secrets)
        return exc
    except Exception as exc:
        leaked(what, exc)
    fail(f"{what} returned {result!r} where it should have raised a ProviderError")


async def result_or_provider_error(
    what: str, call: Awaitable[T], guard_seconds: float, secrets: Iterable[str]
) -> T | ProviderError:
    """What ``call`` returns or the ProviderError it raises; fails on any other exception."""
    try:
        return await guarded(what, call, guard_seconds)
    except ProviderError as exc:
        check_provider_error(exc, what, secrets)
        return exc
    except Exception as exc:
        leaked(what, exc)


def leaked(what: str, exc: Exception) -> NoReturn:
    """Fail for an exception that is not a ProviderError escaping an adapter call."""
    fail(
        f"{what} let {type(exc).__module__}.{type(exc).__name__} escape ({exc!s:.200}): an "
        "adapter raises only providers.errors.ProviderError subclasses; wrap every library, "
        "network and parsing failure (raise RetryableProviderError(...) from exc)"
    )


def expect_retryable(exc: ProviderError, what: str, kind: type[ProviderError]) -> None:
    """Fail unless ``exc`` is a ``kind`` and retryable."""
    if not isinstance(exc, kind) or not exc.retryable:
        fail(
            f"{what} raised {type(exc).__name__}(code={exc.code!r}, retryable="
            f"{exc.retryable}); expected a retryable {kind.__name__}, so the router fails over"
        )


def expect_not_retryable(exc: ProviderError, what: str) -> None:
    if exc.retryable:
        fail(
            f"{what} raised a retryable {type(exc).__name__} (code={exc.code!r}); retrying "
            "cannot change this answer: raise NonRetryableProviderError"
        )


def expect_rejected(
    adapter: ProviderAdapter,
    headers: Mapping[str, str],
    body: bytes,
    what: str,
    secrets: Iterable[str],
) -> None:
    """Fail unless ``verify_webhook`` raises WebhookVerificationError for this request."""
    try:
        note = adapter.verify_webhook(headers, body)
    except WebhookVerificationError as exc:
        check_no_secret(str(exc), secrets, f"the WebhookVerificationError for {what}")
        return
    except Exception as exc:
        fail(
            f"verify_webhook let {type(exc).__name__} escape for {what} ({exc!s:.200}); it "
            "must raise only providers.errors.WebhookVerificationError"
        )
    fail(f"verify_webhook accepted {what}: {note!r}")


def verify_or_fail(
    adapter: ProviderAdapter, headers: Mapping[str, str], body: bytes, what: str
) -> WebhookNotification:
    """The notification a genuine request verifies to; fails when it does not verify."""
    try:
        note = adapter.verify_webhook(headers, body)
    except Exception as exc:
        fail(
            f"verify_webhook rejected {what} that the adapter's own sandbox sent: "
            f"{type(exc).__name__}: {exc!s:.300}"
        )
    if not isinstance(note, WebhookNotification):
        fail(f"verify_webhook returned {type(note).__name__}, not a WebhookNotification")
    if not isinstance(note.event_id, str) or not note.event_id:
        fail(f"the notification from {what} has no event_id: the router deduplicates by it")
    return note


def check_capabilities(capabilities: Capabilities, where: str) -> None:
    """Fail unless ``capabilities`` is a well-formed declaration."""
    if not isinstance(capabilities, Capabilities):
        fail(f"{where} is a {type(capabilities).__name__}, not providers.base.Capabilities")
    if not capabilities.currencies:
        fail(f"{where} declares no currency")
    bad = sorted(c for c in capabilities.currencies if not (isinstance(c, str) and is_currency(c)))
    if bad:
        fail(f"{where} declares {bad}: not ISO 4217 codes in upper case (router/money.py)")
    if not capabilities.methods:
        fail(f"{where} declares no payment method")
    unknown = sorted(str(m) for m in capabilities.methods if m not in KNOWN_METHODS)
    if unknown:
        fail(f"{where} declares methods {unknown}; the router knows {sorted(KNOWN_METHODS)}")
    for label, bounds in (
        ("min_amount", capabilities.min_amount),
        ("max_amount", capabilities.max_amount),
    ):
        for currency, amount in bounds.items():
            if currency not in capabilities.currencies:
                fail(f"{where}.{label} bounds {currency!r}, which it does not declare")
            if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                fail(f"{where}.{label}[{currency}] is {amount!r}: a finite Decimal >= 0")
    for currency, step in capabilities.amount_step.items():
        if currency not in capabilities.currencies:
            fail(f"{where}.amount_step covers {currency!r}, which it does not declare")
        if not isinstance(step, Decimal) or not step.is_finite() or step <= 0:
            fail(f"{where}.amount_step[{currency}] is {step!r}: a finite Decimal > 0")
    for currency, low in capabilities.min_amount.items():
        high = capabilities.max_amount.get(currency)
        if high is not None and low > high:
            fail(f"{where}: min_amount {low} exceeds max_amount {high} for {currency}")


def check_absolute_url(url: object, what: str) -> str:
    """The URL when it is an absolute http(s) URL; fails otherwise."""
    if not isinstance(url, str):
        fail(f"{what} is {url!r}, not a string")
    try:
        parts = urlsplit(url)
    except ValueError:
        fail(f"{what} {url!r} is not a URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(f"{what} {url!r} is not an absolute http(s) URL the payer's browser can open")
    return url
