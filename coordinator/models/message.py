"""One row per email: the record of what is to be sent and what happened to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.db import Base
from coordinator.models._types import UTCDateTime, utcnow

# pending -> sending -> sent | failed | bounced (bounced/dropped come from the webhook).
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "bounced")


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # template + subject object + recipient + version: the same message is never queued twice.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(60), index=True)
    language: Mapped[str] = mapped_column(String(2))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    round_id: Mapped[int | None] = mapped_column(Integer, index=True)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When a worker claimed the row; a row left in "sending" past the lease is reclaimed.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Not before this moment (429 X-RateLimit-Reset, backoff after 5xx).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A send whose outcome is unknown (timeout after the request left) may have been delivered:
    # the retry can produce one duplicate, and the coordinator should see that.
    possible_duplicate: Mapped[bool] = mapped_column(default=False, server_default=false())


class MessageAttachment(Base):
    """Stored bytes, so a retry sends exactly what the first attempt sent."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class MessageEvent(Base):
    """A provider webhook event, stored once: SendGrid retries batches."""

    __tablename__ = "message_events"
    __table_args__ = (UniqueConstraint("sg_message_id", "event", "timestamp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sg_message_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(40))
    timestamp: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class UndeliverableAddress(Base):
    """An address the provider bounced or dropped: the coordinator must reach them otherwise."""

    __tablename__ = "undeliverable_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
