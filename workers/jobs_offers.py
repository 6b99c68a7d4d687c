"""Offer jobs: schedule reminder and expiry, remind, expire, confirm the round when final."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from coordinator import db
from coordinator.models import Consent, Event, Placement, Round, RoundStatus
from coordinator.models._types import utcnow
from coordinator.services import offers
from coordinator.services.rounds import transition_round
from workers.context import with_app_context


def _queue() -> Queue:
    return Queue("default", connection=Redis.from_url(current_app.config["REDIS_URL"]),
                 serializer=JSONSerializer)


def _schedule(placement: Placement, at: dt.datetime, func: str, job_id: str) -> None:
    # RQ compares scheduled times as UTC timestamps; an aware datetime keeps that exact.
    _queue().enqueue_at(at.astimezone(dt.UTC), func, placement.id, job_id=job_id)


@with_app_context
def schedule_deadlines(event_id: int) -> str:
    """Reminder 48 h before the deadline and expiry at it (timezone-aware UTC).

    Deterministic job ids: scheduling again (a repeated event) replaces, never doubles.
    """
    event = db.session().get(Event, event_id)
    placement = db.session().get(Placement, event.subject_id) if event else None
    if placement is None or placement.status != "offered":
        return "nothing to schedule"
    remind_at = placement.deadline_at - offers.REMINDER_BEFORE
    if remind_at > utcnow():
        _schedule(placement, remind_at, "workers.jobs_offers.remind_placement",
                  f"remind-{placement.id}")
    _schedule(placement, placement.deadline_at, "workers.jobs_offers.expire_placement",
              f"expire-{placement.id}")
    return "scheduled"


def _recipient(session: Any, placement: Placement, consent: Consent) -> tuple[str, str]:
    """(name, language) of the party behind a consent."""
    app, host = offers._people(session, placement)
    if consent.party == "host":
        return host.contact_name, host.language
    return (app.name if consent.party == "visitor" else app.manager_name), app.language


@with_app_context
def remind_placement(placement_id: int) -> int:
    """Remind every party that has not answered; the host once per group. Sends once: the
    dedup keys make a repeated job queue nothing new."""
    session = db.session()
    placement = session.get(Placement, placement_id)
    if placement is None or placement.status != "offered":
        return 0
    round_ = session.get(Round, placement.round_id)
    sent = 0
    for consent in placement.consents:
        if consent.status != "pending":
            continue
        key = f"remind-{consent.id}"
        if consent.party == "host":
            first = offers.host_group(session, placement)[0]
            consent = offers.host_consent(session, first)
            key = f"remind-host-{first.run_id}-{first.host_id}-{first.week or ''}"
        name, language = _recipient(session, placement, consent)
        offers.queue_and_announce(
            session, round_id=round_.id, template="deadline_reminder", language=language,
            recipient=consent.email, dedup_key=key,
            context={"name": name, "round_name": round_.name,
                     "respond_by": placement.deadline_at.strftime("%Y-%m-%d %H:%M UTC"),
                     "respond_url": offers.offer_url(consent.id)})
        sent += 1
    session.commit()
    return sent


@with_app_context
def expire_placement(placement_id: int) -> bool:
    """At the deadline an unanswered placement expires (a decline: the re-solve follows)."""
    session = db.session()
    expired = offers.expire_placement(session, placement_id)
    session.commit()
    placement = session.get(Placement, placement_id)
    if not expired and placement is not None and placement.status == "offered":
        # Ran early (the scheduler's clock ahead of the database's): come back at the deadline.
        _schedule(placement, placement.deadline_at, "workers.jobs_offers.expire_placement",
                  f"expire-{placement.id}-{int(utcnow().timestamp())}")
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
            # The host hears once per group (host and week), the visitor once.
            for email, name, lang, key in (
                    (app.email, app.name, app.language, f"confirmed-{placement.id}-visitor"),
                    (host.contact_email, host.contact_name, host.language,
                     f"confirmed-{round_.id}-host-{host.id}-{placement.week or ''}")):
                offers.queue_and_announce(
                    session, round_id=round_.id, template="placement_confirmed",
                    language=lang, recipient=email, dedup_key=key,
                    context={"name": name, "week": placement.week or "",
                             "host_organisation": host.organisation,
                             "innovation_title": host.innovation_title,
                             "address": host.municipality_code or "",
                             "first_day": placement.week or "", "last_day": placement.week or ""})
    transition_round(session, round_, RoundStatus.CONFIRMED, None)
    session.commit()
    return "confirmed"
