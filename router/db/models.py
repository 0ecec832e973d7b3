"""The tables. Schema changes go through a new migration in router/migrations/versions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from router.db.types import DecimalText, UTCDateTime


class Base(DeclarativeBase):
    pass


class Application(Base):
    """A merchant application: its credentials and where its notifications go."""

    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of a 256-bit random secret: a slow KDF adds nothing against brute force of
    # that much entropy and would cost every token request.
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    # Kept as is: signing merchant webhooks needs the secret itself.
    webhook_secret: Mapped[str] = mapped_column(String(100))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ServiceKey(Base):
    """Keys the service generates once and every process shares (the JWT signing key)."""

    __tablename__ = "service_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckoutSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_app_created", "application_id", "created_at", "id"),
        Index("ix_sessions_provider_ref", "provider", "provider_reference"),
        Index("ix_sessions_status_expires", "status", "expires_at"),
        Index("ix_sessions_status_next_check", "status", "next_check_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    order_reference: Mapped[str] = mapped_column(String(100))
    # The merchant's Idempotency-Key: also the routing key volume splits hash, so a replay
    # or a what-if of this session lands where the live request did.
    idempotency_key: Mapped[str] = mapped_column(String(255))
    payment_method: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_total: Mapped[Decimal] = mapped_column(DecimalText())
    # The validated request as JSON text (money as strings), for GET and for replays.
    request_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(40))
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    routing_json: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the payer cancels, before the router closes the provider checkout: the
    # provider's own "expired" notice of that closing then means CANCELLED.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Reconciliation: when to ask the provider again, and which process holds the session
    # until when (a lease, so several processes never work on one session at once).
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Attempt(Base):
    """One try at one provider to create a session's checkout."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # started | succeeded | failed
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(1000))
    retryable: Mapped[bool | None] = mapped_column(Boolean)
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdempotencyRecord(Base):
    """A merchant's Idempotency-Key: the unique constraint is what stops duplicates."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("application_id", "key"),
        Index("ix_idempotency_expires", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_progress | completed
    session_id: Mapped[str | None] = mapped_column(String(36))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProviderEvent(Base):
    """A provider notification already processed; the unique key deduplicates deliveries."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    session_id: Mapped[str | None] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MerchantWebhook(Base):
    """The outbox of merchant notifications: written in the transaction that changes a
    session's status, delivered (at least once) from here, so nothing is lost in a crash."""

    __tablename__ = "merchant_webhooks"
    __table_args__ = (
        UniqueConstraint("session_id", "event_type"),
        Index("ix_merchant_webhooks_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the webhook-id header
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
