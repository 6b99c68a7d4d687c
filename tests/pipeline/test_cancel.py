"""Cancelling a running solve with a real worker: the solver process stops at once, the run
is ``cancelled``, and the round can run again."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from bulk_round import bulk_matching_round
from flask import Flask
from flask.testing import FlaskClient
from helpers import drain
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from coordinator import db
from coordinator.models import Round, SolverRun
from workers import relay

TIME_LIMIT_S = 60


def _run_status(app: Flask) -> tuple[int | None, str | None]:
    with app.app_context():
        run = db.session().scalars(select(SolverRun)).first()
        return (run.id, run.status) if run else (None, None)


@pytest.mark.slow
def test_cancel_stops_the_solver_and_a_new_run_can_start(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    with app.app_context():
        round_id = bulk_matching_round(db.session(), applications=1500, hosts=600,
                                       time_limit_s=TIME_LIMIT_S)
        relay.relay_once(db.session(), redis_conn)
    cancelled_at: list[dt.datetime] = []

    def cancel_once_running() -> None:
        # The coordinator, in another thread: waits for the solve to report, then cancels.
        limit = time.monotonic() + 120
        while time.monotonic() < limit:
            run_id, status = _run_status(app)
            if status == "running":
                answer = coordinator_client.post(
                    f"/api/rounds/{round_id}/runs/{run_id}/cancel")
                assert answer.status_code == 200, answer.json
                cancelled_at.append(dt.datetime.now(dt.UTC))
                return
            time.sleep(0.1)

    canceller = threading.Thread(target=cancel_once_running)
    canceller.start()
    solve = Queue("solve", connection=redis_conn, serializer=JSONSerializer)
    SimpleWorker([solve], connection=redis_conn, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING")
    canceller.join()
    assert cancelled_at, "the solve never reported progress"
    with app.app_context():
        run = db.session().scalars(select(SolverRun)).one()
        assert run.status == "cancelled" and run.phase == "cancelled" and run.result is None
        # Prompt: the solver process was killed within seconds (the job looks every 0.5 s),
        # far inside the solver's own time limit.
        assert (run.finished_at - cancelled_at[0]).total_seconds() < 3
        assert db.session().get(Round, round_id).status == "matching"
    # The round is free to run again: a new run is accepted and finishes.
    again = coordinator_client.post(f"/api/rounds/{round_id}/runs", json={"time_limit_s": 5})
    assert again.status_code == 202, again.json
    drain(app, redis_conn)
    runs = coordinator_client.get(f"/api/rounds/{round_id}/runs").json
    assert [r["status"] for r in runs] == ["cancelled", "done"]
    with app.app_context():
        assert db.session().get(Round, round_id).status == "review"
