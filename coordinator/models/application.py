"""A visitor's application and their ranked host choices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.db import Base
from coordinator.models._types import UTCDateTime, utcnow

MAX_CHOICES = 5


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One live application per person and round; a withdrawn one may be replaced.
        Index(
            "uq_applications_round_email_live",
            "round_id",
            "email",
            unique=True,
            sqlite_where=text("status != 'withdrawn'"),
            postgresql_where=text("status != 'withdrawn'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Stored lower-cased and trimmed: the identity of the person within a round.
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200))
    org_level: Mapped[str] = mapped_column(String(20))
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    learning_goal: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_to_any: Mapped[bool] = mapped_column(Boolean, default=False)
    weeks: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_km: Mapped[int] = mapped_column(Integer, default=250)
    language: Mapped[str] = mapped_column(String(2), default="da")
    team_mate_email: Mapped[str | None] = mapped_column(String(254))
    manager_name: Mapped[str] = mapped_column(String(200))
    manager_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    choices: Mapped[list[ApplicationChoice]] = relationship(
        back_populates="application",
        order_by="ApplicationChoice.rank",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def ranked_host_ids(self) -> list[int]:
        return [choice.host_id for choice in self.choices]


class ApplicationChoice(Base):
    __tablename__ = "application_choices"
    __table_args__ = (
        UniqueConstraint("application_id", "rank"),
        UniqueConstraint("application_id", "host_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)

    application: Mapped[Application] = relationship(back_populates="choices")
