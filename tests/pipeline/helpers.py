"""Driving the pipeline in tests (the same driver as `make demo`)."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import Consent
from coordinator.services import offers
from workers.drive import drain as _drain


def drain(app: Flask, redis_conn: Redis) -> None:
    _drain(app, redis_conn)


def visitor_declines(session: Session, placement_id: int) -> None:
    """The visitor says no to their offer (recorded, not committed)."""
    visitor = session.scalars(select(Consent).where(
        Consent.placement_id == placement_id, Consent.party == "visitor")).one()
    assert offers.respond(session, visitor, False) == "recorded"
