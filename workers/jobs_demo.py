"""Demo job: seed the demo hosts and applications into the round a coordinator asked for.

Idempotent: the round is locked and must still be empty, so a repeated job (or a second
request) seeds once; a round that is no longer importable ends the request as skipped.
"""

from __future__ import annotations

import logging

from coordinator import db
from coordinator.models import Event, Round
from coordinator.services.demo_import import (
    DEMO_IMPORT_REQUESTED,
    IMPORTABLE,
    import_demo_data,
    record_demo_outcome,
    round_is_empty,
)
from workers.context import with_app_context

log = logging.getLogger(__name__)


@with_app_context
def import_demo(event_id: int) -> str:
    """Seed the demo named by a ``round.demo_import_requested`` event; returns what happened."""
    session = db.session()
    event = session.get(Event, event_id)
    if event is None or event.kind != DEMO_IMPORT_REQUESTED:
        return "no request"
    round_ = session.get(Round, event.subject_id, with_for_update=True)
    if round_ is None:
        return "no round"
    if round_.status not in IMPORTABLE or not round_is_empty(session, round_.id):
        reason = "not empty" if round_.status in IMPORTABLE else f"round is {round_.status}"
        record_demo_outcome(session, round_.id, "round.demo_import_skipped", reason)
        session.commit()
        return f"skipped: {reason}"
    try:
        count = import_demo_data(session, round_, event.payload.get("size", "small"),
                                 event.payload.get("actor_id"))
        session.commit()
    except Exception as exc:
        session.rollback()
        log.exception("demo import for round %s failed", event.subject_id)
        record_demo_outcome(session, event.subject_id, "round.demo_import_failed",
                            type(exc).__name__)
        session.commit()
        raise
    return f"imported {count} applications"
