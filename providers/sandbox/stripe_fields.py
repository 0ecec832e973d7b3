"""Typed readers for one field of a decoded Stripe form, each raising Stripe's own 400.

Every reader takes the containing dict, the field name and the ``prefix`` of the
container (``line_items[0][price_data]``), so errors name the exact ``param`` Stripe
would name.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

from providers.sandbox.stripe_errors import (
    ParamError,
    empty,
    invalid_integer,
    missing,
    preview,
    too_small,
    unknown,
)
from providers.sandbox.stripe_forms import FormDict, FormNode, as_array

MAX_STRING = 5000
_INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,19}")
# Deliberately loose, like Stripe: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY = 40
METADATA_MAX_VALUE = 500


def param_name(prefix: str, key: str) -> str:
    """``key`` at the top level, ``prefix[key]`` inside an object or array."""
    return f"{prefix}[{key}]" if prefix else key


def reject_unknown(container: FormDict, allowed: Collection[str], prefix: str) -> None:
    """Raise ``parameter_unknown`` for the first key of ``container`` not in ``allowed``."""
    for key in container:
        if key not in allowed:
            raise unknown(param_name(prefix, key))


def opt_str(container: FormDict, key: str, prefix: str, *, max_len: int = MAX_STRING) -> str | None:
    """A string field, or ``None`` when absent. An empty string cannot unset anything on
    create, so it is ``parameter_invalid_empty``; too long is a plain 400."""
    node = container.get(key)
    param = param_name(prefix, key)
    if node is None:
        return None
    if not isinstance(node, str):
        raise ParamError(param, f"Invalid string: {param} must be a string, not an object.")
    if node == "":
        raise empty(param)
    if len(node) > max_len:
        raise ParamError(
            param, f"Invalid string: {preview(node)}; must be at most {max_len} characters"
        )
    return node


def req_str(container: FormDict, key: str, prefix: str, *, max_len: int = MAX_STRING) -> str:
    """A required string field; ``parameter_missing`` when absent."""
    value = opt_str(container, key, prefix, max_len=max_len)
    if value is None:
        raise missing(param_name(prefix, key))
    return value


def opt_enum(container: FormDict, key: str, prefix: str, choices: tuple[str, ...]) -> str | None:
    """A string that must be one of ``choices``."""
    value = opt_str(container, key, prefix)
    if value is not None and value not in choices:
        raise ParamError(
            param_name(prefix, key), f"Invalid {key}: must be one of {', '.join(choices)}"
        )
    return value


def opt_int(container: FormDict, key: str, prefix: str, *, minimum: int) -> int | None:
    """A base-10 integer (no decimals, no exponent) of at least ``minimum``."""
    text = opt_str(container, key, prefix, max_len=40)
    if text is None:
        return None
    param = param_name(prefix, key)
    if not _INTEGER.fullmatch(text) or abs(int(text)) > _INT64_MAX:
        raise invalid_integer(param, text)
    value = int(text)
    if value < minimum:
        raise too_small(param, minimum)
    return value


def req_int(container: FormDict, key: str, prefix: str, *, minimum: int) -> int:
    value = opt_int(container, key, prefix, minimum=minimum)
    if value is None:
        raise missing(param_name(prefix, key))
    return value


def opt_bool(container: FormDict, key: str, prefix: str) -> bool | None:
    """``true`` / ``false``, as the Stripe SDK encodes booleans."""
    text = opt_str(container, key, prefix)
    if text is None:
        return None
    if text not in ("true", "false"):
        raise ParamError(param_name(prefix, key), f"Invalid boolean: {preview(text)}")
    return text == "true"


def opt_obj(container: FormDict, key: str, prefix: str) -> FormDict | None:
    """A nested object; an empty string stands for an empty one."""
    node = container.get(key)
    if node is None:
        return None
    if isinstance(node, str):
        if node == "":
            return {}
        raise ParamError(param_name(prefix, key), "Invalid object")
    return node


def req_obj(container: FormDict, key: str, prefix: str) -> FormDict:
    value = opt_obj(container, key, prefix)
    if value is None:
        raise missing(param_name(prefix, key))
    return value


def as_obj(node: FormNode, param: str) -> FormDict:
    """An array element that must be an object."""
    if isinstance(node, str):
        raise ParamError(param, "Invalid object")
    return node


def opt_array(container: FormDict, key: str, prefix: str) -> list[FormNode] | None:
    """An array sent as ``key[0]``, ``key[1]``... (or ``key[]``); indexes must run from 0
    without gaps. An empty string stands for an empty array."""
    node = container.get(key)
    if node is None:
        return None
    param = param_name(prefix, key)
    if isinstance(node, str):
        if node == "":
            return []
        raise ParamError(param, "Invalid array")
    elements = as_array(node)
    if elements is None:
        raise ParamError(param, "Invalid array")
    return elements


def opt_url(container: FormDict, key: str, prefix: str) -> str | None:
    """An absolute http(s) URL (Stripe's ``url_invalid`` otherwise)."""
    value = opt_str(container, key, prefix)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ParamError(param_name(prefix, key), "Not a valid URL", "url_invalid")
    return value


def opt_email(container: FormDict, key: str, prefix: str) -> str | None:
    value = opt_str(container, key, prefix, max_len=512)
    if value is not None and not _EMAIL.fullmatch(value):
        raise ParamError(
            param_name(prefix, key), f"Invalid email address: {preview(value)}", "email_invalid"
        )
    return value


def metadata(container: FormDict, key: str, prefix: str) -> dict[str, str]:
    """Stripe metadata: at most 50 keys of at most 40 characters, string values of at most
    500 characters. An empty value unsets its key, which on create means leaving it out."""
    node = opt_obj(container, key, prefix)
    if node is None:
        return {}
    param = param_name(prefix, key)
    result: dict[str, str] = {}
    for meta_key, value in node.items():
        item_param = f"{param}[{meta_key}]"
        if not isinstance(value, str):
            raise ParamError(item_param, "Metadata values must be strings, not objects.")
        if len(meta_key) > METADATA_MAX_KEY:
            raise ParamError(
                item_param,
                f"Metadata keys can have up to {METADATA_MAX_KEY} characters, but you passed "
                f"in a key that is {len(meta_key)} characters.",
            )
        if len(value) > METADATA_MAX_VALUE:
            raise ParamError(
                item_param,
                f"Metadata values can have up to {METADATA_MAX_VALUE} characters, but you "
                f"passed in a value that is {len(value)} characters.",
            )
        if value:
            result[meta_key] = value
    if len(result) > METADATA_MAX_KEYS:
        raise ParamError(
            param,
            f"You can have up to {METADATA_MAX_KEYS} metadata keys, but you passed in "
            f"{len(result)} keys.",
        )
    return result
