"""Retention: rounds that ended long ago lose their personal data, recent ones keep it."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskCliRunner
from privacy_search import database_hits
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from coordinator import db
from coordinator.demo import seed_demo_round
from coordinator.models import Application, AuditEntry, Host, Message, Round, RoundStatus
from coordinator.models._types import utcnow
from coordinator.services.privacy_retention import round_ended_at
from workers.jobs_privacy import next_run_at, retention_job_id, schedule_retention

SHARED_EMAIL = "vaert.begge@shared.example"
SHARED_NAME = "Vibeke Beggerunder"


def _done_round(app: Flask, days_ago: int, seed: int) -> tuple[int, set[str], set[str]]:
    """A seeded round marked done ``days_ago`` days ago; its (emails, names)."""
    with app.app_context():
        session = db.session()
        round_id = seed_demo_round(session, applications=6, hosts=4, random_seed=seed,
                                   name=f"Runde {seed}").round_id
        round_ = session.get(Round, round_id)
        round_.status = RoundStatus.DONE
        session.add(AuditEntry(action="round.done", object_type="round", object_id=round_id,
                               at=utcnow() - dt.timedelta(days=days_ago),
                               before={"status": "workshops"}, after={"status": "done"}))
        # The same person is a host contact in both rounds.
        host = session.scalars(select(Host).where(Host.round_id == round_id)
                               .order_by(Host.id)).first()
        host.contact_email, host.contact_name = SHARED_EMAIL, SHARED_NAME
        session.commit()
        apps = list(session.scalars(select(Application).where(Application.round_id == round_id)))
        hosts = list(session.scalars(select(Host).where(Host.round_id == round_id)))
        emails = {a.email for a in apps} | {a.manager_email for a in apps}
        emails |= {h.contact_email for h in hosts}
        names = {a.name for a in apps} | {h.contact_name for h in hosts}
        return round_id, emails, names


def _run_retention_job(redis_conn: Redis) -> dict:
    queue = Queue("default", connection=redis_conn, serializer=JSONSerializer)
    job = queue.enqueue("workers.jobs_privacy.run_retention")
    SimpleWorker([queue], connection=redis_conn, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING")
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    return job.return_value()


def test_old_round_is_erased_recent_round_kept(app: Flask, redis_conn: Redis) -> None:
    old_id, old_emails, old_names = _done_round(app, 400, seed=1)
    new_id, new_emails, new_names = _done_round(app, 10, seed=2)
    redis_conn.set("leftover:" + sorted(old_emails - new_emails)[0], "x")

    first = _run_retention_job(redis_conn)
    assert first["erased_rounds"] == [old_id]
    # Tomorrow's run is booked under a date-derived id.
    booked = Job.fetch(first["next"], connection=redis_conn, serializer=JSONSerializer)
    assert booked.get_status() == "scheduled"

    engine = app.extensions["db_engine"]
    gone = sorted(old_emails - new_emails - {SHARED_EMAIL})
    assert database_hits(engine, gone) == []
    assert not list(redis_conn.scan_iter("leftover:*"))
    with app.app_context():
        session = db.session()
        old_apps = list(session.scalars(select(Application).where(
            Application.round_id == old_id)))
        assert len(old_apps) == 6 and {a.name for a in old_apps} == {"[erased]"}
        assert not {h.contact_email for h in session.scalars(select(Host).where(
            Host.round_id == old_id))} & old_emails
        assert {m.body_text for m in session.scalars(select(Message).where(
            Message.round_id == old_id))} == {"[erased]"}
        # The recent round is whole, the shared contact included.
        kept = session.scalars(select(Application).where(Application.round_id == new_id))
        assert {a.email for a in kept} | {a.manager_email for a in session.scalars(
            select(Application).where(Application.round_id == new_id))} <= new_emails
        assert SHARED_EMAIL in {h.contact_email for h in session.scalars(select(Host).where(
            Host.round_id == new_id))}
        assert session.scalars(select(Message).where(Message.round_id == new_id,
                                                     Message.body_text != "[erased]")).first()
    assert database_hits(engine, sorted(new_emails))

    # Idempotent: the erased round is marked, nothing happens twice.
    assert _run_retention_job(redis_conn)["erased_rounds"] == []


def test_ended_at_of_an_unfinished_round_is_its_last_activity(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        round_id = seed_demo_round(session, applications=2, hosts=2).round_id
        session.commit()
        ended = round_ended_at(session, session.get(Round, round_id))
        assert utcnow() - dt.timedelta(minutes=5) < ended <= utcnow()


def test_schedule_is_idempotent(app: Flask, runner: FlaskCliRunner, redis_conn: Redis) -> None:
    now = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)
    assert next_run_at(now) == dt.datetime(2027, 1, 6, 3, 0, tzinfo=dt.UTC)
    assert next_run_at(now.replace(hour=2)) == dt.datetime(2027, 1, 5, 3, 0, tzinfo=dt.UTC)
    first = runner.invoke(args=["privacy", "schedule"])
    second = runner.invoke(args=["privacy", "schedule"])
    assert first.exit_code == 0 and "booked" in first.output
    assert "already booked" in second.output
    job_id = retention_job_id(next_run_at(utcnow()))
    assert schedule_retention(redis_conn) == (job_id, False)
    scheduled = Queue("default", connection=redis_conn,
                      serializer=JSONSerializer).scheduled_job_registry.get_job_ids()
    assert scheduled == [job_id]


def test_cli_retention_with_days(app: Flask, runner: FlaskCliRunner, redis_conn: Redis) -> None:
    old_id, _emails, _names = _done_round(app, 40, seed=3)
    kept = runner.invoke(args=["privacy", "retention"])
    assert kept.exit_code == 0 and "erased 0 round(s)" in kept.output
    erased = runner.invoke(args=["privacy", "retention", "--days", "30"])
    assert erased.exit_code == 0 and f"erased 1 round(s): {old_id}" in erased.output
