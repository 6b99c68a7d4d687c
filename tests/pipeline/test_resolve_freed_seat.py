"""A seat freed by a decline goes to someone the first run left out for want of seats,
while the other open offers stay as they were (``keep_previous``)."""

from __future__ import annotations

from flask import Flask
from helpers import drain, visitor_declines
from redis import Redis
from sqlalchemy import select
from testing_support import application_payload, host_payload

from coordinator import db
from coordinator.models import Event, Placement, Round, RoundStatus
from coordinator.services import intake, matching, offers
from coordinator.services.rounds import transition_round

WEEK = "2027-W37"
# The services take coordinates as the schemas hand them over (Aarhus hosts, Odense visitors).
AARHUS = {"lat": 56.1629, "lon": 10.2039}
ODENSE = {"lat": 55.4038, "lon": 10.4024}


def _round_with_one_seat_too_few(app: Flask) -> tuple[int, dict[str, int], dict[str, int]]:
    """Two one-seat hosts; A and B both want only the first, C only the second."""
    with app.app_context():
        session = db.session()
        round_ = Round(name="Freed seat", status=RoundStatus.OPEN, weeks=[WEEK],
                       response_days=5, default_max_km=250)
        session.add(round_)
        session.flush()
        hosts = {name: intake.submit_host_offer(session, round_.id, host_payload(
            capacity=1, min_visitors=1, weeks=[WEEK], contact_email=f"{name}@host.example", **AARHUS)).id
                 for name in ("first", "second")}
        ranked = {"A": hosts["first"], "B": hosts["first"], "C": hosts["second"]}
        apps = {name: intake.submit_application(session, round_.id, application_payload(
            [host], name=f"Visitor {name}", email=f"{name.lower()}@visitor.example",
            manager_email=f"boss-{name.lower()}@visitor.example", weeks=[WEEK],
            **ODENSE)).id
                for name, host in ranked.items()}
        transition_round(session, round_, RoundStatus.CLOSED, None)
        transition_round(session, round_, RoundStatus.MATCHING, None)
        event = session.scalars(select(Event).where(Event.kind == "round.matching")).one()
        event.payload = {**event.payload, "time_limit_s": 5}
        session.commit()
        return round_.id, hosts, apps


def _open_offers(app: Flask, round_id: int) -> dict[int, tuple[int, int, int]]:
    """application id -> (placement id, host id, run id) of the offers still open."""
    with app.app_context():
        return {p.application_id: (p.id, p.host_id, p.run_id) for p in db.session().scalars(
            select(Placement).where(Placement.round_id == round_id,
                                    Placement.status == "offered"))}


def test_a_declined_seat_goes_to_the_first_runs_unplaced(app: Flask, redis_conn: Redis) -> None:
    round_id, hosts, apps = _round_with_one_seat_too_few(app)
    drain(app, redis_conn)
    with app.app_context():
        session = db.session()
        first_run = matching.latest_run(session, round_id)
        unplaced = {u["application_id"] for u in first_run.result["unassigned"]}
        assert len(unplaced) == 1 and unplaced < {apps["A"], apps["B"]}
        offers.publish_run(session, session.get(Round, round_id), first_run.id, None)
        session.commit()
    drain(app, redis_conn)
    before = _open_offers(app, round_id)
    (left_out,) = unplaced
    (holder,) = {apps["A"], apps["B"]} - unplaced
    assert before[holder][1] == hosts["first"]

    with app.app_context():  # the visitor holding the only seat of the first host says no
        session = db.session()
        visitor_declines(session, before[holder][0])
        session.commit()
    drain(app, redis_conn)

    after = _open_offers(app, round_id)
    with app.app_context():
        resolve = matching.latest_run(db.session(), round_id)
        assert resolve.settings.get("resolve") and resolve.status == "done"
    # The freed seat is offered to the applicant the first run had no seat for ...
    assert after[left_out][1:] == (hosts["first"], resolve.id)
    # ... and C's open offer is the same placement as before: nobody else's plan moved.
    assert after[apps["C"]] == before[apps["C"]]
    assert holder not in after
