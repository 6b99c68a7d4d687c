"""Writing to the event outbox, always inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from coordinator.models import Event
from coordinator.models._types import utcnow


def record_event(
    session: Session,
    kind: str,
    subject_type: str,
    subject_id: int,
    round_id: int | None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Add an event row; it commits (or rolls back) together with the change it describes."""
    event = Event(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        round_id=round_id,
        payload=payload or {},
    )
    session.add(event)
    return event


_INSERT_EVENT = insert(Event.__table__)


def insert_event(connection: Connection, kind: str, subject_type: str, subject_id: int,
                 round_id: int | None) -> None:
    """The same row as ``record_event``, as one Core INSERT on the session's connection and
    no ORM object (hot paths); the statement is built once, so it compiles once."""
    connection.execute(_INSERT_EVENT, {
        "kind": kind, "subject_type": subject_type, "subject_id": subject_id,
        "round_id": round_id, "payload": {}, "created_at": utcnow(), "attempts": 0})
