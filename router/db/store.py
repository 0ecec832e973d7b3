"""The store: every query the service makes, each in its own short transaction.

Nothing here holds a transaction across a provider call. Decisions that must hold across
processes (one session per idempotency key, one processing per provider event, a terminal
status never changing) are made by the database through unique constraints and guarded
updates, never by an in-process lock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from router.db.models import (
    Application,
    Attempt,
    CheckoutSession,
    IdempotencyRecord,
    MerchantWebhook,
    ProviderEvent,
    ServiceKey,
)

PENDING = "PENDING"
_SESSION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_session_id(value: str) -> bool:
    """True for the canonical UUID text payrouter gives sessions (anything else, including
    bytes PostgreSQL refuses such as NUL, cannot name a session)."""
    return bool(_SESSION_ID.match(value))


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming an idempotency key.

    ``new``: this request owns the key and must run (``session_id`` is the session to
    create, the same one again when a dead request is taken over); ``replay``: return the
    stored response; ``mismatch``: the key was used with another body; ``in_use``: the first
    request with this key is still running.
    """

    kind: Literal["new", "replay", "mismatch", "in_use"]
    session_id: str | None = None
    response_status: int | None = None
    response_body: str | None = None


@dataclass(frozen=True)
class IdempotencyOutcome:
    application_id: str
    key: str
    response_status: int
    response_body: str


