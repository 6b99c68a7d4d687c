"""A placement (visitor + host + week) from a published run, and its three-way consent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.db import Base
from coordinator.models._types import UTCDateTime, utcnow

PARTIES = ("host", "visitor", "manager")
OPEN_STATUSES = ("offered",)


class Placement(Base):
    __tablename__ = "placements"
    __table_args__ = (UniqueConstraint("run_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("solver_runs.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    week: Mapped[str | None] = mapped_column(String(8))
    rank: Mapped[int | None] = mapped_column(Integer)
    km: Mapped[int | None] = mapped_column(Integer)
    # offered -> accepted | declined | expired | withdrawn
    status: Mapped[str] = mapped_column(String(20), default="offered", index=True)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    consents: Mapped[list[Consent]] = relationship(
        back_populates="placement", order_by="Consent.id", lazy="selectin",
        cascade="all, delete-orphan")


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("placement_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"),
                                              index=True)
    party: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254))
    # pending -> accepted | declined
    status: Mapped[str] = mapped_column(String(10), default="pending")
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Why they declined: "<code>" or "<code>: <their words>" (personal data, erased with them).
    reason: Mapped[str | None] = mapped_column(Text)

    placement: Mapped[Placement] = relationship(back_populates="consents")
