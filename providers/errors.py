"""The one error tree adapters raise: every provider or transport failure maps into it.

The router decides failover from ``retryable`` alone, so an adapter must never let a
library exception (stripe, httpx, json) escape: wrap it with ``raise ... from exc``.
"""

from __future__ import annotations


class ProviderError(Exception):
    """A provider call failed.

    ``code`` is a short snake_case reason safe to show a merchant (never a secret),
    ``http_status`` the provider's status when there was one.
    """

    retryable: bool = False

    def __init__(self, code: str, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


class RetryableProviderError(ProviderError):
    """Trying again (here or at another provider) may succeed: 5xx, 429, network, timeout."""

    retryable = True


class ProviderTimeoutError(RetryableProviderError):
    """The provider did not answer within the instance's timeout."""


class ProviderUnavailableError(RetryableProviderError):
    """The provider could not be reached (connection refused, DNS, TLS)."""


class NonRetryableProviderError(ProviderError):
    """The provider rejected the request itself (400, 401, 402, 403, 404): retrying is futile."""


class WebhookVerificationError(Exception):
    """A provider notification failed verification (bad signature, stale, malformed)."""


class AdapterConfigError(Exception):
    """An adapter is missing, broken or misconfigured; the message names the instance."""
