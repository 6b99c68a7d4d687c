"""Driving a small round through the real services for the fault tests."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from sqlalchemy import select
from test_solve import _close_and_match

from coordinator import db
from coordinator.models import Consent, Event, Placement, Round, RoundStatus
from coordinator.services import matching, offers
from workers.drive import drain

SMALL = {"applications": 16, "hosts": 10}


def seed_matching_round(app: Flask, *, applications: int = SMALL["applications"],
                        hosts: int = SMALL["hosts"], time_limit_s: float = 3) -> int:
    """A seeded round, closed and moved to matching; the solve's time limit on its event."""
    round_id = _close_and_match(app, applications=applications, hosts=hosts)
    set_solve_time_limit(app, round_id, time_limit_s)
    return round_id


def set_solve_time_limit(app: Flask, round_id: int, time_limit_s: float) -> None:
    with app.app_context():
        session = db.session()
        event = session.scalars(select(Event).where(Event.kind == "round.matching",
                                                    Event.round_id == round_id)).one()
        event.payload = {**event.payload, "time_limit_s": time_limit_s}
        session.commit()


def round_status(app: Flask, round_id: int) -> str:
    with app.app_context():
        return str(db.session().get(Round, round_id).status)


def publish_latest(app: Flask, round_id: int) -> int:
    """What a coordinator's publish does (the service, one transaction); offers made."""
    with app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        run = matching.latest_run(session, round_id)
        assert run is not None and run.status == "done", run and run.status
        count = offers.publish_run(session, round_, run.id, None)
        session.commit()
        return count


def accept_every_open_offer(app: Flask, round_id: int) -> int:
    """Host, visitor and manager accept every offered placement; answers recorded."""
    with app.app_context():
        session = db.session()
        consent_ids = list(session.scalars(
            select(Consent.id).join(Placement).where(
                Placement.round_id == round_id, Placement.status == "offered",
                Consent.status == "pending").order_by(Consent.id)))
        for consent_id in consent_ids:
            offers.respond(session, session.get(Consent, consent_id), accept=True)
            session.commit()
        return len(consent_ids)


def run_round_to_workshops(app: Flask, redis_conn: Redis, round_id: int) -> None:
    """From matching to workshops, everyone accepting: solve, publish, answer, schedule."""
    drain(app, redis_conn)
    if round_status(app, round_id) == RoundStatus.REVIEW:
        publish_latest(app, round_id)
    for _ in range(5):
        drain(app, redis_conn)
        if not accept_every_open_offer(app, round_id):
            break
    drain(app, redis_conn)
