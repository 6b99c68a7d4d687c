"""Cancelling a run that no worker has taken yet, through the API and the dashboard.

The run exists from the request on (``queued``). Cancelling it takes its job off the RQ queue
and settles the round at once; a job that still reaches a real SimpleWorker (the relay sent
it after the cancel) finds the run cancelled and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select
from test_matching_pages import closed_round, work

from coordinator import db
from coordinator.models import AuditEntry, Event, Placement, Round, RoundStatus, SolverRun
from workers import relay
from workers.routing import job_id_for


def _relay(app: Flask, redis_conn: Redis) -> str:
    """Send the undispatched events to Redis; the id of the one solve job now queued."""
    with app.app_context():
        relay.relay_once(db.session(), redis_conn)
    solve = Queue("solve", connection=redis_conn, serializer=JSONSerializer)
    assert len(solve.job_ids) == 1, solve.job_ids
    return solve.job_ids[0]


def _job_exists(redis_conn: Redis, job_id: str) -> bool:
    try:
        Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    return True


def _run(app: Flask, run_id: int) -> SolverRun:
    with app.app_context():
        run = db.session().get(SolverRun, run_id)
        db.session().expunge(run)
        return run


def test_api_cancels_a_queued_run_and_drops_its_job(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
        redis_conn: Redis) -> None:
    round_id = closed_round(app, coordinator_user["id"])
    asked = coordinator_client.post(f"/api/rounds/{round_id}/runs", json={"time_limit_s": 5})
    assert asked.status_code == 202, asked.json
    run_id = asked.json["run_id"]
    listed = coordinator_client.get(f"/api/rounds/{round_id}/runs").json
    assert [(r["id"], r["status"]) for r in listed] == [(run_id, "queued")]
    job_id = _relay(app, redis_conn)
    with app.app_context():
        event = db.session().get(Event, asked.json["event_id"])
        assert job_id == job_id_for(event)

    cancelled = coordinator_client.post(f"/api/rounds/{round_id}/runs/{run_id}/cancel")
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled" and cancelled.json["phase"] == "cancelled"
    assert not _job_exists(redis_conn, job_id)
    assert Queue("solve", connection=redis_conn, serializer=JSONSerializer).count == 0
    run = _run(app, run_id)
    assert run.finished_at is not None and run.result is None
    with app.app_context():
        # No finished run to go back to: the round waits in matching for a new request.
        assert db.session().get(Round, round_id).status == RoundStatus.MATCHING
        audit = db.session().scalars(select(AuditEntry)
                                     .where(AuditEntry.action == "run.cancel")).one()
        assert audit.before == {"status": "queued"}
    again = coordinator_client.post(f"/api/rounds/{round_id}/runs/{run_id}/cancel")
    assert again.status_code == 409

    # The round can run again, and that run finishes.
    second = coordinator_client.post(f"/api/rounds/{round_id}/runs", json={"time_limit_s": 5})
    assert second.status_code == 202, second.json
    work(app, redis_conn)
    runs = coordinator_client.get(f"/api/rounds/{round_id}/runs").json
    assert [r["status"] for r in runs] == ["cancelled", "done"]


def test_a_job_relayed_after_the_cancel_does_nothing_in_a_real_worker(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
        redis_conn: Redis) -> None:
    round_id = closed_round(app, coordinator_user["id"])
    asked = coordinator_client.post(f"/api/rounds/{round_id}/runs", json={"time_limit_s": 5})
    run_id = asked.json["run_id"]
    # Cancelled before the relay sent the event: there is no job to drop yet.
    assert coordinator_client.post(
        f"/api/rounds/{round_id}/runs/{run_id}/cancel").status_code == 200
    settled = _run(app, run_id)
    job_id = _relay(app, redis_conn)
    work(app, redis_conn)  # a real SimpleWorker takes the job
    job = Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer)
    assert job.get_status() == "finished"
    assert job.return_value() == {"run_id": run_id, "status": "cancelled"}
    run = _run(app, run_id)
    assert (run.status, run.phase, run.result, run.finished_at, run.settings) == (
        "cancelled", "cancelled", None, settled.finished_at, settled.settings)
    with app.app_context():
        assert db.session().get(Round, round_id).status == RoundStatus.MATCHING
        assert db.session().scalars(select(Placement)).all() == []


def test_dashboard_cancels_a_queued_rerun_and_the_round_returns_to_review(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
        redis_conn: Redis) -> None:
    coordinator_client.get("/?lang=en")  # the page texts below are English
    round_id = closed_round(app, coordinator_user["id"])
    first = coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                                    data={"time_limit_s": "5"})
    assert first.status_code == 302
    work(app, redis_conn)
    asked = coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                                    data={"objective": "minimax_rank", "time_limit_s": "5"})
    assert asked.status_code == 302
    job_id = _relay(app, redis_conn)
    with app.app_context():
        first_run, queued = db.session().scalars(
            select(SolverRun).where(SolverRun.round_id == round_id).order_by(SolverRun.id)).all()
        first_id, queued_id = first_run.id, queued.id
        assert (first_run.status, queued.status) == ("done", "queued")
    waiting = coordinator_client.get(asked.headers["Location"]).get_data(as_text=True)
    url = f"/coordinator/rounds/{round_id}/matching/runs/{queued_id}/cancel"
    assert "Cancel this run" in waiting and url in waiting
    assert "Yes, cancel the run" in coordinator_client.get(url).get_data(as_text=True)

    assert coordinator_client.post(url).status_code == 302
    assert not _job_exists(redis_conn, job_id)
    work(app, redis_conn)  # nothing is left for a worker
    with app.app_context():
        session = db.session()
        assert session.get(SolverRun, queued_id).status == "cancelled"
        # The finished first run is the one to publish again.
        assert session.get(Round, round_id).status == RoundStatus.REVIEW
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching").get_data(
        as_text=True)
    assert f"/matching/runs/{first_id}/publish" in page
    assert coordinator_client.post(url).status_code == 409
