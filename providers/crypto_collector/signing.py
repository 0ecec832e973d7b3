"""The crypto collector's server-to-server request signature, and its verifier.

Scheme (from the collector's own code, see PROVIDERS.md): the signing key is the SHA-256
digest of the API secret as raw bytes; the signed message is
``timestamp + UPPERCASE(method) + path[?query] + raw body`` with no separators; the
signature is the lowercase hex HMAC-SHA256. The timestamp is Unix time in milliseconds
and is accepted within five minutes either way.

The path is the one relative to the collector's API base (``/v1/sdk/checkout/sessions``),
so a sandbox mounted under a prefix checks the same string the real collector would.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

API_KEY_HEADER = "X-API-Key"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=5)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


class SignatureError(Exception):
    """A request's signature headers are missing, stale, or wrong.

    The message says which, and never contains a secret or an expected signature.
    """


def unix_millis(moment: datetime) -> int:
    """``moment`` as integer Unix milliseconds (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer timedelta division: no float on the way.
    return (moment - _EPOCH) // _ONE_MS


def compute_signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The lowercase hex signature of one request.

    ``path`` includes the query string (``/v1/x?a=1``) when there is one; ``body`` is the
    exact bytes sent (empty for a GET). Pure: same inputs, same output.
    """
    key = hashlib.sha256(secret.encode("utf-8")).digest()
    message = timestamp.encode("ascii") + method.upper().encode("ascii") + path.encode("utf-8")
    return hmac.new(key, message + body, hashlib.sha256).hexdigest()


def signed_headers(
    api_key: str, secret: str, method: str, path: str, body: bytes, *, now: datetime
) -> dict[str, str]:
    """The three authentication headers for a request made at ``now``."""
    timestamp = str(unix_millis(now))
    return {
        API_KEY_HEADER: api_key,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: compute_signature(secret, timestamp, method, path, body),
    }


def verify_signature(
    headers: Mapping[str, str],
    *,
    api_key: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a request's authentication headers against the expected key and secret.

    Header names are matched case-insensitively. Comparisons of the key and the signature
    are constant-time. Raises :class:`SignatureError` when a header is missing, the API key
    is not ``api_key``, the timestamp is not integer milliseconds within ``tolerance`` of
    ``now``, or the signature does not match.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    given_key = lowered.get(API_KEY_HEADER.lower())
    timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not given_key or not timestamp or not signature:
        raise SignatureError(
            f"{API_KEY_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required"
        )
    if not hmac.compare_digest(given_key.encode("utf-8"), api_key.encode("utf-8")):
        raise SignatureError("unknown API key")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix time in milliseconds")
    skew_ms = abs(int(timestamp) - unix_millis(now))
    if skew_ms > tolerance // _ONE_MS:
        raise SignatureError(f"{TIMESTAMP_HEADER} is outside the allowed window")
    expected = compute_signature(secret, timestamp, method, path, body)
    if not hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode()):
        raise SignatureError("signature does not match")
