"""A workplace offering an innovation to learn from, in one round."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.db import Base
from coordinator.models._types import UTCDateTime, utcnow


class Host(Base):
    __tablename__ = "hosts"
    __table_args__ = (
        CheckConstraint("capacity BETWEEN 1 AND 3", name="capacity_range"),
        CheckConstraint("min_visitors BETWEEN 1 AND capacity", name="min_le_capacity"),
        CheckConstraint("visit_days BETWEEN 2 AND 5", name="visit_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    org_level: Mapped[str] = mapped_column(String(20))
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    innovation_title: Mapped[str] = mapped_column(String(200))
    innovation_description: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(2), default="da")
    min_visitors: Mapped[int] = mapped_column(Integer, default=1)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    weeks: Mapped[list[str]] = mapped_column(JSON, default=list)
    visit_days: Mapped[int] = mapped_column(Integer, default=3)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
