"""What happens to Checkout Sessions, shared by the API and the payer pages.

Each status change sends the event Stripe would send, awaited, so whoever caused it
(an API call, a payer's click) answers only after the router has been told.
"""

from __future__ import annotations

from providers.base import SandboxContext
from providers.sandbox.stripe_drafts import SessionDraft
from providers.sandbox.stripe_events import EventSender
from providers.sandbox.stripe_state import SandboxState, SessionRecord


class Sessions:
    """Create, read (expiring lazily) and settle the sessions of one sandbox."""

    def __init__(self, context: SandboxContext, state: SandboxState, events: EventSender):
        self._context = context
        self._state = state
        self._events = events

    def now(self) -> int:
        """Unix seconds by the sandbox's clock."""
        return int(self._context.clock().timestamp())

    def create(self, draft: SessionDraft) -> SessionRecord:
        record = SessionRecord.create(draft, self.now())
        self._state.add_session(record)
        return record

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, expired first when its ``expires_at`` has passed (sending
        ``checkout.session.expired`` exactly once); ``None`` for an unknown id."""
        record = self._state.sessions.get(session_id)
        if record is not None and record.expire_if_due(self.now()):
            await self._events.emit("checkout.session.expired", record)
        return record

    async def get_by_intent(self, intent_id: str) -> SessionRecord | None:
        record = self._state.intents.get(intent_id)
        return None if record is None else await self.get(record.id)

    async def expire(self, record: SessionRecord) -> None:
        """open -> expired. Raises ``ValueError`` when the session is not open."""
        record.expire(self.now())
        await self._events.emit("checkout.session.expired", record)

    async def pay(self, record: SessionRecord) -> None:
        """open -> complete and paid. Raises ``ValueError`` when the session is not open."""
        record.pay()
        await self._events.emit("checkout.session.completed", record)

    async def fail(self, record: SessionRecord) -> None:
        """open -> complete, unpaid, payment declined. Raises ``ValueError`` when not open."""
        record.fail()
        await self._events.emit("checkout.session.async_payment_failed", record)
