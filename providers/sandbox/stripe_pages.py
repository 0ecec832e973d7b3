"""The hosted checkout pages a payer sees, as self-contained HTML (inline CSS, no assets).

Every piece of text that came from a request goes through :func:`html.escape`: item
names may hold any unicode or markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html import escape

from providers.sandbox.stripe_state import SessionRecord

# Stripe's own minor-unit exponents (they differ from ISO 4217 for a few currencies).
# fmt: off
_ZERO_DECIMAL = frozenset((
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
    "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
))
# fmt: on
_THREE_DECIMAL = frozenset(("bhd", "jod", "kwd", "omr", "tnd"))

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f6f8fa;color:#1a1f36}
main{max-width:560px;margin:40px auto;padding:32px;background:#fff;border-radius:12px;
box-shadow:0 2px 12px rgba(26,31,54,.08)}
.badge{display:inline-block;font-size:12px;font-weight:600;letter-spacing:.04em;
text-transform:uppercase;color:#8a5a00;background:#fff4d6;border-radius:4px;padding:2px 8px}
h1{font-size:22px;margin:12px 0 4px}
.muted{color:#697386;font-size:14px;margin:0 0 20px;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;margin:8px 0 24px}
th,td{padding:8px 0;text-align:left;vertical-align:top}
th{font-size:13px;color:#697386;font-weight:500;border-bottom:1px solid #e3e8ee}
td.num,th.num{text-align:right;white-space:nowrap}
tr.total td{border-top:2px solid #1a1f36;font-weight:700;font-size:18px;padding-top:12px}
.qty{color:#697386;font-size:14px}
form{display:flex;flex-wrap:wrap;gap:12px}
button{flex:1 1 140px;font:inherit;font-weight:600;padding:12px 16px;border-radius:8px;
border:1px solid transparent;cursor:pointer}
button.paid{background:#635bff;color:#fff}
button.failed{background:#fff;color:#c0123c;border-color:#f2b8c6}
button.cancelled{background:#fff;color:#1a1f36;border-color:#d5dbe1}
.notice{padding:16px;border-radius:8px;background:#f0f3f7}
"""


def format_amount(amount: int, currency: str) -> str:
    """Minor units as a major-unit string with the currency code: ``AUD 140.76``."""
    places = 0 if currency in _ZERO_DECIMAL else 3 if currency in _THREE_DECIMAL else 2
    major = Decimal(amount).scaleb(-places)
    return f"{currency.upper()} {major:,.{places}f}"


def _layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _summary(record: SessionRecord) -> str:
    draft = record.draft
    rows = []
    for item in draft.items:
        rows.append(
            f"<tr><td>{escape(item.name)}"
            f'<div class="qty">{item.quantity} &times; '
            f"{escape(format_amount(item.unit_amount, item.currency))}</div></td>"
            f'<td class="num">{escape(format_amount(item.amount, item.currency))}</td></tr>'
        )
    if draft.shipping_options:
        option = draft.shipping_options[0]
        rows.append(
            f"<tr><td>Shipping: {escape(option.display_name)}</td>"
            f'<td class="num">{escape(format_amount(option.amount, option.currency))}</td></tr>'
        )
    rows.append(
        '<tr class="total"><td>Total</td>'
        f'<td class="num">{escape(format_amount(draft.amount_total, draft.currency))}</td></tr>'
    )
    return (
        '<table><thead><tr><th>Item</th><th class="num">Amount</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _header(merchant: str, record: SessionRecord) -> str:
    return (
        '<span class="badge">Test mode &middot; sandbox</span>'
        "<h1>Complete your payment</h1>"
        f'<p class="muted">{escape(merchant)} sandbox &middot; checkout session '
        f"{escape(record.id)}</p>"
    )


def checkout_page(record: SessionRecord, *, merchant: str, action_url: str) -> str:
    """The page of an open session: the order and a form posting ``outcome`` to
    ``action_url`` (paid, failed, and cancelled when the merchant gave a cancel URL)."""
    expires = datetime.fromtimestamp(record.draft.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    buttons = [
        '<button class="paid" type="submit" name="outcome" value="paid">Pay</button>',
        '<button class="failed" type="submit" name="outcome" value="failed">'
        "Decline the payment</button>",
    ]
    if record.draft.cancel_url:
        buttons.append(
            '<button class="cancelled" type="submit" name="outcome" value="cancelled">'
            "Cancel and return</button>"
        )
    body = (
        _header(merchant, record)
        + _summary(record)
        + f'<p class="muted">This checkout expires at {escape(expires)}.</p>'
        + f'<form method="post" action="{escape(action_url)}">{"".join(buttons)}</form>'
    )
    return _layout("Checkout (sandbox)", body)


def closed_page(record: SessionRecord, *, merchant: str) -> str:
    """The page of a session that can no longer be paid (complete or expired)."""
    if record.status == "expired":
        message = "This checkout session has expired. Return to the merchant to try again."
    elif record.payment_status == "paid":
        message = "This payment is complete. Thank you."
    else:
        message = "This checkout is complete, but the payment was declined."
    body = _header(merchant, record) + _summary(record) + f'<p class="notice">{message}</p>'
    return _layout("Checkout (sandbox)", body)


def message_page(title: str, message: str) -> str:
    """A bare page for errors (unknown session, a session no longer open, a bad form)."""
    body = (
        '<span class="badge">Test mode &middot; sandbox</span>'
        f'<h1>{escape(title)}</h1><p class="notice">{escape(message)}</p>'
    )
    return _layout(title, body)
