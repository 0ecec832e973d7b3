"""The collector sandbox's in-memory payments: one ledger per sandbox app, no globals.

A payment is priced in fiat (USD or LKR), owed in USDT at fixed sandbox rates, and moves
through the statuses of seed 002: ``initiated`` -> ``pending`` (detected but short) ->
``paid`` | ``failed`` | ``expired``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from router.money import format_amount

# Fixed sandbox rates from the fiat price to the USDT owed.
USDT_RATES: Mapping[str, Decimal] = MappingProxyType(
    {"USD": Decimal("1.001"), "LKR": Decimal("0.0033")}
)
USDT_STEP = Decimal("0.000001")  # USDT amounts carry 6 decimals
SESSION_LIFETIME = timedelta(minutes=60)  # seeds 000/001: a checkout lives 60 minutes
# A payment the payer can still pay. "pending" is an underpayment seen on chain: it stays
# unpaid (and payable) until it expires.
OPEN_STATUSES = frozenset({"initiated", "pending", "confirming"})
# What the sandbox's "overpaid" and "underpaid" outcomes send, relative to the amount due.
OVERPAY_FACTOR = Decimal("1.1")
UNDERPAY_FACTOR = Decimal("0.9")


def usdt_amount(amount: Decimal, currency: str) -> Decimal:
    """The USDT owed for a fiat amount, rounded half-up to 6 decimals."""
    return (amount * USDT_RATES[currency]).quantize(USDT_STEP, rounding=ROUND_HALF_UP)


def fake_hex(seed: str, digits: int) -> str:
    """Deterministic fake chain data (an address, a transaction hash) from ``seed``."""
    return "0x" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:digits]


def iso_z(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, to the second (``2026-03-26T16:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class NewPayment:
    """A validated create-session request."""

    amount: Decimal
    currency: str
    success_url: str
    cancel_url: str
    metadata: dict[str, Any]
    order_id: str | None
    description: str | None
    customer_email: str | None


@dataclass
class SandboxPayment:
    """One checkout session and its payment (they are 1:1 at the collector)."""

    id: str
    session_id: str
    request: NewPayment
    crypto_amount: Decimal
    crypto_address: str
    created_at: datetime
    expires_at: datetime
    status: str = "initiated"
    tx_hash: str | None = None
    paid_at: datetime | None = None
    received_crypto_amount: Decimal | None = None

    def refresh(self, now: datetime) -> None:
        """Lapse an unpaid payment whose time is up (underpaid ones included)."""
        if self.status in OPEN_STATUSES and now >= self.expires_at:
            self.status = "expired"

    def is_open(self, now: datetime) -> bool:
        """True while the payer can still pay (after :meth:`refresh` at ``now``)."""
        self.refresh(now)
        return self.status in OPEN_STATUSES

    def settle(self, outcome: str, now: datetime) -> bool:
        """Apply what the payer did on the checkout page; True when the payment changed.

        ``paid`` and ``overpaid`` pay it (the excess is recorded, the collector keeps it);
        ``underpaid`` is seen on chain but short, so the payment is ``pending`` and stays
        unpaid until it expires (seed 002); ``failed`` fails it. ``cancelled`` changes
        nothing: the payer only left, and the open payment lapses by itself (the collector
        has no cancelled status, and the router expires its own session).
        """
        received = {
            "paid": self.crypto_amount,
            "overpaid": (self.crypto_amount * OVERPAY_FACTOR).quantize(USDT_STEP, ROUND_HALF_UP),
            "underpaid": (self.crypto_amount * UNDERPAY_FACTOR).quantize(USDT_STEP, ROUND_HALF_UP),
        }.get(outcome)
        if received is not None:
            self.received_crypto_amount = received
            self.tx_hash = fake_hex(f"tx:{self.id}:{outcome}", 64)
            if outcome == "underpaid":
                self.status = "pending"
            else:
                self.status, self.paid_at = "paid", now
            return True
        if outcome == "failed":
            self.status = "failed"
            return True
        return False

    def view(self, base_url: str) -> dict[str, Any]:
        """The payment as ``GET /v1/payments/{id}`` shows it (seed 002's fields).

        ``amount`` is a decimal string, not the number seed 002 shows: the sandbox never
        lets money pass through a float.
        """
        received = self.received_crypto_amount
        return {
            "id": self.id,
            "sessionId": self.session_id,
            "status": self.status,
            "amount": format_amount(self.request.amount, self.request.currency),
            "currency": self.request.currency,
            "cryptoAmount": str(self.crypto_amount),
            "cryptoCurrency": "USDT",
            "cryptoAddress": self.crypto_address,
            "receivedCryptoAmount": None if received is None else str(received),
            "excessCryptoAmount": (
                str(received - self.crypto_amount)
                if received is not None and received > self.crypto_amount
                else None
            ),
            "qrCodeUrl": f"{base_url}/session/{self.session_id}/qr.svg",
            "checkoutUrl": f"{base_url}/session/{self.session_id}",
            "description": self.request.description,
            "customerEmail": self.request.customer_email,
            "orderId": self.request.order_id,
            "metadata": self.request.metadata,
            "txHash": self.tx_hash,
            "paidAt": None if self.paid_at is None else iso_z(self.paid_at),
            "expiresAt": iso_z(self.expires_at),
            "createdAt": iso_z(self.created_at),
        }


@dataclass
class CollectorLedger:
    """Every payment of one sandbox, by payment id, session id, idempotency key and order."""

    payments: dict[str, SandboxPayment] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    # Idempotency-Key -> (the request it came with, the payment it created)
    idempotency: dict[str, tuple[NewPayment, str]] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)

    def create(self, new: NewPayment, now: datetime) -> SandboxPayment:
        """Open a payment for ``new`` at ``now``, owed in USDT, lapsing in 60 minutes."""
        payment_id = f"pay_{secrets.token_hex(12)}"
        payment = SandboxPayment(
            id=payment_id,
            session_id=f"cs_test_{secrets.token_hex(12)}",
            request=new,
            crypto_amount=usdt_amount(new.amount, new.currency),
            crypto_address=fake_hex(f"deposit:{payment_id}", 40),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        self.payments[payment.id] = payment
        self.sessions[payment.session_id] = payment.id
        if new.order_id is not None:
            self.orders[new.order_id] = payment.id
        return payment

    def by_session(self, session_id: str) -> SandboxPayment | None:
        payment_id = self.sessions.get(session_id)
        return None if payment_id is None else self.payments.get(payment_id)
