"""The webhook signature scheme, on a fixed vector computed with
`openssl dgst -sha256 -hmac` (the kit checks the rest)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from payrouter_example_adapter.signing import signed_headers, verify

from providers.errors import WebhookVerificationError

SECRET = "ep_whsec_sandbox_secret"
BODY = b'{"id":"evt_1","type":"checkout.paid"}'
AT = 1780000000
NOW = datetime.fromtimestamp(AT + 10, UTC)


def test_headers_carry_the_documented_hmac() -> None:
    headers = signed_headers(SECRET, AT, BODY)
    assert headers == {
        "X-ExamplePay-Timestamp": "1780000000",
        "X-ExamplePay-Signature": (
            "sha256=bc38aec964a7ce2f20351cca6388777b17233e1011560c63e89d257b4a7b4139"
        ),
    }


def test_a_signature_from_the_future_beyond_tolerance_is_refused() -> None:
    headers = signed_headers(SECRET, AT + 301, BODY)
    with pytest.raises(WebhookVerificationError, match="away from now"):
        verify(headers, BODY, SECRET, datetime.fromtimestamp(AT, UTC))
    verify(signed_headers(SECRET, AT, BODY), BODY, SECRET, NOW)
