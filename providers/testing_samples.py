"""The bad inputs the adapter kit throws at an adapter: junk API answers, garbage
notification bodies, odd provider references. Plain data, nothing provider-specific."""

from __future__ import annotations

from typing import Final

from providers.testing_world import JunkAnswer

# Deep enough that json.loads gives up with RecursionError rather than a ValueError.
_DEEP: Final = 100_000

JUNK_ANSWERS: Final[tuple[JunkAnswer, ...]] = (
    JunkAnswer("html_200", 200, b"<html><body>502 Bad Gateway</body></html>", "text/html"),
    JunkAnswer("truncated_json_200", 200, b'{"id": "kit_1", "url": "http://pay'),
    JunkAnswer("empty_200", 200, b""),
    JunkAnswer("invalid_utf8_200", 200, b"\xff\xfe\xfa\x00\x81"),
    JunkAnswer("json_null_200", 200, b"null"),
    JunkAnswer("json_list_200", 200, b"[1, 2, 3]"),
    JunkAnswer("json_string_200", 200, b'"ok"'),
    JunkAnswer("json_empty_object_201", 201, b"{}"),
    JunkAnswer(
        "json_wrong_types_200",
        200,
        b'{"id": 12, "object": ["x"], "url": 5, "status": {"paid": true}, '
        b'"checkoutUrl": false, "checkout_url": [], "paymentId": null, "amount": "lots", '
        b'"currency": 9, "expires_at": "tomorrow", "expiresAt": [], "data": 3, "error": 7}',
    ),
    JunkAnswer(
        "json_huge_numbers_200",
        200,
        b'{"id": "kit_1", "amount": 1e999999, "expires_at": 99999999999999999999999999, '
        b'"expiresAt": -1e999999, "created": 1e400}',
    ),
    JunkAnswer("json_deeply_nested_200", 200, b"[" * _DEEP + b"]" * _DEEP),
    JunkAnswer("html_500", 500, b"<html>Internal Server Error</html>", "text/html"),
    JunkAnswer("json_garbage_error_400", 400, b'{"error": [null, {"message": 5}], "code": {}}'),
    JunkAnswer("text_404", 404, b"Not Found", "text/plain"),
    JunkAnswer("teapot_418", 418, b"I'm a teapot", "text/plain"),
    JunkAnswer(
        "redirect_302", 302, b"", None, (("location", "http://127.0.0.1:9/somewhere-else"),)
    ),
    JunkAnswer("no_content_204", 204, b"", None),
)

GARBAGE_BODIES: Final[tuple[bytes, ...]] = (
    b"",
    b"   \n",
    b"not json at all",
    b"\xff\xfe\xfa\x00\x81",
    b"null",
    b"42",
    b'"a string"',
    b"[]",
    b"{}",
    b'{"id": null, "type": 7, "data": "x", "status": []}',
    b"[" * _DEEP,
    b"{" * _DEEP,
)

# References no provider issues; an adapter must answer each with a ProviderError (and
# never, say, turn "" into the provider's list endpoint or "../" into another resource).
ODD_REFERENCES: Final[tuple[str, ...]] = (
    "",
    "   ",
    "../../v1",
    "kit/with/slashes",
    "kit with spaces",
    "kit?query=1#fragment",
    "%2e%2e%2f",
    "\u00e9t\u00e9-\u2603",
    "kit\x00nul",
    "kit\r\nInjected: header",
    "k" * 4096,
)
