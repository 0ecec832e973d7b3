"""Validation of ``POST /v1/checkout/sessions`` parameters, the way Stripe validates them.

:func:`validate_create` turns a decoded form into a :class:`SessionDraft` or raises the
first :class:`~providers.sandbox.stripe_errors.ParamError` Stripe would answer with.
Only ``mode=payment`` with inline ``price_data`` and ``shipping_rate_data`` is
supported: a Price or Shipping Rate id names nothing in the sandbox (``resource_missing``).
"""

from __future__ import annotations

import re

from providers.sandbox.stripe_drafts import (
    ItemDraft,
    PaymentIntentDraft,
    SessionDraft,
    ShippingDraft,
)
from providers.sandbox.stripe_errors import ParamError, missing, resource_missing
from providers.sandbox.stripe_fields import (
    as_obj,
    metadata,
    opt_array,
    opt_bool,
    opt_email,
    opt_enum,
    opt_int,
    opt_obj,
    opt_str,
    opt_url,
    reject_unknown,
    req_int,
    req_obj,
    req_str,
)
from providers.sandbox.stripe_forms import FormDict, FormNode
from router.money import is_currency

# fmt: off
LOCALES = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil",
    "fr", "fr-CA", "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt",
    "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi",
    "zh", "zh-HK", "zh-TW",
)
# fmt: on
EXPANDABLE = ("line_items", "payment_intent")
MAX_LINE_ITEMS = 100
MAX_SHIPPING_OPTIONS = 5
MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60
# Stripe's ceiling on one charge: eight digits of minor units.
MAX_AMOUNT = 99_999_999
_CURRENCY = re.compile(r"[a-z]{3}")

# fmt: off
_TOP_LEVEL = frozenset((
    "mode", "line_items", "success_url", "cancel_url", "customer_email", "metadata",
    "client_reference_id", "locale", "expires_at", "shipping_options", "expand",
    "currency", "payment_method_types", "payment_intent_data", "submit_type",
    "billing_address_collection", "phone_number_collection", "customer_creation",
    "allow_promotion_codes",
))
# fmt: on
_LINE_ITEM = ("price", "price_data", "quantity")
_PRICE_DATA = ("currency", "product_data", "unit_amount", "tax_behavior")
_PRODUCT_DATA = ("name", "description", "images", "metadata", "tax_code")
_SHIPPING_OPTION = ("shipping_rate", "shipping_rate_data")
_SHIPPING_RATE_DATA = ("display_name", "type", "fixed_amount", "metadata", "tax_behavior")
_FIXED_AMOUNT = ("amount", "currency")
_PAYMENT_INTENT_DATA = (
    "description",
    "metadata",
    "receipt_email",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
)
_PI_SHIPPING = ("name", "address", "phone", "carrier", "tracking_number")
_ADDRESS = ("line1", "line2", "city", "state", "postal_code", "country")
_TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")


def validate_create(form: FormDict, now: int) -> SessionDraft:
    """Check create parameters like Stripe; ``now`` is unix seconds for ``expires_at``.

    Raises :class:`ParamError` (or ``resource_missing`` for a Price or Shipping Rate id).
    """
    reject_unknown(form, _TOP_LEVEL, "")
    mode = req_str(form, "mode", "")
    if mode not in ("payment", "setup", "subscription"):
        raise ParamError("mode", "Invalid mode: must be one of payment, setup, or subscription")
    if mode != "payment":
        raise ParamError("mode", f"The sandbox supports only mode=payment, not {mode}.")
    success_url = opt_url(form, "success_url", "")
    if success_url is None:
        raise missing("success_url")
    items = _line_items(form)
    shipping = _shipping_options(form)
    currency = _one_currency(form, items, shipping)
    draft = SessionDraft(
        currency=currency,
        items=items,
        shipping_options=shipping,
        success_url=success_url,
        cancel_url=opt_url(form, "cancel_url", ""),
        expires_at=_expires_at(form, now),
        customer_email=opt_email(form, "customer_email", ""),
        client_reference_id=opt_str(form, "client_reference_id", "", max_len=200),
        metadata=metadata(form, "metadata", ""),
        locale=opt_enum(form, "locale", "", LOCALES),
        payment_method_types=_payment_method_types(form),
        payment_intent=_payment_intent_data(form),
        billing_address_collection=opt_enum(
            form, "billing_address_collection", "", ("auto", "required")
        ),
        submit_type=opt_enum(form, "submit_type", "", ("auto", "book", "donate", "pay")),
        phone_number_collection=_phone_number_collection(form),
        customer_creation=opt_enum(form, "customer_creation", "", ("always", "if_required"))
        or "if_required",
        allow_promotion_codes=opt_bool(form, "allow_promotion_codes", ""),
    )
    if draft.amount_total > MAX_AMOUNT:
        raise ParamError(
            "line_items",
            f"The Checkout Session's total amount due must be no more than {MAX_AMOUNT:,} "
            f"in the smallest unit of {currency}.",
            "amount_too_large",
        )
    return draft


