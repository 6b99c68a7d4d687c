"""`flask demo run` plays a whole round in its own sandbox and prints the summary; a worker
or a test on the configured Redis database and database sees none of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from coordinator import db
from coordinator.demo import run_demo
from coordinator.models import Round


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_plays_the_round_in_its_sandbox(app: Flask, redis_conn: Redis,
                                             tmp_path: Path) -> None:
    # What a running `make up` would have waiting on the configured Redis database.
    theirs = Queue("solve", connection=redis_conn, serializer=JSONSerializer)
    theirs.enqueue("workers.jobs_round.solve_round", 1, job_id="someone-elses-job")
    with app.app_context():
        lines = run_demo(applications=40, hosts=20, random_seed=5)
    text = "\n".join(lines)
    for expected in ("placements:", "placed (all three accepted):", "declines and expiries:",
                     "re-solves:",
                     "first-run unplaced who could take a seat a decline freed:", "unplaced:", "workshops:", "workshop RSVP:",
                     "emails by template:", "offer_host", "workshop_invitation",
                     "workshop_changed", "demo finished in"):
        assert expected in text, text
    assert "round 1: workshops" in text
    # The configured Redis database and database were left alone.
    assert theirs.job_ids == ["someone-elses-job"]
    assert not list(redis_conn.scan_iter("rq:job:event-*"))
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Round)) == 0
    assert (Path(app.config["INSTANCE_PATH"]) / "demo.sqlite3").exists()
