"""A validated session request -> the adapter's CheckoutRequest for one provider."""

from __future__ import annotations

from datetime import datetime

from providers.base import Address as AddressDTO
from providers.base import CheckoutRequest, LineItem
from providers.base import Customer as CustomerDTO
from router.context import Services
from router.schemas import Address, SessionCreateRequest


def _address(address: Address | None) -> AddressDTO | None:
    if address is None:
        return None
    return AddressDTO(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )


def checkout_request(
    services: Services,
    session_id: str,
    provider: str,
    request: SessionCreateRequest,
    expires_at: datetime,
) -> CheckoutRequest:
    metadata = {"orderReference": request.order_reference}
    for key, value in (request.additional_information or {}).items():
        if value is not None:
            metadata[key] = str(value).lower() if isinstance(value, bool) else str(value)
    customer = request.customer
    return CheckoutRequest(
        session_id=session_id,
        idempotency_key=f"payrouter-{session_id}-{provider}",
        order_reference=request.order_reference,
        method=request.payment_method,
        currency=request.currency,
        amount_total=request.amount.total,
        shipping_amount=request.amount.shipping,
        tax_amount=request.amount.tax,
        items=tuple(
            LineItem(name=i.name, quantity=i.quantity, unit_price=i.unit_price, sku=i.sku)
            for i in request.order_items
        ),
        customer=CustomerDTO(
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            phone=customer.phone,
            billing_address=_address(customer.billing_address),
            shipping_address=_address(customer.shipping_address),
        ),
        success_url=services.return_url(session_id, "success"),
        cancel_url=services.return_url(session_id, "cancel"),
        expires_at=expires_at,
        locale=request.locale,
        shipping_label=request.shipping.method or request.shipping.type
        if request.shipping
        else None,
        metadata=metadata,
    )
