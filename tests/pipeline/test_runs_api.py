"""Coordinators list, compare and re-run solver runs; failed jobs are visible."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from test_solve import _close_and_match

from coordinator import db
from workers import relay


def _relay_and_work(app: Flask, redis_conn: Redis) -> None:
    with app.app_context():
        relay.relay_once(db.session(), redis_conn)
    queues = [Queue(n, connection=redis_conn, serializer=JSONSerializer)
              for n in ("solve", "default")]
    SimpleWorker(queues, connection=redis_conn, serializer=JSONSerializer).work(burst=True)


def test_rerun_with_forbidden_pair_keeps_both_runs(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _close_and_match(app)
    _relay_and_work(app, redis_conn)
    runs = coordinator_client.get(f"/api/rounds/{round_id}/runs").json
    assert [r["status"] for r in runs] == ["done"]
    first = coordinator_client.get(f"/api/rounds/{round_id}/runs/{runs[0]['id']}").json
    pair = first["result"]["assignments"][0]
    forbidden = [pair["application_id"], pair["host_id"]]
    asked = coordinator_client.post(f"/api/rounds/{round_id}/runs", json={
        "forbidden": [forbidden], "objective": "minimax_rank", "time_limit_s": 5})
    assert asked.status_code == 202, asked.json
    _relay_and_work(app, redis_conn)
    runs = coordinator_client.get(f"/api/rounds/{round_id}/runs").json
    assert [r["status"] for r in runs] == ["done", "done"]
    second = coordinator_client.get(f"/api/rounds/{round_id}/runs/{runs[1]['id']}").json
    assert second["settings"]["objective"] == "minimax_rank"
    assert all([a["application_id"], a["host_id"]] != forbidden
               for a in second["result"]["assignments"])
    # The round is back in review; a new run from a closed state is a conflict naming it.
    rounds = coordinator_client.get(f"/api/rounds/{round_id}").json
    assert rounds["status"] == "review"


def test_rerun_in_wrong_state_is_409(coordinator_client: FlaskClient,
                                     open_round: dict) -> None:
    response = coordinator_client.post(f"/api/rounds/{open_round['id']}/runs", json={})
    assert response.status_code == 409
    assert "open" in response.get_data(as_text=True)


def test_failed_jobs_are_listed(app: Flask, coordinator_client: FlaskClient,
                                redis_conn: Redis) -> None:
    queue = Queue("default", connection=redis_conn, serializer=JSONSerializer)
    queue.enqueue("workers.jobs_round.no_such_job", 1, job_id="bad-job")
    SimpleWorker([queue], connection=redis_conn, serializer=JSONSerializer).work(burst=True)
    failed = coordinator_client.get("/api/jobs/failed").json
    assert [j["job_id"] for j in failed] == ["bad-job"]
    assert failed[0]["error"]
