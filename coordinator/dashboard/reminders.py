"""Where each party of an offer stands, and the coordinator's "resend reminder".

A reminder is queued through the mail outbox (offers.queue_and_announce: the message row
and its event in the caller's transaction) for each party that has not answered yet. At
most one manual reminder per placement every REMIND_EVERY: the dedup key numbers the
reminders of a consent, so two clicks racing each other collide on the unique key (the
later one fails) instead of queueing two messages per person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator.models import Application, Consent, Host, Message, Placement, Round
from coordinator.models._types import utcnow
from coordinator.services.audit import record_audit
from coordinator.services.errors import Conflict
from coordinator.services.links import external_url, make_token
from coordinator.services.offers import queue_and_announce

REMIND_EVERY = dt.timedelta(hours=12)
CONSENT_STATES = ("answered", "waiting", "late", "declined")


def consent_state(consent: Consent, placement: Placement, now: dt.datetime) -> str:
    """answered | declined | waiting (deadline ahead) | late (deadline passed, no answer)."""
    if consent.status == "accepted":
        return "answered"
    if consent.status == "declined":
        return "declined"
    if placement.status == "expired" or placement.deadline_at <= now:
        return "late"
    return "waiting"


def _reminder_prefix(consent: Consent) -> str:
    return f"manual-remind-{consent.id}-"


def _sent_before(session: Session, consent: Consent) -> int:
    return session.scalar(select(func.count()).select_from(Message).where(
        Message.dedup_key.startswith(_reminder_prefix(consent), autoescape=True))) or 0


def last_reminder(session: Session, placement: Placement) -> dt.datetime | None:
    """When a coordinator last had this placement's parties reminded."""
    stamps = [session.scalar(select(Message.created_at).where(
        Message.dedup_key.startswith(_reminder_prefix(c), autoescape=True))
        .order_by(Message.created_at.desc()).limit(1)) for c in placement.consents]
    stamps = [s for s in stamps if s is not None]
    return max(stamps) if stamps else None


def _person(session: Session, placement: Placement, party: str) -> tuple[str, str]:
    """(name, language) of a party, for the greeting and the template's language."""
    if party == "host":
        host = session.get(Host, placement.host_id)
        return host.contact_name, host.language
    application = session.get(Application, placement.application_id)
    name = application.name if party == "visitor" else application.manager_name
    return name, application.language


def resend_reminder(session: Session, placement: Placement, actor_id: int | None) -> int:
    """Queue a reminder to every party that has not answered; how many were queued."""
    now = utcnow()
    if placement.status != "offered" or placement.deadline_at <= now:
        raise Conflict("this offer is no longer open", state=placement.status)
    waiting = [c for c in placement.consents if c.status == "pending"]
    if not waiting:
        raise Conflict("everyone has answered this offer", state=placement.status)
    previous = last_reminder(session, placement)
    if previous is not None and now - previous < REMIND_EVERY:
        raise Conflict("a reminder was sent less than 12 hours ago", state=placement.status,
                       last=previous.isoformat())
    round_ = session.get(Round, placement.round_id)
    for consent in waiting:
        name, language = _person(session, placement, consent.party)
        queue_and_announce(
            session, round_.id, template="deadline_reminder", language=language,
            recipient=consent.email, dedup_key=f"{_reminder_prefix(consent)}{_sent_before(session, consent) + 1}",
            context={"name": name, "round_name": round_.name,
                     "respond_by": placement.deadline_at.strftime("%Y-%m-%d %H:%M UTC"),
                     "respond_url": external_url(
                         f"/offers/{make_token('offer-response', consent.id)}")})
    record_audit(session, actor_id, "placement.remind", "placement", placement.id, None,
                 {"consents": [c.id for c in waiting]})
    return len(waiting)


def offer_rows(session: Session, placements: list[Placement]) -> list[dict[str, Any]]:
    now = utcnow()
    rows = []
    for placement in placements:
        states = {c.party: consent_state(c, placement, now) for c in placement.consents}
        rows.append({"placement": placement, "states": states,
                     "reasons": {c.party: c.reason for c in placement.consents if c.reason},
                     "application": session.get(Application, placement.application_id),
                     "host": session.get(Host, placement.host_id),
                     "can_remind": placement.status == "offered" and placement.deadline_at > now
                     and "waiting" in states.values()})
    return rows
