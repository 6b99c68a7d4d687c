"""Workshop sessions of a round and the invitations of placement groups to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.db import Base
from coordinator.models._types import UTCDateTime, utcnow


class WorkshopSession(Base):
    __tablename__ = "workshop_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # prep | followup
    date: Mapped[dt.date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(2))


class Invitation(Base):
    """A placement group (host + week) invited to one session; RSVP per group."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("session_id", "host_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    people: Mapped[int] = mapped_column(Integer)
    rsvp: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
