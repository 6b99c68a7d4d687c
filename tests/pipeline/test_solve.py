"""Relay -> RQ -> solve_round, with a real Redis and a real (simple, burst) worker."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from coordinator import db
from coordinator.demo import seed_demo_round
from coordinator.models import Event, Round, RoundStatus, SolverRun
from coordinator.services import matching
from coordinator.services.rounds import transition_round
from workers import relay


def _close_and_match(app: Flask, *, applications: int = 30, hosts: int = 15) -> int:
    with app.app_context():
        session = db.session()
        summary = seed_demo_round(session, applications=applications, hosts=hosts)
        round_ = session.get(Round, summary.round_id)
        transition_round(session, round_, RoundStatus.CLOSED, None)
        transition_round(session, round_, RoundStatus.MATCHING, None)
        # Keep tests fast: the solver's limit rides on the event payload.
        event = session.scalars(select(Event).where(Event.kind == "round.matching")).one()
        event.payload = {**event.payload, "time_limit_s": 5}
        session.commit()
        return round_.id


def _work(redis_conn: Redis) -> None:
    queues = [Queue(name, connection=redis_conn, serializer=JSONSerializer)
              for name in ("solve", "default")]
    SimpleWorker(queues, connection=redis_conn, serializer=JSONSerializer).work(burst=True)


def test_relay_solve_review(app: Flask, redis_conn: Redis) -> None:
    round_id = _close_and_match(app)
    with app.app_context():
        session = db.session()
        assert relay.relay_once(session, redis_conn) >= 1
        # A second pass finds nothing new: every row is dispatched once.
        assert relay.relay_once(session, redis_conn) == 0
    _work(redis_conn)
    with app.app_context():
        session = db.session()
        run = session.scalars(select(SolverRun)).one()
        assert run.status == "done", run.phase
        assert run.result["assignments"]
        assert all("application_id" in a for a in run.result["assignments"])
        assert all(u["reasons"] for u in run.result["unassigned"])
        assert session.get(Round, round_id).status == RoundStatus.REVIEW


def test_lost_redis_is_swept_and_solve_is_idempotent(app: Flask, redis_conn: Redis) -> None:
    _close_and_match(app)
    with app.app_context():
        session = db.session()
        relay.relay_once(session, redis_conn)
        redis_conn.flushdb()  # Redis restarted without persistence: the queue is gone.
        assert relay.sweep(session, redis_conn) >= 1
        relay.relay_once(session, redis_conn)
    _work(redis_conn)
    with app.app_context():
        session = db.session()
        # The job ran once; sweeping and running it again adds no second run.
        relay.sweep(session, redis_conn)
        relay.relay_once(session, redis_conn)
    _work(redis_conn)
    with app.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(SolverRun)) == 1
        assert session.scalars(select(SolverRun)).one().status == "done"


def test_relay_command_once(app: Flask, redis_conn: Redis) -> None:
    _close_and_match(app)
    result = app.test_cli_runner().invoke(args=["events", "relay", "--once"])
    assert result.exit_code == 0, result.output
    assert Queue("solve", connection=redis_conn, serializer=JSONSerializer).count == 1
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Event).where(
            Event.dispatched_at.is_(None))) == 0


def test_job_again_after_a_failed_try_solves_the_failed_run(app: Flask,
                                                             redis_conn: Redis) -> None:
    # The first try lost its database mid-solve and marked the run failed; the retry (the
    # job's own, or RQ's) must solve that run again, not drop its result as "no longer live".
    round_id = _close_and_match(app)
    with app.app_context():
        session = db.session()
        event = session.scalars(select(Event).where(Event.kind == "round.matching")).one()
        run = matching.run_for_event(session, round_id, event.id, {"time_limit_s": 5})
        matching.fail_run(session, run, "OperationalError")
        assert run.status == "failed"
        relay.relay_once(session, redis_conn)
    _work(redis_conn)
    with app.app_context():
        session = db.session()
        run = session.scalars(select(SolverRun)).one()
        assert run.status == "done" and run.finished_at is not None, run.phase
        assert run.result["assignments"]
        assert session.get(Round, round_id).status == RoundStatus.REVIEW