class Store:
    """Repository over one engine. Methods commit their own short transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def _tx(self) -> AsyncSession:
        return self._sessions()

    async def ping(self) -> None:
        """Raises when the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    # -- service keys -------------------------------------------------------------------
    async def get_or_create_key(self, name: str, candidate: str, now: datetime) -> str:
        """The stored key ``name``; the first caller's ``candidate`` wins across processes."""
        async with self._tx() as tx:
            existing = await tx.get(ServiceKey, name)
            if existing is not None:
                return existing.value
        try:
            async with self._tx() as tx, tx.begin():
                tx.add(ServiceKey(name=name, value=candidate, created_at=now))
        except IntegrityError:
            pass
        async with self._tx() as tx:
            stored = await tx.get(ServiceKey, name)
            assert stored is not None
            return stored.value

    # -- applications ---------------------------------------------------------------------
    async def add_application(self, application: Application) -> None:
        async with self._tx() as tx, tx.begin():
            tx.add(application)

    async def application_by_client_id(self, client_id: str) -> Application | None:
        async with self._tx() as tx:
            result = await tx.execute(select(Application).where(Application.client_id == client_id))
            return result.scalar_one_or_none()

    async def application(self, application_id: str) -> Application | None:
        async with self._tx() as tx:
            return await tx.get(Application, application_id)

    # -- idempotency ----------------------------------------------------------------------
    async def claim_idempotency(
        self,
        application_id: str,
        key: str,
        request_hash: str,
        *,
        now: datetime,
        lock_for: timedelta,
        retain_for: timedelta,
    ) -> Claim:
        """Claim ``key`` for this request; the unique constraint decides between racers."""
        for _ in range(3):
            session_id = str(uuid.uuid4())
            try:
                async with self._tx() as tx, tx.begin():
                    tx.add(
                        IdempotencyRecord(
                            id=str(uuid.uuid4()),
                            application_id=application_id,
                            key=key,
                            request_hash=request_hash,
                            state="in_progress",
                            session_id=session_id,
                            locked_until=now + lock_for,
                            created_at=now,
                            expires_at=now + retain_for,
                        )
                    )
                return Claim("new", session_id=session_id)
            except IntegrityError:
                pass
            claim = await self._existing_claim(application_id, key, request_hash, now, lock_for)
            if claim is not None:
                return claim
        return Claim("in_use")

    async def _existing_claim(
        self,
        application_id: str,
        key: str,
        request_hash: str,
        now: datetime,
        lock_for: timedelta,
    ) -> Claim | None:
        """Judge a key already stored; ``None`` means it vanished or expired: insert again."""
        async with self._tx() as tx, tx.begin():
            record = (
                await tx.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.application_id == application_id,
                        IdempotencyRecord.key == key,
                    )
                )
            ).scalar_one_or_none()
            if record is None:
                return None
            if record.expires_at <= now:
                await tx.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
                return None
            if record.request_hash != request_hash:
                return Claim("mismatch")
            if record.state == "completed":
                return Claim(
                    "replay",
                    session_id=record.session_id,
                    response_status=record.response_status,
                    response_body=record.response_body,
                )
            if record.locked_until > now:
                return Claim("in_use")
            # The request that held the key died with its process: take it over, guarded
            # so that only one of several retries wins.
            taken = await tx.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record.id,
                    IdempotencyRecord.state == "in_progress",
                    IdempotencyRecord.locked_until == record.locked_until,
                )
                .values(locked_until=now + lock_for)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return Claim("in_use")
            return Claim("new", session_id=record.session_id)

    async def release_idempotency(self, application_id: str, key: str) -> None:
        """Forget a claim whose request ended without a response worth keeping."""
        async with self._tx() as tx, tx.begin():
            await tx.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.application_id == application_id,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.state == "in_progress",
                )
            )

    async def purge_idempotency(self, now: datetime) -> int:
        """Delete keys past their retention; returns how many went."""
        async with self._tx() as tx, tx.begin():
            result = await tx.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    async def _complete_idempotency(tx: AsyncSession, outcome: IdempotencyOutcome) -> None:
        await tx.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.application_id == outcome.application_id,
                IdempotencyRecord.key == outcome.key,
            )
            .values(
                state="completed",
                response_status=outcome.response_status,
                response_body=outcome.response_body,
            )
        )

    # -- sessions and attempts ------------------------------------------------------------
    async def insert_session_if_absent(self, row: CheckoutSession) -> CheckoutSession:
        """Insert a new session, or return the one already stored under its id (takeover)."""
        async with self._tx() as tx, tx.begin():
            existing = await tx.get(CheckoutSession, row.id)
            if existing is not None:
                return existing
            tx.add(row)
            return row

    async def next_attempt_seq(self, session_id: str) -> int:
        async with self._tx() as tx:
            rows = await tx.execute(select(Attempt.seq).where(Attempt.session_id == session_id))
            return max((seq for (seq,) in rows), default=0) + 1

    async def add_attempt(self, attempt: Attempt) -> None:
        async with self._tx() as tx, tx.begin():
            tx.add(attempt)

    async def finish_attempt(self, attempt_id: str, **values: Any) -> None:
        async with self._tx() as tx, tx.begin():
            await tx.execute(update(Attempt).where(Attempt.id == attempt_id).values(**values))

    async def attempts(self, session_id: str) -> Sequence[Attempt]:
        async with self._tx() as tx:
            result = await tx.execute(
                select(Attempt).where(Attempt.session_id == session_id).order_by(Attempt.seq)
            )
            return result.scalars().all()

    async def conclude_checkout(
        self,
        session_id: str,
        session_values: dict[str, Any],
        idempotency: IdempotencyOutcome | None,
    ) -> None:
        """Store the creation's result and the response to replay, in one transaction."""
        async with self._tx() as tx, tx.begin():
            await tx.execute(
                update(CheckoutSession)
                .where(CheckoutSession.id == session_id)
                .values(**session_values)
            )
            if idempotency is not None:
                await self._complete_idempotency(tx, idempotency)
            status = session_values.get("status")
            if status is not None and status != PENDING:
                await self._enqueue_notification(
                    tx, session_id, status, session_values["updated_at"]
                )

    async def session(
        self, session_id: str, application_id: str | None = None
    ) -> CheckoutSession | None:
        """A session by id; with ``application_id`` only if that application owns it."""
        if not is_session_id(session_id):
            return None
        async with self._tx() as tx:
            row = await tx.get(CheckoutSession, session_id)
            if row is None or (application_id is not None and row.application_id != application_id):
                return None
            return row

    async def session_by_reference(self, provider: str, reference: str) -> CheckoutSession | None:
        async with self._tx() as tx:
            result = await tx.execute(
                select(CheckoutSession).where(
                    CheckoutSession.provider == provider,
                    CheckoutSession.provider_reference == reference,
                )
            )
            return result.scalars().first()

    async def list_sessions(
        self,
        application_id: str,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[CheckoutSession]:
        """Newest first; ``after`` is the (created_at, id) of the last row already seen."""
        query = select(CheckoutSession).where(CheckoutSession.application_id == application_id)
        if after is not None:
            created_at, last_id = after
            query = query.where(
                or_(
                    CheckoutSession.created_at < created_at,
                    and_(CheckoutSession.created_at == created_at, CheckoutSession.id < last_id),
                )
            )
        query = query.order_by(CheckoutSession.created_at.desc(), CheckoutSession.id.desc())
        async with self._tx() as tx:
            result = await tx.execute(query.limit(limit))
            return list(result.scalars().all())

    async def request_cancel(self, session_id: str, now: datetime) -> None:
        async with self._tx() as tx, tx.begin():
            await tx.execute(
                update(CheckoutSession)
                .where(CheckoutSession.id == session_id, CheckoutSession.status == PENDING)
                .values(cancel_requested_at=now)
            )

    async def latest_requests(self, limit: int) -> list[tuple[str, str]]:
        """(routing key, stored request JSON) of the newest ``limit`` sessions, any application."""
        query = (
            select(CheckoutSession.idempotency_key, CheckoutSession.request_json)
            .order_by(CheckoutSession.created_at.desc(), CheckoutSession.id.desc())
            .limit(limit)
        )
        async with self._tx() as tx:
            return [(key, body) for key, body in await tx.execute(query)]

    async def transition(
        self, session_id: str, new_status: str, now: datetime, failure_code: str | None = None
    ) -> bool:
        """Move a PENDING session to ``new_status``; False when it was no longer PENDING.

        The WHERE clause is the guarantee that a terminal status never changes, whatever
        arrives late or twice, in any process.
        """
        async with self._tx() as tx, tx.begin():
            return await self._transition(tx, session_id, new_status, now, failure_code)

    @staticmethod
    async def _transition(
        tx: AsyncSession, session_id: str, new_status: str, now: datetime, failure_code: str | None
    ) -> bool:
        values: dict[str, Any] = {"status": new_status, "updated_at": now, "status_changed_at": now}
        if failure_code is not None:
            values["failure_code"] = failure_code
        result = await tx.execute(
            update(CheckoutSession)
            .where(CheckoutSession.id == session_id, CheckoutSession.status == PENDING)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await Store._enqueue_notification(tx, session_id, new_status, now)
        return True

    async def enqueue_event_notification(
        self, session_id: str, event_type: str, now: datetime
    ) -> bool:
        """Queue a merchant webhook of ``event_type`` once per session; False if already."""
        try:
            async with self._tx() as tx, tx.begin():
                return await self._enqueue(tx, session_id, event_type, now)
        except IntegrityError:
            return False

    @staticmethod
    async def _enqueue_notification(
        tx: AsyncSession, session_id: str, status: str, now: datetime
    ) -> None:
        """Queue the merchant's webhook in the transaction that made the change (outbox)."""
        await Store._enqueue(tx, session_id, f"session.{status.lower()}", now)

    @staticmethod
    async def _enqueue(tx: AsyncSession, session_id: str, event_type: str, now: datetime) -> bool:
        row = (
            await tx.execute(
                select(Application.id, Application.webhook_url)
                .join(CheckoutSession, CheckoutSession.application_id == Application.id)
                .where(CheckoutSession.id == session_id)
            )
        ).first()
        if row is None or not row.webhook_url:
            return False
        tx.add(
            MerchantWebhook(
                id=f"msg_{uuid.uuid4().hex}",
                application_id=row.id,
                session_id=session_id,
                event_type=event_type,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        await tx.flush()
        return True

    # -- reconciliation -------------------------------------------------------------------
    async def due_for_reconciliation(
        self, now: datetime, created_before: datetime, limit: int
    ) -> list[str]:
        """Ids of PENDING sessions to look at now: old enough and due for a check, or past
        their expiry; none that another process holds a live lease on."""
        query = (
            select(CheckoutSession.id)
            .where(
                CheckoutSession.status == PENDING,
                # Old enough to check, or past its expiry; either way not before it is due
                # again, so sessions waiting out a grace period cannot crowd out the rest.
                or_(
                    CheckoutSession.created_at <= created_before,
                    CheckoutSession.expires_at <= now,
                ),
                or_(CheckoutSession.next_check_at.is_(None), CheckoutSession.next_check_at <= now),
                or_(CheckoutSession.lease_until.is_(None), CheckoutSession.lease_until < now),
            )
            .order_by(CheckoutSession.created_at)
            .limit(limit)
        )
        async with self._tx() as tx:
            return [row for (row,) in await tx.execute(query)]

    async def lease(self, session_id: str, now: datetime, until: datetime) -> bool:
        """Take a session for reconciliation; False when another process holds it."""
        async with self._tx() as tx, tx.begin():
            result = await tx.execute(
                update(CheckoutSession)
                .where(
                    CheckoutSession.id == session_id,
                    CheckoutSession.status == PENDING,
                    or_(CheckoutSession.lease_until.is_(None), CheckoutSession.lease_until < now),
                )
                .values(lease_until=until)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release_lease(self, session_id: str, next_check_at: datetime) -> None:
        async with self._tx() as tx, tx.begin():
            await tx.execute(
                update(CheckoutSession)
                .where(CheckoutSession.id == session_id)
                .values(lease_until=None, next_check_at=next_check_at)
            )

    # -- merchant notifications -----------------------------------------------------------
    async def due_notifications(self, now: datetime, limit: int) -> list[str]:
        query = (
            select(MerchantWebhook.id)
            .where(
                MerchantWebhook.state == "pending",
                MerchantWebhook.next_attempt_at <= now,
                or_(MerchantWebhook.lease_until.is_(None), MerchantWebhook.lease_until < now),
            )
            .order_by(MerchantWebhook.next_attempt_at)
            .limit(limit)
        )
        async with self._tx() as tx:
            return [row for (row,) in await tx.execute(query)]

    async def lease_notification(
        self, message_id: str, now: datetime, until: datetime
    ) -> MerchantWebhook | None:
        """Take one notification to deliver; None when another process has it."""
        async with self._tx() as tx, tx.begin():
            result = await tx.execute(
                update(MerchantWebhook)
                .where(
                    MerchantWebhook.id == message_id,
                    MerchantWebhook.state == "pending",
                    or_(MerchantWebhook.lease_until.is_(None), MerchantWebhook.lease_until < now),
                )
                .values(lease_until=until)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await tx.get(MerchantWebhook, message_id)

    async def settle_notification(self, message_id: str, **values: Any) -> None:
        async with self._tx() as tx, tx.begin():
            await tx.execute(
                update(MerchantWebhook)
                .where(MerchantWebhook.id == message_id)
                .values(lease_until=None, **values)
            )

    async def outcome_counts(self, since: datetime) -> list[tuple[str, str, str, str, int]]:
        """(provider, currency, method, outcome, count) since ``since``.

        ``outcome`` is ``success`` (a session COMPLETED at that provider) or ``failure`` (a
        session FAILED there, or an attempt the provider failed with a retryable error: a
        request it refused as invalid is the request's fault, not the provider's). Sessions
        still PENDING (a crypto payment confirming), CANCELLED or EXPIRED (a payer who left)
        count for nothing: they say nothing about the provider.
        """
        settled = (
            select(
                CheckoutSession.provider,
                CheckoutSession.currency,
                CheckoutSession.payment_method,
                CheckoutSession.status,
                func.count(),
            )
            .where(
                CheckoutSession.provider.is_not(None),
                CheckoutSession.created_at >= since,
                CheckoutSession.status.in_(("COMPLETED", "FAILED")),
            )
            .group_by(
                CheckoutSession.provider,
                CheckoutSession.currency,
                CheckoutSession.payment_method,
                CheckoutSession.status,
            )
        )
        failed_attempts = (
            select(
                Attempt.provider,
                CheckoutSession.currency,
                CheckoutSession.payment_method,
                func.count(),
            )
            .join(CheckoutSession, CheckoutSession.id == Attempt.session_id)
            .where(
                Attempt.status == "failed",
                Attempt.retryable.is_(True),
                Attempt.started_at >= since,
            )
            .group_by(Attempt.provider, CheckoutSession.currency, CheckoutSession.payment_method)
        )
        rows: list[tuple[str, str, str, str, int]] = []
        async with self._tx() as tx:
            for provider, currency, method, status, count in await tx.execute(settled):
                outcome = "success" if status == "COMPLETED" else "failure"
                rows.append((str(provider), currency, method, outcome, int(count)))
            for provider, currency, method, count in await tx.execute(failed_attempts):
                rows.append((provider, currency, method, "failure", int(count)))
        return rows

    async def recent_attempts(
        self, since: datetime, limit: int
    ) -> list[tuple[str, str, int | None, datetime]]:
        """(provider, status, latency_ms, started_at) of finished attempts, newest first.

        A non-retryable failure (the provider refused the request itself: a bad amount, a
        wrong key) says nothing of the provider's health and is left out.
        """
        query = (
            select(Attempt.provider, Attempt.status, Attempt.latency_ms, Attempt.started_at)
            .where(
                Attempt.started_at >= since,
                Attempt.status != "started",
                or_(Attempt.status == "succeeded", Attempt.retryable.is_(True)),
            )
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
            .limit(limit)
        )
        async with self._tx() as tx:
            return [(p, st, lat, at) for p, st, lat, at in await tx.execute(query)]

    # -- provider events ------------------------------------------------------------------
    async def record_event(
        self,
        *,
        provider: str,
        event_id: str,
        event_type: str,
        session_id: str | None,
        outcome: str,
        now: datetime,
        transition_to: str | None = None,
    ) -> tuple[bool, bool]:
        """Record a provider event once and apply its status change in the same transaction.

        Returns ``(first_time, changed)``: ``first_time`` is False for a duplicate delivery
        (nothing is applied then); ``changed`` says whether the session moved.
        """
        try:
            async with self._tx() as tx, tx.begin():
                tx.add(
                    ProviderEvent(
                        id=str(uuid.uuid4()),
                        provider=provider,
                        event_id=event_id,
                        event_type=event_type,
                        session_id=session_id,
                        outcome=outcome,
                        received_at=now,
                    )
                )
                await tx.flush()
                changed = False
                if transition_to is not None and session_id is not None:
                    changed = await self._transition(tx, session_id, transition_to, now, None)
                return True, changed
        except IntegrityError:
            return False, False

    async def event_seen(self, provider: str, event_id: str) -> bool:
        async with self._tx() as tx:
            result = await tx.execute(
                select(ProviderEvent.id).where(
                    ProviderEvent.provider == provider, ProviderEvent.event_id == event_id
                )
            )
            return result.first() is not None
