"""Workshop jobs: schedule a confirmed round's workshops and invite everyone (once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coordinator import db
from coordinator.models import (
    Application,
    Event,
    Host,
    Invitation,
    Placement,
    Round,
    RoundStatus,
    WorkshopSession,
)
from coordinator.services import offers, workshops
from coordinator.services.links import external_url
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
            Invitation.round_id == round_.id)):
        ws = session.get(WorkshopSession, invitation.session_id)
        host = session.get(Host, invitation.host_id)
        people = [(host.contact_email, host.contact_name, host.language)]
        for placement in session.scalars(select(Placement).where(
                Placement.round_id == round_.id, Placement.host_id == host.id,
                Placement.week == invitation.week, Placement.status == "accepted")):
            app = session.get(Application, placement.application_id)
            people.append((app.email, app.name, app.language))
        for email, name, language in people:
            offers.queue_and_announce(
                session, round_id=round_.id, template="workshop_invitation",
                language=language, recipient=email,
                dedup_key=f"invite-{invitation.id}-{email}",
                context={"name": name, "kind": ws.kind, "date": ws.date.isoformat(),
                         "start_time": "10:00", "end_time": "15:00", "venue": ws.venue,
                         "rsvp_url": external_url("/")})