def validate_expand(form: FormDict) -> frozenset[str]:
    """The ``expand[]`` list of any request; only ``line_items`` and ``payment_intent``
    can be expanded on a Checkout Session."""
    entries = opt_array(form, "expand", "") or []
    result: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, str) or entry not in EXPANDABLE:
            shown = entry if isinstance(entry, str) else "object"
            raise ParamError(f"expand[{index}]", f"This property cannot be expanded ({shown}).")
        result.add(entry)
    return frozenset(result)


def _line_items(form: FormDict) -> tuple[ItemDraft, ...]:
    nodes = opt_array(form, "line_items", "")
    if nodes is None:
        raise missing("line_items")
    if not nodes:
        raise ParamError(
            "line_items", "line_items must contain at least one item.", "parameter_invalid_empty"
        )
    if len(nodes) > MAX_LINE_ITEMS:
        raise ParamError("line_items", f"You can only have up to {MAX_LINE_ITEMS} line items.")
    return tuple(_line_item(node, f"line_items[{index}]") for index, node in enumerate(nodes))


def _line_item(node: FormNode, prefix: str) -> ItemDraft:
    item = as_obj(node, prefix)
    reject_unknown(item, _LINE_ITEM, prefix)
    price_id = opt_str(item, "price", prefix)
    if price_id is not None:
        raise resource_missing("price", price_id, f"{prefix}[price]", status=400)
    price_prefix = f"{prefix}[price_data]"
    price = req_obj(item, "price_data", prefix)
    reject_unknown(price, _PRICE_DATA, price_prefix)
    currency = _currency(price, price_prefix)
    unit_amount = req_int(price, "unit_amount", price_prefix, minimum=0)
    tax_behavior = opt_enum(price, "tax_behavior", price_prefix, _TAX_BEHAVIORS)
    product_prefix = f"{price_prefix}[product_data]"
    product = req_obj(price, "product_data", price_prefix)
    reject_unknown(product, _PRODUCT_DATA, product_prefix)
    name = req_str(product, "name", product_prefix)
    description = opt_str(product, "description", product_prefix)
    images = _images(product, product_prefix)
    opt_str(product, "tax_code", product_prefix)
    product_metadata = metadata(product, "metadata", product_prefix)
    quantity = req_int(item, "quantity", prefix, minimum=1)
    return ItemDraft(
        name=name,
        quantity=quantity,
        unit_amount=unit_amount,
        currency=currency,
        description=description,
        images=images,
        product_metadata=product_metadata,
        tax_behavior=tax_behavior,
    )


def _images(product: FormDict, prefix: str) -> tuple[str, ...]:
    nodes = opt_array(product, "images", prefix) or []
    if len(nodes) > 8:
        raise ParamError(f"{prefix}[images]", "You can only have up to 8 images.")
    holder = {str(index): node for index, node in enumerate(nodes)}
    urls = (opt_url(holder, str(index), f"{prefix}[images]") for index in range(len(nodes)))
    return tuple(url for url in urls if url is not None)


def _shipping_options(form: FormDict) -> tuple[ShippingDraft, ...]:
    nodes = opt_array(form, "shipping_options", "") or []
    if len(nodes) > MAX_SHIPPING_OPTIONS:
        raise ParamError(
            "shipping_options",
            f"You can only have up to {MAX_SHIPPING_OPTIONS} shipping options.",
        )
    return tuple(
        _shipping_option(node, f"shipping_options[{index}]") for index, node in enumerate(nodes)
    )


def _shipping_option(node: FormNode, prefix: str) -> ShippingDraft:
    option = as_obj(node, prefix)
    reject_unknown(option, _SHIPPING_OPTION, prefix)
    rate_id = opt_str(option, "shipping_rate", prefix)
    if rate_id is not None:
        raise resource_missing("shipping rate", rate_id, f"{prefix}[shipping_rate]", status=400)
    data_prefix = f"{prefix}[shipping_rate_data]"
    data = req_obj(option, "shipping_rate_data", prefix)
    reject_unknown(data, _SHIPPING_RATE_DATA, data_prefix)
    display_name = req_str(data, "display_name", data_prefix, max_len=100)
    rate_type = opt_str(data, "type", data_prefix) or "fixed_amount"
    if rate_type != "fixed_amount":
        raise ParamError(f"{data_prefix}[type]", "Invalid type: must be one of fixed_amount")
    fixed_prefix = f"{data_prefix}[fixed_amount]"
    fixed = req_obj(data, "fixed_amount", data_prefix)
    reject_unknown(fixed, _FIXED_AMOUNT, fixed_prefix)
    amount = req_int(fixed, "amount", fixed_prefix, minimum=0)
    return ShippingDraft(
        display_name=display_name,
        amount=amount,
        currency=_currency(fixed, fixed_prefix),
        metadata=metadata(data, "metadata", data_prefix),
        tax_behavior=opt_enum(data, "tax_behavior", data_prefix, _TAX_BEHAVIORS),
    )


