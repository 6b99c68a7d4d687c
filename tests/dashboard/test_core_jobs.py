"""Job board: solver runs, queue lengths, a really failed RQ job with its error, and retry."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from coordinator import db
from coordinator.models import AuditEntry, SolverRun


def _failed_job(redis_url: str) -> str:
    redis = Redis.from_url(redis_url)
    queue = Queue("default", connection=redis, serializer=JSONSerializer)
    job = queue.enqueue("builtins.int", "not a number", job_id="dashboard-core-failing")
    SimpleWorker([queue], connection=redis, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING")
    redis.close()
    return job.id


def test_job_board_shows_runs_and_failed_jobs(app: Flask, coordinator_client: FlaskClient,
                                              open_round: dict[str, Any], redis_url: str) -> None:
    with app.app_context():
        db.session().add(SolverRun(round_id=open_round["id"], status="running", phase="search",
                                   best_objective={"rank": 12}, bound={"rank": 10},
                                   elapsed_s=3.5, settings={}))
        db.session().commit()
    job_id = _failed_job(redis_url)
    html = coordinator_client.get("/coordinator/jobs").get_data(as_text=True)
    assert "rank 12" in html and "rank 10" in html and "3.5" in html
    assert job_id in html and "ValueError" in html and "builtins.int" in html
    retry = f"/coordinator/jobs/failed/default/{job_id}/retry"
    assert coordinator_client.get(retry).status_code == 405
    assert coordinator_client.post(retry).status_code == 302
    redis = Redis.from_url(redis_url)
    queue = Queue("default", connection=redis, serializer=JSONSerializer)
    assert job_id in queue.job_ids and job_id not in queue.failed_job_registry.get_job_ids()
    queue.empty()
    redis.close()
    with app.app_context():
        entry = db.session().scalar(select(AuditEntry).where(AuditEntry.action == "job.retry"))
        assert entry.after == {"queue": "default", "job_id": job_id}
    assert coordinator_client.post(retry).status_code == 404  # no longer failed
    assert coordinator_client.post("/coordinator/jobs/failed/nope/x/retry").status_code == 404


def test_retry_needs_csrf_and_sign_in(app: Flask, client: FlaskClient,
                                      coordinator_user: dict[str, Any], redis_url: str) -> None:
    job_id = _failed_job(redis_url)
    retry = f"/coordinator/jobs/failed/default/{job_id}/retry"
    assert client.post(retry).status_code == 302  # to the sign-in page
    client.post("/api/auth/login", json={"email": coordinator_user["email"],
                                         "password": coordinator_user["password"]})
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(retry).status_code == 400
    redis = Redis.from_url(redis_url)
    queue = Queue("default", connection=redis, serializer=JSONSerializer)
    assert job_id in queue.failed_job_registry.get_job_ids()
    queue.failed_job_registry.remove(job_id, delete_job=True)
    redis.close()
