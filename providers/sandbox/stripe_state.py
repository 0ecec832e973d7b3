"""The sandbox's memory: Checkout Sessions, their PaymentIntents, events, idempotency keys.

One :class:`SandboxState` is built per sandbox app; nothing here is shared between apps.
Status changes are methods on :class:`SessionRecord` so a session can only move
``open -> complete`` or ``open -> expired``, never back.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from providers.sandbox.stripe_drafts import SessionDraft

_ALPHABET = string.ascii_letters + string.digits
IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking object id: ``prefix`` and random letters and digits."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class PaymentIntentRecord:
    id: str
    amount: int
    currency: str
    created: int
    status: str = "requires_payment_method"
    amount_received: int = 0
    payment_method: str | None = None
    latest_charge: str | None = None
    last_payment_error: dict[str, Any] | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None


@dataclass
class SessionRecord:
    """A Checkout Session and the ids of the objects Stripe would create with it."""

    id: str
    created: int
    draft: SessionDraft
    payment_intent: PaymentIntentRecord
    line_item_ids: tuple[str, ...]
    price_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    shipping_rate_ids: tuple[str, ...]
    status: str = "open"
    payment_status: str = "unpaid"

    @classmethod
    def create(cls, draft: SessionDraft, now: int) -> SessionRecord:
        count = len(draft.items)
        return cls(
            id=new_id("cs_test_", 58),
            created=now,
            draft=draft,
            payment_intent=PaymentIntentRecord(
                id=new_id("pi_"), amount=draft.amount_total, currency=draft.currency, created=now
            ),
            line_item_ids=tuple(new_id("li_") for _ in range(count)),
            price_ids=tuple(new_id("price_") for _ in range(count)),
            product_ids=tuple(new_id("prod_", 14) for _ in range(count)),
            shipping_rate_ids=tuple(new_id("shr_") for _ in draft.shipping_options),
        )

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def expire_if_due(self, now: int) -> bool:
        """Expire an open session whose ``expires_at`` has passed; True when it just did
        (the caller then sends ``checkout.session.expired``, once)."""
        if self.is_open and now >= self.draft.expires_at:
            self.expire(now)
            return True
        return False

    def expire(self, now: int) -> None:
        """open -> expired; its PaymentIntent is canceled, as Stripe abandons it."""
        self._require_open()
        self.status = "expired"
        self.payment_intent.status = "canceled"
        self.payment_intent.canceled_at = now
        self.payment_intent.cancellation_reason = "abandoned"

    def pay(self) -> None:
        """open -> complete, paid; the PaymentIntent succeeded with one charge."""
        self._require_open()
        self.status = "complete"
        self.payment_status = "paid"
        intent = self.payment_intent
        intent.status = "succeeded"
        intent.amount_received = intent.amount
        intent.payment_method = new_id("pm_")
        intent.latest_charge = new_id("ch_")

    def fail(self) -> None:
        """open -> complete, unpaid: an asynchronous payment that was declined."""
        self._require_open()
        self.status = "complete"
        self.payment_intent.payment_method = new_id("pm_")
        self.payment_intent.last_payment_error = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }

    def _require_open(self) -> None:
        if not self.is_open:
            raise ValueError(f"checkout session {self.id} is {self.status}, not open")


@dataclass
class StoredResponse:
    status: int
    body: bytes
    request_id: str


@dataclass
class IdempotencyEntry:
    """A key's first request: where it went, with what, and (once done) its answer."""

    endpoint: str
    params: object
    created: int
    response: StoredResponse | None = None


@dataclass
class IdempotencyStore:
    """Keys kept 24 hours from first use, as on Stripe; expired ones are dropped lazily."""

    entries: dict[str, IdempotencyEntry] = field(default_factory=dict)

    def get(self, key: str, now: int) -> IdempotencyEntry | None:
        self._purge(now)
        return self.entries.get(key)

    def reserve(self, key: str, endpoint: str, params: object, now: int) -> IdempotencyEntry:
        """Mark ``key`` as taken by a request now running (its response still unknown)."""
        entry = IdempotencyEntry(endpoint=endpoint, params=params, created=now)
        self.entries[key] = entry
        return entry

    def release(self, key: str) -> None:
        self.entries.pop(key, None)

    def _purge(self, now: int) -> None:
        stale = [
            key
            for key, entry in self.entries.items()
            if now - entry.created >= IDEMPOTENCY_TTL_SECONDS
        ]
        for key in stale:
            del self.entries[key]


@dataclass
class SandboxState:
    """Everything one sandbox app remembers. ``undelivered`` lists event ids whose webhook
    failed (Stripe would retry them; the router heals by reading statuses)."""

    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    intents: dict[str, SessionRecord] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    undelivered: list[str] = field(default_factory=list)
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)

    def add_session(self, record: SessionRecord) -> None:
        self.sessions[record.id] = record
        self.intents[record.payment_intent.id] = record