def _currency(container: FormDict, prefix: str) -> str:
    value = req_str(container, "currency", prefix)
    if not _CURRENCY.fullmatch(value) or not is_currency(value.upper()):
        raise ParamError(
            f"{prefix}[currency]",
            f"Invalid currency: {value[:10]}. Stripe currencies are three-letter ISO 4217 "
            "codes in lowercase.",
        )
    return value


def _one_currency(
    form: FormDict, items: tuple[ItemDraft, ...], shipping: tuple[ShippingDraft, ...]
) -> str:
    """Every line item and shipping option must use one currency (and the top-level
    ``currency`` when given); the error names the first that differs."""
    stated = opt_str(form, "currency", "")
    expected = stated if stated is not None else items[0].currency
    if stated is not None and (not _CURRENCY.fullmatch(stated) or not is_currency(stated.upper())):
        raise ParamError("currency", f"Invalid currency: {stated[:10]}.")
    for index, item in enumerate(items):
        if item.currency != expected:
            _mismatch(f"line_items[{index}][price_data][currency]", item.currency, expected)
    for index, option in enumerate(shipping):
        if option.currency != expected:
            _mismatch(
                f"shipping_options[{index}][shipping_rate_data][fixed_amount][currency]",
                option.currency,
                expected,
            )
    return expected


def _mismatch(param: str, found: str, expected: str) -> None:
    raise ParamError(
        param,
        f"The currency {found} does not match the Checkout Session's currency {expected}: "
        "all line items and shipping options must use the same currency.",
    )


def _expires_at(form: FormDict, now: int) -> int:
    value = opt_int(form, "expires_at", "", minimum=0)
    if value is None:
        return now + MAX_EXPIRY_SECONDS
    if value < now + MIN_EXPIRY_SECONDS:
        raise ParamError(
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        )
    if value > now + MAX_EXPIRY_SECONDS:
        raise ParamError(
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        )
    return value


def _payment_method_types(form: FormDict) -> tuple[str, ...]:
    nodes = opt_array(form, "payment_method_types", "")
    if not nodes:
        return ("card",)
    for index, node in enumerate(nodes):
        if node != "card":
            shown = node if isinstance(node, str) else "object"
            raise ParamError(
                f"payment_method_types[{index}]",
                f"The payment method type provided: {shown[:40]} is invalid. The sandbox "
                "supports only card.",
            )
    return ("card",)


def _payment_intent_data(form: FormDict) -> PaymentIntentDraft:
    prefix = "payment_intent_data"
    data = opt_obj(form, prefix, "")
    if data is None:
        return PaymentIntentDraft()
    reject_unknown(data, _PAYMENT_INTENT_DATA, prefix)
    return PaymentIntentDraft(
        description=opt_str(data, "description", prefix, max_len=1000),
        metadata=metadata(data, "metadata", prefix),
        receipt_email=opt_email(data, "receipt_email", prefix),
        shipping=_pi_shipping(data, f"{prefix}[shipping]"),
        statement_descriptor=opt_str(data, "statement_descriptor", prefix, max_len=22),
        statement_descriptor_suffix=opt_str(
            data, "statement_descriptor_suffix", prefix, max_len=22
        ),
    )


def _pi_shipping(data: FormDict, prefix: str) -> dict[str, object] | None:
    shipping = opt_obj(data, "shipping", "payment_intent_data")
    if shipping is None:
        return None
    reject_unknown(shipping, _PI_SHIPPING, prefix)
    name = req_str(shipping, "name", prefix)
    address_prefix = f"{prefix}[address]"
    address = req_obj(shipping, "address", prefix)
    reject_unknown(address, _ADDRESS, address_prefix)
    req_str(address, "line1", address_prefix)
    result: dict[str, object] = {
        "name": name,
        "address": {key: opt_str(address, key, address_prefix) for key in _ADDRESS},
    }
    for key in ("phone", "carrier", "tracking_number"):
        result[key] = opt_str(shipping, key, prefix)
    return result


def _phone_number_collection(form: FormDict) -> bool:
    data = opt_obj(form, "phone_number_collection", "")
    if data is None:
        return False
    reject_unknown(data, ("enabled",), "phone_number_collection")
    enabled = opt_bool(data, "enabled", "phone_number_collection")
    if enabled is None:
        raise missing("phone_number_collection[enabled]")
    return enabled
