"""The collector sandbox's payer pages: self-contained HTML, every text escaped.

No external assets: the CSS is inline and the QR code of the deposit address is an SVG
drawn by ``segno`` (pure Python), so the page works offline.
"""

from __future__ import annotations

import io
from datetime import datetime
from html import escape

import segno

from providers.sandbox.collector_state import SandboxPayment, iso_z
from router.money import format_amount

OUTCOMES = ("paid", "overpaid", "underpaid", "failed", "cancelled")
_OUTCOME_LABELS = {
    "paid": "Pay the exact amount",
    "overpaid": "Pay too much",
    "underpaid": "Pay too little",
    "failed": "Fail the payment",
    "cancelled": "Cancel and go back",
}

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;
color:#1d2330;margin:0;padding:2rem 1rem}
main{max-width:30rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.5rem 2rem;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.2rem;margin:0 0 1rem}
.due{font-size:1.8rem;font-weight:700;margin:.2rem 0}
.fiat,.muted{color:#5b6475}
.qr{text-align:center;margin:1rem 0}
.qr svg{width:12rem;height:12rem}
code{display:block;word-break:break-all;background:#f0f2f5;padding:.5rem;border-radius:6px}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;background:#e8ecf3;
font-size:.85rem}
form{display:grid;gap:.5rem;margin-top:1.5rem}
button{font:inherit;padding:.6rem;border:1px solid #c6ccd8;border-radius:8px;
background:#fff;cursor:pointer}
button[value=paid]{background:#1f7a4d;color:#fff;border-color:#1f7a4d}
""".strip()


def qr_svg(data: str) -> str:
    """An inline ``<svg>`` QR code (error correction M) of ``data``."""
    qr = segno.make(data, error="m", micro=False)
    # A viewBox instead of a fixed size, so the page's CSS sets how large it is drawn.
    return str(qr.svg_inline(scale=4, border=4, omitsize=True, title="Deposit address"))


def qr_svg_document(data: str) -> bytes:
    """A standalone SVG file (``image/svg+xml``) of the QR code of ``data``."""
    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(out, kind="svg", scale=4, border=4)
    return out.getvalue()


def checkout_page(payment: SandboxPayment, base_url: str, now: datetime) -> str:
    """The hosted checkout of ``payment``: USDT due, deposit address and its QR code, the
    fiat price, and (while it is open) the sandbox's outcome buttons."""
    request = payment.request
    session = escape(payment.session_id)
    is_open = payment.is_open(now)  # first: it lapses an expired payment before it is shown
    body = [
        "<h1>Pay with USDT</h1>",
        f'<p class="due">{escape(str(payment.crypto_amount))} USDT</p>',
        f'<p class="fiat">{escape(format_amount(request.amount, request.currency))} '
        f"{escape(request.currency)}</p>",
    ]
    if request.description:
        body.append(f"<p>{escape(request.description)}</p>")
    body += [
        f'<div class="qr">{qr_svg(payment.crypto_address)}</div>',
        '<p class="muted">Send exactly this amount of USDT (EVM chain) to:</p>',
        f"<code>{escape(payment.crypto_address)}</code>",
        *_received(payment),
        f'<p class="muted">Status <span class="badge">{escape(payment.status)}</span> '
        f"&middot; expires {escape(iso_z(payment.expires_at))}</p>",
    ]
    if is_open:
        action = escape(f"{base_url}/session/{payment.session_id}/outcome", quote=True)
        buttons = "".join(
            f'<button type="submit" name="outcome" value="{outcome}">'
            f"{escape(_OUTCOME_LABELS[outcome])}</button>"
            for outcome in OUTCOMES
        )
        body.append(
            f'<form method="post" action="{action}">'
            '<p class="muted">Sandbox: choose what the payer does.</p>'
            f"{buttons}</form>"
        )
    return _page(f"Checkout {session}", "".join(body))


def _received(payment: SandboxPayment) -> list[str]:
    """A line on what arrived so far, for a payment seen on chain."""
    received = payment.received_crypto_amount
    if received is None:
        return []
    line = f"Received {received} USDT"
    if received < payment.crypto_amount:
        line += f"; {payment.crypto_amount - received} USDT still due"
    return [f'<p class="muted">{escape(line)}</p>']


def message_page(title: str, message: str) -> str:
    """A plain page for errors and closed checkouts."""
    return _page(escape(title), f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")


def _page(title: str, body: str) -> str:
    # ``title`` and ``body`` arrive escaped by the callers above.
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
