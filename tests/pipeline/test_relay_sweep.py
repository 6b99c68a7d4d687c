"""After Redis comes back empty the sweep sends out again only the events whose effect the
database does not show as done; jobs counted in the real queues, run by SimpleWorker."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from helpers import drain
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select
from test_offers import _published
from test_rsvp import _workshops_round

from coordinator import db
from coordinator.models import Event, Placement
from workers import relay
from workers.drive import QUEUES
from workers.routing import ROUTES


def _queued_job_ids(redis_conn: Redis) -> list[str]:
    return sorted(job_id for name in QUEUES for job_id in Queue(
        name, connection=redis_conn, serializer=JSONSerializer).job_ids)


def _lose_redis_and_sweep(app: Flask, redis_conn: Redis) -> tuple[int, int, list[str]]:
    """(routed events dispatched before, events swept, job ids the relay then enqueued)."""
    redis_conn.flushdb()  # Redis restarted without persistence
    with app.app_context():
        session = db.session()
        dispatched = session.scalar(select(func.count()).select_from(Event).where(
            Event.dispatched_at.is_not(None), Event.kind.in_(tuple(ROUTES))))
        swept = relay.sweep(session, redis_conn)
        relay.relay_once(session, redis_conn, limit=10_000)
    return dispatched, swept, _queued_job_ids(redis_conn)


def test_a_finished_round_sends_nothing_again(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    _workshops_round(app, coordinator_client, redis_conn)
    dispatched, swept, enqueued = _lose_redis_and_sweep(app, redis_conn)
    # Solve, offers, answers, confirmation, workshops, every email: all done already.
    assert dispatched > 50
    assert (swept, enqueued) == (0, [])


def test_only_open_offers_lose_their_deadlines_and_get_them_back(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    with app.app_context():
        offered = sorted(db.session().scalars(select(Placement.id).where(
            Placement.round_id == round_id, Placement.status == "offered")))
    dispatched, swept, enqueued = _lose_redis_and_sweep(app, redis_conn)
    # The solve and the offer emails are done; each open offer's expiry job went with Redis.
    assert dispatched > len(offered) > 0
    assert swept == len(offered)
    assert all(job_id.endswith("-placement-offered") for job_id in enqueued)
    assert len(enqueued) == len(offered)
    drain(app, redis_conn)
    scheduled = Queue("default", connection=redis_conn,
                      serializer=JSONSerializer).scheduled_job_registry.get_job_ids()
    assert sorted(f"expire-{p}" for p in offered) == sorted(
        j for j in scheduled if j.startswith("expire-"))

    # A relay restart with Redis intact: the expiry jobs are there, nothing goes again.
    with app.app_context():
        assert relay.sweep(db.session(), redis_conn) == 0
