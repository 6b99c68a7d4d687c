"""Workshop invitations by email: one message per person and invitation, with a calendar
invitation (.ics) and a signed RSVP link for that person.

The calendar UID is stable per group (host + week) and kind, so when a group is moved the
new invitation *updates* the entry already in everyone's calendar (same UID, SEQUENCE + 1);
a group left without a session gets a CANCEL with the next SEQUENCE.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator.models import Application, Host, Invitation, Placement, Round, WorkshopSession
from coordinator.services.calendar import invitation_ics
from coordinator.services.links import external_url, make_token
from coordinator.services.offers import queue_and_announce

START, END = dt.time(10, 0), dt.time(15, 0)
Notice = Literal["invited", "moved", "cancelled"]
TITLES = {"prep": "Forberedende workshop / preparation workshop",
          "followup": "Opfølgende workshop / follow-up workshop"}


class Person(NamedTuple):
    """Someone of a placement group; ``key`` ("h<host id>" / "a<application id>") names them
    in signed links and audit rows instead of their name or email."""

    key: str
    name: str
    email: str
    language: str


def group_people(session: Session, invitation: Invitation) -> list[Person]:
    """The host contact and the accepted visitors of the invitation's group."""
    host = session.get(Host, invitation.host_id)
    people = [Person(f"h{host.id}", host.contact_name, host.contact_email, host.language)]
    for app in session.scalars(select(Application).join(
            Placement, Placement.application_id == Application.id).where(
            Placement.round_id == invitation.round_id, Placement.host_id == invitation.host_id,
            Placement.week == invitation.week, Placement.status == "accepted")
            .order_by(Application.id)):
        people.append(Person(f"a{app.id}", app.name, app.email, app.language))
    return people


def kind_of(session: Session, invitation: Invitation) -> str:
    return session.get(WorkshopSession, invitation.session_id).kind


def group_history(session: Session, invitation: Invitation) -> list[Invitation]:
    """Every invitation of this group to a session of this kind, oldest first."""
    return list(session.scalars(select(Invitation).join(
        WorkshopSession, WorkshopSession.id == Invitation.session_id).where(
        Invitation.round_id == invitation.round_id, Invitation.host_id == invitation.host_id,
        Invitation.week == invitation.week,
        WorkshopSession.kind == kind_of(session, invitation)).order_by(Invitation.id)))


def calendar_uid(session: Session, invitation: Invitation) -> str:
    return (f"workshop-{kind_of(session, invitation)}-r{invitation.round_id}"
            f"-h{invitation.host_id}-{invitation.week}@innovation-internship")


def ics_sequence(session: Session, invitation: Invitation) -> int:
    """How many times this group's entry of this kind changed before this invitation."""
    return session.scalar(select(func.count()).select_from(Invitation).join(
        WorkshopSession, WorkshopSession.id == Invitation.session_id).where(
        Invitation.round_id == invitation.round_id, Invitation.host_id == invitation.host_id,
        Invitation.week == invitation.week, Invitation.id < invitation.id,
        WorkshopSession.kind == kind_of(session, invitation))) or 0


def rsvp_url(invitation_id: int, person_key: str, language: str = "da") -> str:
    """The person's own link; the page opens in their language (Danish unless English)."""
    token = make_token("workshop-rsvp", invitation_id, person_key)
    return external_url(f"/rsvp/{token}" + ("?lang=en" if language == "en" else ""))


def send_notice(session: Session, round_: Round, invitation: Invitation,
                notice: Notice = "invited") -> int:
    """Email every person of the group about ``invitation``; returns how many were queued.

    ``invited``: the first invitation; ``moved``: the group's new session (it replaces the old
    one in the calendar); ``cancelled``: the group has no session of this kind any more.
    """
    ws = session.get(WorkshopSession, invitation.session_id)
    uid = calendar_uid(session, invitation)
    sequence = ics_sequence(session, invitation) + (1 if notice == "cancelled" else 0)
    method = "CANCEL" if notice == "cancelled" else "REQUEST"
    start, end = dt.datetime.combine(ws.date, START), dt.datetime.combine(ws.date, END)
    people = group_people(session, invitation)
    for person in people:
        ics = invitation_ics(uid, sequence, TITLES.get(ws.kind, ws.kind), start, end, ws.venue,
                             current_app.config["EMAIL_FROM"], [person.email], method=method)
        context = {"name": person.name, "kind": ws.kind, "date": ws.date.isoformat(),
                   "start_time": START.strftime("%H:%M"), "end_time": END.strftime("%H:%M"),
                   "venue": ws.venue, "rsvp_url": rsvp_url(invitation.id, person.key, person.language)}
        if notice != "invited":
            context["cancelled"] = notice == "cancelled"
        queue_and_announce(
            session, round_.id,
            template="workshop_invitation" if notice == "invited" else "workshop_changed",
            language=person.language, recipient=person.email,
            dedup_key=f"workshop-{notice}-{invitation.id}-{person.key}", context=context,
            attachments=[("invitation.ics", f"text/calendar; method={method}", ics)])
    return len(people)
