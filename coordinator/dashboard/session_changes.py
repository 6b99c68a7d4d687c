"""Workshop sessions as coordinators plan and change them.

A change of date or venue reaches everyone invited to the session: one "workshop_changed"
email each, with a calendar update that carries the entry's stable UID and a higher
SEQUENCE (the number of earlier invitations of the group plus the number of edits of the
session), so calendars replace the old entry instead of adding a second. The people, the
UID and the RSVP links come from coordinator.services.invitations; nothing is sent from
the request: the messages are outbox rows, delivered by the email worker.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator.models import AuditEntry, Invitation, Round, WorkshopSession
from coordinator.services.audit import record_audit
from coordinator.services.offers import queue_and_announce
from coordinator.services.workshops import VENUES

# An invitation still holding its seat (moved / cancelled ones point elsewhere now).
LIVE_RSVP = ("pending", "accepted", "declined")
KINDS = ("prep", "followup")


def live_invitations(session: Session, session_id: int) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(
        Invitation.session_id == session_id, Invitation.rsvp.in_(LIVE_RSVP))
        .order_by(Invitation.id)))


def session_loads(session: Session, round_id: int) -> dict[int, int]:
    """People per session from its live invitations."""
    rows = session.execute(
        select(Invitation.session_id, func.coalesce(func.sum(Invitation.people), 0))
        .where(Invitation.round_id == round_id, Invitation.rsvp.in_(LIVE_RSVP))
        .group_by(Invitation.session_id)).all()
    return {session_id: int(load) for session_id, load in rows}


def recipients(session: Session, ws: WorkshopSession) -> list[tuple[Invitation, Any]]:
    """(invitation, person) for everyone who would get the updated calendar entry."""
    from coordinator.services.invitations import group_people

    return [(invitation, person) for invitation in live_invitations(session, ws.id)
            for person in group_people(session, invitation)]


def venue_by_id(venue_id: str) -> dict[str, Any] | None:
    return next((v for v in VENUES if v["id"] == venue_id), None)


def add_session(session: Session, round_: Round, kind: str, date: dt.date, venue: dict[str, Any],
                capacity: int, actor_id: int | None) -> WorkshopSession:
    ws = WorkshopSession(round_id=round_.id, kind=kind, date=date, venue=venue["name"],
                         lat=venue["lat"], lon=venue["lon"], capacity=capacity)
    session.add(ws)
    session.flush()
    record_audit(session, actor_id, "workshop_session.create", "workshop_session", ws.id, None,
                 {"kind": kind, "date": date.isoformat(), "venue": venue["name"],
                  "capacity": capacity})
    return ws


def _edits_so_far(session: Session, ws: WorkshopSession) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "workshop_session", AuditEntry.object_id == ws.id,
        AuditEntry.action == "workshop_session.edit")) or 0


def change_session(session: Session, ws: WorkshopSession, date: dt.date,
                   venue: dict[str, Any], actor_id: int | None) -> int:
    """Move the session and queue the calendar updates; how many people are told."""
    from coordinator.services import invitations as invites
    from coordinator.services.calendar import invitation_ics

    before = {"date": ws.date.isoformat(), "venue": ws.venue}
    ws.date, ws.venue, ws.lat, ws.lon = date, venue["name"], venue["lat"], venue["lon"]
    edit = _edits_so_far(session, ws) + 1
    record_audit(session, actor_id, "workshop_session.edit", "workshop_session", ws.id, before,
                 {"date": date.isoformat(), "venue": ws.venue})
    session.flush()
    start, end = dt.datetime.combine(date, invites.START), dt.datetime.combine(date, invites.END)
    told = 0
    for invitation, person in recipients(session, ws):
        sequence = invites.ics_sequence(session, invitation) + edit
        ics = invitation_ics(invites.calendar_uid(session, invitation), sequence,
                             invites.TITLES.get(ws.kind, ws.kind), start, end, ws.venue,
                             current_app.config["EMAIL_FROM"], [person.email])
        queue_and_announce(
            session, ws.round_id, template="workshop_changed", language=person.language,
            recipient=person.email,
            dedup_key=f"workshop-edited-{ws.id}-{edit}-{invitation.id}-{person.key}",
            context={"name": person.name, "cancelled": False, "kind": ws.kind,
                     "date": date.isoformat(), "start_time": invites.START.strftime("%H:%M"),
                     "end_time": invites.END.strftime("%H:%M"), "venue": ws.venue,
                     "rsvp_url": invites.rsvp_url(invitation.id, person.key, person.language)},
            attachments=[("invitation.ics", "text/calendar; method=REQUEST", ics)])
        told += 1
    return told
