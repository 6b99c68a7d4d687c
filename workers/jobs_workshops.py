"""Workshop jobs: schedule a confirmed round's workshops and invite everyone (once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coordinator import db
from coordinator.models import Event, Invitation, Round, RoundStatus
from coordinator.services import invitations, rsvp, workshops
from workers.context import with_app_context


@with_app_context
def schedule_workshops(event_id: int) -> dict[str, Any]:
    session = db.session()
    event = session.get(Event, event_id)
    round_ = session.get(Round, event.round_id, with_for_update=True) if event else None
    if round_ is None or round_.status != RoundStatus.CONFIRMED:
        return {"skipped": "round not confirmed"}
    result = workshops.schedule(session, round_)
    _invite(session, round_)
    session.commit()
    return {"scheduled": len(result["schedule"]), "unscheduled": len(result["unscheduled"])}


def _invite(session: Any, round_: Round) -> None:
    for invitation in session.scalars(select(Invitation).where(
            Invitation.round_id == round_.id).order_by(Invitation.id)):
        invitations.send_notice(session, round_, invitation, "invited")


@with_app_context
def reschedule_group(event_id: int) -> dict[str, Any]:
    """After an "I can't" RSVP: move that group only. The round row is held for the whole
    job, so two re-schedules of one round run one after the other and see each other's seats."""
    session = db.session()
    event = session.get(Event, event_id)
    if event is None:
        return {"skipped": "no event"}
    outcome = rsvp.reschedule_group(session, event.subject_id)
    session.commit()
    return outcome
