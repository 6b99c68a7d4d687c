"""Deadlines with RQ's own scheduler: a reminder 48 h before (sent once), expiry at the
deadline (a decline: the re-solve follows), and a late answer that finds the offer closed.

No 48-hour sleeps: the test moves the deadlines close to now, schedules again (the job ids are
deterministic, so this replaces the first schedule) and lets ``RQScheduler`` enqueue what is due.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Flask
from flask.testing import FlaskClient
from helpers import drain
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from sqlalchemy import func, select
from test_offers import _published, _token

from coordinator import db
from coordinator.models import Consent, Event, Message, Placement, SolverRun
from coordinator.services import offers
from workers import jobs_offers


def _default(redis_conn: Redis) -> Queue:
    return Queue("default", connection=redis_conn, serializer=JSONSerializer)


def _enqueue_due(redis_conn: Redis) -> None:
    """What `rq worker --with-scheduler` does once a second: move due jobs to their queue."""
    scheduler = RQScheduler(["default"], connection=redis_conn, serializer=JSONSerializer)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    scheduler.connection.close()


def _work(redis_conn: Redis) -> None:
    SimpleWorker([_default(redis_conn)], connection=redis_conn,
                 serializer=JSONSerializer).work(burst=True, logging_level="WARNING")


def _reschedule(app: Flask, placement_ids: list[int], deadline: dt.datetime) -> None:
    with app.app_context():
        session = db.session()
        for placement_id in placement_ids:
            session.get(Placement, placement_id).deadline_at = deadline
        session.commit()
        events = session.scalars(select(Event.id).where(
            Event.kind == "placement.offered", Event.subject_id.in_(placement_ids))).all()
    for event_id in events:
        assert jobs_offers.schedule_deadlines(event_id) == "scheduled"


def _open(app: Flask, round_id: int) -> list[Placement]:
    with app.app_context():
        placements = offers.current_placements(db.session(), round_id)
        return [p for p in placements if p.status == "offered"]


def test_reminder_48h_before_is_scheduled_utc_and_sent_once(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    placements = _open(app, round_id)
    registry = ScheduledJobRegistry(queue=_default(redis_conn))
    first = placements[0]
    # Publishing scheduled both jobs of every placement, at the exact UTC moments.
    when = registry.get_scheduled_time(f"remind-{first.id}")
    assert when.tzinfo is not None
    assert when == (first.deadline_at - dt.timedelta(hours=48)).replace(microsecond=0)
    assert registry.get_scheduled_time(f"expire-{first.id}") == \
        first.deadline_at.replace(microsecond=0)
    # Bring one placement's reminder to a few seconds from now (a busy CI machine can take
    # more than a second between rescheduling and asking the scheduler).
    reminder_due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    _reschedule(app, [first.id], reminder_due + dt.timedelta(hours=48))
    assert len(registry) == 2 * len(placements)  # replaced, not doubled
    _enqueue_due(redis_conn)
    # RQ keeps whole seconds, so the job falls due at reminder_due without its microseconds.
    if dt.datetime.now(dt.UTC) < reminder_due.replace(microsecond=0):
        assert _default(redis_conn).count == 0  # not due yet
    time.sleep(max(0.0, (reminder_due - dt.datetime.now(dt.UTC)).total_seconds()) + 1.0)
    _enqueue_due(redis_conn)
    assert _default(redis_conn).job_ids == [f"remind-{first.id}"]
    _work(redis_conn)
    # Run the reminder once more (a retry or a repeated schedule): nothing new is queued.
    assert jobs_offers.remind_placement(first.id) == 3
    with app.app_context():
        reminders = db.session().scalars(select(Message).where(
            Message.template == "deadline_reminder")).all()
        consents = db.session().scalars(select(Consent).where(
            Consent.placement_id == first.id)).all()
    assert sorted(m.recipient for m in reminders) == sorted(c.email for c in consents)
    assert all("deadline" in m.body_text.lower() or "frist" in m.body_text.lower()
               for m in reminders)


def test_expiry_at_deadline_declines_and_resolves_and_late_post_is_closed(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    lapsing = _open(app, round_id)[0]
    _reschedule(app, [lapsing.id], dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    time.sleep(1.5)
    _enqueue_due(redis_conn)
    assert f"expire-{lapsing.id}" in _default(redis_conn).job_ids
    _work(redis_conn)
    with app.app_context():
        session = db.session()
        assert session.get(Placement, lapsing.id).status == "expired"
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "placement.expired", Event.subject_id == lapsing.id)) == 1
        consent_id = session.scalars(select(Consent.id).where(
            Consent.placement_id == lapsing.id, Consent.party == "visitor")).one()
    drain(app, redis_conn)  # the expiry event -> the re-solve
    with app.app_context():
        runs = db.session().scalars(select(SolverRun).order_by(SolverRun.id)).all()
        assert len(runs) == 2 and runs[1].settings.get("resolve") and runs[1].status == "done"
    late = coordinator_client.post(f"/offers/{_token(app, consent_id)}?lang=en",
                                   data={"answer": "accept"})
    assert late.status_code == 409
    assert "no longer open" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "pending"
        assert db.session().get(Placement, lapsing.id).status == "expired"


def test_early_expiry_job_comes_back(app: Flask, coordinator_client: FlaskClient,
                                     redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    placement = _open(app, round_id)[0]
    assert jobs_offers.expire_placement(placement.id) is False
    registry = ScheduledJobRegistry(queue=_default(redis_conn))
    again = [j for j in registry.get_job_ids() if j.startswith(f"expire-{placement.id}-")]
    assert again and registry.get_scheduled_time(again[0]) == \
        placement.deadline_at.replace(microsecond=0)
