"""Stripe's bracket form encoding, decoded into a tree of strings and dicts.

``line_items[0][price_data][currency]=aud&metadata[k]=v&expand[]=x`` becomes
``{"line_items": {"0": {"price_data": {"currency": "aud"}}}, "metadata": {"k": "v"},
"expand": {"0": "x"}}``. Arrays stay dicts keyed by their indexes here: only the schema
knows whether ``metadata[0]`` is an array element or a metadata key named "0", so the
validator turns the dicts it expects to be arrays into lists (:func:`as_array`).
"""

from __future__ import annotations

import re
from typing import TypeAlias
from urllib.parse import parse_qsl

FormNode: TypeAlias = "str | dict[str, FormNode]"
FormDict: TypeAlias = dict[str, FormNode]

# A Stripe API body is never near this; the cap bounds the work a hostile body can cause.
MAX_FIELDS = 5000
_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"[0-9]{1,6}")


class FormError(ValueError):
    """A form key that cannot be decoded: bad brackets, or a key used both as a value and
    as an object (``metadata=x&metadata[a]=b``). ``key`` is the offending raw key."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{reason}: {key}")
        self.key = key
        self.reason = reason


def parse_form(text: str) -> FormDict:
    """Decode an ``application/x-www-form-urlencoded`` string in Stripe's bracket notation.

    A repeated scalar key keeps its last value; ``key[]`` appends. Raises
    :class:`FormError` for a malformed or conflicting key, or for too many fields.
    """
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise FormError("(body)", f"more than {MAX_FIELDS} fields") from exc
    root: FormDict = {}
    for key, value in pairs:
        match = _KEY.fullmatch(key)
        if match is None:
            raise FormError(key, "Invalid parameter name")
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _insert(root, path, value, key)
    return root


def _insert(root: FormDict, path: list[str], value: str, key: str) -> None:
    node = root
    for segment in path[:-1]:
        if segment == "":
            # ``a[][b]`` is ambiguous (which element does ``b`` join?); Stripe's own
            # clients always send indexes, so only a trailing ``[]`` is accepted.
            raise FormError(key, "Invalid parameter name")
        child = node.get(segment)
        if child is None:
            child = {}
            node[segment] = child
        elif isinstance(child, str):
            raise FormError(key, "Invalid parameter structure")
        node = child
    last = path[-1] or _next_index(node, key)
    if isinstance(node.get(last), dict):
        raise FormError(key, "Invalid parameter structure")
    node[last] = value


def _next_index(node: FormDict, key: str) -> str:
    if not all(_INDEX.fullmatch(existing) for existing in node):
        raise FormError(key, "Invalid parameter structure")
    return str(max((int(existing) for existing in node), default=-1) + 1)


def as_array(node: FormDict) -> list[FormNode] | None:
    """The elements of a dict keyed ``"0"..."n-1"``, in index order; ``None`` when the keys
    are not exactly those indexes (a gap, a leading zero, or not a number)."""
    if not all(_INDEX.fullmatch(key) and key == str(int(key)) for key in node):
        return None
    by_index = {int(key): value for key, value in node.items()}
    if sorted(by_index) != list(range(len(by_index))):
        return None
    return [by_index[index] for index in range(len(by_index))]
