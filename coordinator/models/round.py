"""An internship round: its window, weeks and lifecycle state."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.db import Base
from coordinator.models._types import UTCDateTime, utcnow


class RoundStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    MATCHING = "matching"
    REVIEW = "review"
    OFFERS = "offers"
    CONFIRMED = "confirmed"
    WORKSHOPS = "workshops"
    DONE = "done"


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=RoundStatus.DRAFT, index=True)
    # ISO weeks ("2027-W37") in which visits may take place.
    weeks: Mapped[list[str]] = mapped_column(JSON, default=list)
    applications_close_on: Mapped[dt.date | None] = mapped_column(Date)
    response_days: Mapped[int] = mapped_column(Integer, default=5)
    default_max_km: Mapped[int] = mapped_column(Integer, default=250)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN
