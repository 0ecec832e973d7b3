"""Validated Checkout Session parameters: what the sandbox keeps of a create call.

Amounts are integer minor units of the session's currency (the provider edge).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemDraft:
    name: str
    quantity: int
    unit_amount: int
    currency: str
    description: str | None = None
    images: tuple[str, ...] = ()
    product_metadata: dict[str, str] = field(default_factory=dict)
    tax_behavior: str | None = None

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class ShippingDraft:
    display_name: str
    amount: int
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)
    tax_behavior: str | None = None


@dataclass(frozen=True)
class PaymentIntentDraft:
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    receipt_email: str | None = None
    shipping: dict[str, object] | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None


@dataclass(frozen=True)
class SessionDraft:
    """Validated create parameters, amounts in the currency's minor units."""

    currency: str
    items: tuple[ItemDraft, ...]
    shipping_options: tuple[ShippingDraft, ...]
    success_url: str
    cancel_url: str | None
    expires_at: int
    customer_email: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    locale: str | None = None
    payment_method_types: tuple[str, ...] = ("card",)
    payment_intent: PaymentIntentDraft = PaymentIntentDraft()
    billing_address_collection: str | None = None
    submit_type: str | None = None
    phone_number_collection: bool = False
    customer_creation: str = "if_required"
    allow_promotion_codes: bool | None = None

    @property
    def amount_subtotal(self) -> int:
        return sum(item.amount for item in self.items)

    @property
    def shipping_amount(self) -> int:
        """The first shipping option is the one selected by default, as on Stripe."""
        return self.shipping_options[0].amount if self.shipping_options else 0

    @property
    def amount_total(self) -> int:
        return self.amount_subtotal + self.shipping_amount
