"""Workshop RSVPs: one answer per person and invitation; a "can't come" moves THAT group.

An invitation (group + session) is ``pending`` until everyone said yes (``accepted``); one
"no" makes it ``declined`` and asks for a re-schedule of that group only. The re-schedule
solves the workshop problem for the one group with every other group's seats taken out of
the capacities (so no other invitation changes) and the group's other session fixed; the
group gets a new invitation row (``moved`` on the old one) or, with no session left,
``cancelled``. Answers are audit rows keyed by the person's id key, not by name or email.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import AuditEntry, Invitation, Round, WorkshopSession
from coordinator.models._types import utcnow
from coordinator.services import invitations, workshops
from coordinator.services.audit import record_audit
from coordinator.services.events import record_event

OPEN = ("pending", "accepted")
# Seats an invitation holds: a declined group keeps its seat until it is moved.
HOLDS_SEAT = ("pending", "accepted", "declined")
RESCHEDULE_TIME_LIMIT_S = 5


def replies(session: Session, invitation_id: int) -> dict[str, str]:
    """person key -> "yes" / "no" for one invitation."""
    rows = session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "invitation", AuditEntry.object_id == invitation_id,
        AuditEntry.action.in_(("rsvp.yes", "rsvp.no"))).order_by(AuditEntry.id))
    return {row.after["person"]: row.action.removeprefix("rsvp.") for row in rows}


def is_member(session: Session, invitation: Invitation, person_key: str) -> bool:
    return any(p.key == person_key for p in invitations.group_people(session, invitation))


def answer(session: Session, invitation: Invitation, person_key: str, coming: bool) -> str:
    """Record one person's answer: 'recorded', 'already recorded' or 'no longer open'."""
    session.refresh(invitation, with_for_update=True)
    if person_key in replies(session, invitation.id):
        return "already recorded"
    ws = session.get(WorkshopSession, invitation.session_id)
    if invitation.rsvp not in OPEN or ws.date < utcnow().date():
        return "no longer open"
    record_audit(session, None, "rsvp.yes" if coming else "rsvp.no", "invitation",
                 invitation.id, {"rsvp": invitation.rsvp}, {"person": person_key})
    session.flush()
    if not coming:
        invitation.rsvp = "declined"
        record_event(session, "invitation.declined", "invitation", invitation.id,
                     invitation.round_id, {"person": person_key})
    elif all(replies(session, invitation.id).get(p.key) == "yes"
             for p in invitations.group_people(session, invitation)):
        invitation.rsvp = "accepted"
    return "recorded"


def _seats_taken(session: Session, round_id: int, group: tuple[int, str]) -> dict[int, int]:
    """People per session from every other group's live invitations."""
    taken: dict[int, int] = defaultdict(int)
    for inv in session.scalars(select(Invitation).where(
            Invitation.round_id == round_id, Invitation.rsvp.in_(HOLDS_SEAT))):
        if (inv.host_id, inv.week) != group:
            taken[inv.session_id] += inv.people
    return taken


def _unavailable(session: Session, history: list[Invitation]) -> dict[str, list[str]]:
    """person id ("h1"/"a2") -> dates they said they cannot come on."""
    out: dict[str, list[str]] = defaultdict(list)
    for inv in history:
        date = session.get(WorkshopSession, inv.session_id).date.isoformat()
        for key, reply in replies(session, inv.id).items():
            if reply == "no":
                out[key].append(date)
    return out


def _instance(session: Session, round_: Round, declined: Invitation,
              history: list[Invitation], kind: str, block_dates: bool) -> dict[str, Any] | None:
    """The workshop problem of one group: the sessions it may still move to, with only the
    seats other groups leave free; its session of the other kind fixed (if it has one).
    ``block_dates``: whoever said no cannot come on that date at all (else: not to that
    session, another venue the same day is fine)."""
    group_id = f"h{declined.host_id}@{declined.week}"
    groups = workshops.build_groups(session, round_.id)
    group = next((g for g in groups["groups"] if g["id"] == group_id), None)
    if group is None:
        return None
    unavailable = _unavailable(session, history) if block_dates else {}
    for person in group["people"]:
        person["unavailable"] = unavailable.get(person["id"], [])
    taken = _seats_taken(session, round_.id, (declined.host_id, declined.week))
    refused = {inv.session_id for inv in history}
    kept = session.scalars(select(Invitation).join(
        WorkshopSession, WorkshopSession.id == Invitation.session_id).where(
        Invitation.round_id == round_.id, Invitation.host_id == declined.host_id,
        Invitation.week == declined.week, WorkshopSession.kind != kind,
        Invitation.rsvp.in_(OPEN))).first()
    size = len(group["people"])
    sessions = []
    for ws in session.scalars(select(WorkshopSession).where(
            WorkshopSession.round_id == round_.id).order_by(WorkshopSession.id)):
        free = ws.capacity - taken.get(ws.id, 0)
        if ws.kind == kind:
            if ws.id in refused or free < size:
                continue
            capacity = free
        elif kept is None:
            capacity = max(free, 0)
        elif ws.id == kept.session_id:
            capacity = max(free, size)  # the group is there already
        else:
            continue
        sessions.append({"id": f"s{ws.id}", "kind": ws.kind, "date": ws.date.isoformat(),
                         "lat": ws.lat, "lon": ws.lon, "capacity": capacity,
                         "language": ws.language})
    if not any(s["kind"] == kind for s in sessions):
        return None
    return {"format": "internship-workshops/1", "groups": [group], "sessions": sessions,
            "settings": {**groups["settings"], "time_limit_s": RESCHEDULE_TIME_LIMIT_S}}


def reschedule_group(session: Session, invitation_id: int) -> dict[str, Any]:
    """Move the group of a declined invitation to another session of the same kind, or
    cancel its session of that kind when none fits. Idempotent: only a ``declined``
    invitation is acted on. The caller commits (and holds the round row: one at a time)."""
    declined = session.get(Invitation, invitation_id)
    if declined is None:
        return {"skipped": "no invitation"}
    round_ = session.get(Round, declined.round_id, with_for_update=True)
    session.refresh(declined)
    if declined.rsvp != "declined":
        return {"skipped": declined.rsvp}
    kind = invitations.kind_of(session, declined)
    history = invitations.group_history(session, declined)
    target = None
    # Another date first; failing that, another session on the same date.
    for block_dates in (True, False):
        instance = _instance(session, round_, declined, history, kind, block_dates)
        if instance is not None:
            from solver.workshops.api import solve_workshops_json

            result = solve_workshops_json(instance, time_limit_s=RESCHEDULE_TIME_LIMIT_S,
                                          workers=1)
            target = next((int(s[kind][1:]) for s in result["schedule"]), None)
        if target is not None:
            break
    if target is None:
        declined.rsvp = "cancelled"
        record_audit(session, None, "invitation.cancelled", "invitation", declined.id,
                     {"rsvp": "declined"}, {"rsvp": "cancelled"})
        invitations.send_notice(session, round_, declined, "cancelled")
        return {"cancelled": declined.id}
    moved = Invitation(round_id=round_.id, session_id=target, host_id=declined.host_id,
                       week=declined.week, people=declined.people, rsvp="pending")
    session.add(moved)
    session.flush()
    declined.rsvp = "moved"
    record_audit(session, None, "invitation.moved", "invitation", declined.id,
                 {"session_id": declined.session_id},
                 {"session_id": target, "invitation_id": moved.id})
    invitations.send_notice(session, round_, moved, "moved")
    return {"moved": declined.id, "to": moved.id, "session_id": target}
