"""Offer jobs: schedule reminder and expiry, remind, expire, confirm the round when final."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from coordinator import db
from coordinator.models import Event, Placement, Round, RoundStatus
from coordinator.models._types import utcnow
from coordinator.services import offers
from coordinator.services.links import external_url, make_token
from coordinator.services.rounds import transition_round
from workers.context import with_app_context


def _queue() -> Queue:
    return Queue("default", connection=Redis.from_url(current_app.config["REDIS_URL"]),
                 serializer=JSONSerializer)


@with_app_context
def schedule_deadlines(event_id: int) -> str:
    """Reminder 48 h before the deadline and expiry at it (timezone-aware UTC)."""
    event = db.session().get(Event, event_id)
    placement = db.session().get(Placement, event.subject_id) if event else None
    if placement is None or placement.status != "offered":
        return "nothing to schedule"
    queue = _queue()
    remind_at = placement.deadline_at - offers.REMINDER_BEFORE
    if remind_at > utcnow():
        queue.enqueue_at(remind_at.astimezone(dt.UTC), "workers.jobs_offers.remind_placement",
                         placement.id, job_id=f"remind-{placement.id}")
    queue.enqueue_at(placement.deadline_at.astimezone(dt.UTC),
                     "workers.jobs_offers.expire_placement", placement.id,
                     job_id=f"expire-{placement.id}")
    return "scheduled"


@with_app_context
def remind_placement(placement_id: int) -> int:
    session = db.session()
    placement = session.get(Placement, placement_id)
    if placement is None or placement.status != "offered":
        return 0
    round_ = session.get(Round, placement.round_id)
    sent = 0
    for consent in placement.consents:
        if consent.status != "pending":
            continue
        url = external_url(f"/offers/{make_token('offer-response', consent.id)}")
        offers.queue_and_announce(
            session, round_id=round_.id, template="deadline_reminder",
            language="da", recipient=consent.email, dedup_key=f"remind-{consent.id}",
            context={"name": consent.email, "round_name": round_.name,
                     "respond_by": placement.deadline_at.strftime("%Y-%m-%d %H:%M UTC"),
                     "respond_url": url})
        sent += 1
    session.commit()
    return sent


@with_app_context
def expire_placement(placement_id: int) -> bool:
    session = db.session()
    expired = offers.expire_placement(session, placement_id)
    session.commit()
    return expired


@with_app_context
def confirm_if_final(event_id: int) -> str:
    """When every placement of the round is final and none awaits a re-solve: confirmed."""
    session = db.session()
    event = session.get(Event, event_id)
    if event is None:
        return "no event"
    round_ = session.get(Round, event.round_id, with_for_update=True)
    if round_.status != RoundStatus.OFFERS or not offers.all_final(session, round_.id):
        return "not yet"
    pending_resolves = session.query(Event).filter(
        Event.round_id == round_.id,
        Event.kind.in_(("placement.declined", "placement.expired")),
        Event.id > event_id).count()
    if pending_resolves:
        return "a re-solve follows"
    for placement in offers.current_placements(session, round_.id):
        if placement.status == "accepted":
            app, host = offers._people(session, placement)
            for email, name, lang in ((app.email, app.name, app.language),
                                      (host.contact_email, host.contact_name, host.language)):
                offers.queue_and_announce(
                    session, round_id=round_.id, template="placement_confirmed",
                    language=lang, recipient=email,
                    dedup_key=f"confirmed-{placement.id}-{email}",
                    context={"name": name, "week": placement.week or "",
                             "host_organisation": host.organisation,
                             "innovation_title": host.innovation_title,
                             "address": host.municipality_code or "",
                             "first_day": placement.week or "", "last_day": placement.week or ""})
    transition_round(session, round_, RoundStatus.CONFIRMED, None)
    session.commit()
    return "confirmed"
