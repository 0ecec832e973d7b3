"""The crypto collector's request signature: the published vector and the verifier."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from providers.crypto_collector.signing import (
    SignatureError,
    compute_signature,
    signed_headers,
    unix_millis,
    verify_signature,
)

VECTOR_SECRET = "sk_live_test_secret_key_12345"
VECTOR_BODY = b'{"amount":"100.00","currency":"LKR"}'
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
PATH = "/v1/sdk/checkout/sessions"


def test_the_published_test_vector() -> None:
    signature = compute_signature(VECTOR_SECRET, "1710410400000", "POST", PATH, VECTOR_BODY)
    assert signature == "da3b8bf289bc2db9f71fe1fbe785cb89bcfc5492448b01ad43d3c95dc8bd7a90"


def test_the_key_is_the_sha256_of_the_secret_and_the_method_is_upper_case() -> None:
    message = b"1710410400000POST" + PATH.encode() + VECTOR_BODY
    raw_key = hmac.new(VECTOR_SECRET.encode(), message, hashlib.sha256).hexdigest()
    # PROVIDERS.md: signing with the raw secret (as the prose docs suggest) gives this.
    assert raw_key == "47b57e7fb13ea4c8e0e8796142d853299827bcd90d554962a58d94d3475ef692"
    hashed_key = hashlib.sha256(VECTOR_SECRET.encode()).digest()
    expected = hmac.new(hashed_key, message, hashlib.sha256).hexdigest()
    assert compute_signature(VECTOR_SECRET, "1710410400000", "post", PATH, VECTOR_BODY) == expected


def test_unix_millis_is_exact_and_takes_naive_as_utc() -> None:
    assert unix_millis(datetime(2024, 3, 14, 10, 0, tzinfo=UTC)) == 1710410400000
    assert unix_millis(datetime(2024, 3, 14, 10, 0, 0, 1000)) == 1710410400001


def _verify(headers: dict[str, str], **overrides: object) -> None:
    arguments: dict[str, object] = {
        "api_key": "ak_1",
        "secret": "sk_1",
        "method": "POST",
        "path": PATH,
        "body": b"{}",
        "now": NOW,
    }
    arguments.update(overrides)
    verify_signature(headers, **arguments)  # type: ignore[arg-type]


def test_round_trip_with_any_header_case() -> None:
    headers = signed_headers("ak_1", "sk_1", "POST", PATH, b"{}", now=NOW)
    assert headers["X-Timestamp"] == str(unix_millis(NOW))
    _verify(headers)
    _verify({name.lower(): value for name, value in headers.items()})


@pytest.mark.parametrize("skew", [timedelta(minutes=5), timedelta(minutes=-5)])
def test_accepts_five_minutes_either_way(skew: timedelta) -> None:
    _verify(signed_headers("ak_1", "sk_1", "POST", PATH, b"{}", now=NOW + skew))


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=5, milliseconds=1), timedelta(minutes=-5, milliseconds=-1)]
)
def test_refuses_a_stale_or_future_timestamp(skew: timedelta) -> None:
    headers = signed_headers("ak_1", "sk_1", "POST", PATH, b"{}", now=NOW + skew)
    with pytest.raises(SignatureError, match="window"):
        _verify(headers)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"body": b'{"a":1}'}, "does not match"),
        ({"path": "/v1/sdk/checkout/sessions?x=1"}, "does not match"),
        ({"method": "PUT"}, "does not match"),
        ({"secret": "sk_2"}, "does not match"),
        ({"api_key": "ak_2"}, "unknown API key"),
    ],
)
def test_refuses_anything_changed(overrides: dict[str, object], reason: str) -> None:
    headers = signed_headers("ak_1", "sk_1", "POST", PATH, b"{}", now=NOW)
    with pytest.raises(SignatureError, match=reason):
        _verify(headers, **overrides)


def test_refuses_missing_or_malformed_headers() -> None:
    headers = signed_headers("ak_1", "sk_1", "POST", PATH, b"{}", now=NOW)
    for missing in headers:
        with pytest.raises(SignatureError, match="required"):
            _verify({k: v for k, v in headers.items() if k != missing})
    with pytest.raises(SignatureError, match="milliseconds"):
        _verify({**headers, "X-Timestamp": "1.7e12"})
    with pytest.raises(SignatureError, match="does not match"):
        _verify({**headers, "X-Signature": headers["X-Signature"].upper()})


def test_errors_never_show_the_secret_or_the_expected_signature() -> None:
    headers = signed_headers("ak_1", "sk_secret_value", "POST", PATH, b"{}", now=NOW)
    with pytest.raises(SignatureError) as caught:
        _verify({**headers, "X-Signature": "0" * 64}, secret="sk_secret_value")
    assert "sk_secret_value" not in str(caught.value)
    assert headers["X-Signature"] not in str(caught.value)
