"""A re-solve run a coordinator cancels while its solver runs: the job drops the result, so
the cancelled run stays cancelled and no offer is withdrawn or made. PostgreSQL only: the
cancel is held uncommitted until the job's result write waits for its row lock, which forces
the interleaving (as in test_cancel_race)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import visitor_declines
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from test_cancel_race import _finish, _in_thread_once_blocked
from test_offers import _published

from coordinator import db
from coordinator.models import Event, Placement, SolverRun
from coordinator.services import matching, offers
from workers import jobs_resolve


def _placements(app: Flask, round_id: int) -> list[tuple[int, int, int, str]]:
    with app.app_context():
        return [(p.id, p.application_id, p.host_id, p.status) for p in db.session().scalars(
            select(Placement).where(Placement.round_id == round_id).order_by(Placement.id))]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_resolve_cancelled_mid_solve_changes_no_offer(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    with app.app_context():
        session = db.session()
        declined = next(p for p in offers.current_placements(session, round_id)
                        if p.status == "offered")
        visitor_declines(session, declined.id)
        session.flush()
        event = session.scalars(select(Event).where(Event.kind == "placement.declined")).one()
        event.payload = {**(event.payload or {}), "time_limit_s": 5}
        # The re-solve's run, live as a coordinator's run list shows it.
        run = SolverRun(round_id=round_id, event_id=event.id, status="running",
                        settings={"resolve": True, "time_limit_s": 5})
        session.add(run)
        session.commit()
        event_id, run_id = event.id, run.id
    before = _placements(app, round_id)

    engine = app.extensions["db_engine"]
    coordinator = sessionmaker(engine, expire_on_commit=False)()
    assert matching.cancel_run(coordinator, coordinator.get(SolverRun, run_id), None) == "running"
    # The job reads the run as running, solves, and its result write waits for the cancel.
    outcome = _in_thread_once_blocked(
        engine, lambda: jobs_resolve.resolve_after_decline(event_id))
    coordinator.commit()
    coordinator.close()
    assert _finish(outcome) == {"run_id": run_id, "status": "cancelled", "dropped_result": True}

    assert _placements(app, round_id) == before
    with app.app_context():
        session = db.session()
        run = session.get(SolverRun, run_id)
        assert (run.status, run.phase, run.result) == ("cancelled", "cancelled", None)
        assert not session.scalars(select(Event).where(Event.kind == "round.resolved")).all()
    # The job run again (a retry) leaves the cancelled run alone without solving.
    assert jobs_resolve.resolve_after_decline(event_id) == {
        "run_id": run_id, "status": "cancelled", "skipped": True}
    assert _placements(app, round_id) == before
