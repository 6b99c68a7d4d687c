"""SIGKILL during a solve, with the real forking `rq worker` of the Procfile.

Two deaths: only the work horse (the worker sees it go and retries the job itself), or the
whole worker with its horse (nobody is left: once the execution's heartbeat lease has run
out, the next worker's registry cleanup retries the abandoned job). Either way the round
ends with exactly one run for the event and one set of placements.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from fault_checks import assert_nothing_lost_nothing_twice
from fault_round import run_round_to_workshops, seed_matching_round, set_solve_time_limit
from fault_services import ForkingWorker, wait_until
from flask import Flask
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select

from coordinator import db
from coordinator.models import SolverRun
from workers import relay

# RQ's lease on an execution: the job's monitoring interval (30 s) plus 60 s of grace.
ABANDONED_AFTER_S = 120


def _run_status(app: Flask, round_id: int) -> str | None:
    with app.app_context():
        run = db.session().scalar(select(SolverRun).where(SolverRun.round_id == round_id))
        return run.status if run else None


def _solve_queue(redis_conn: Redis) -> Queue:
    return Queue("solve", connection=redis_conn, serializer=JSONSerializer)


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["work_horse", "whole_worker"])
def test_killed_mid_solve_ends_with_one_set_of_placements(
        app: Flask, app_config: dict[str, Any], redis_conn: Redis, tmp_path: Path,
        victim: str) -> None:
    round_id = seed_matching_round(app, time_limit_s=60)
    with app.app_context():
        assert relay.relay_once(db.session(), redis_conn) >= 1
    worker = ForkingWorker(app_config, ["solve"], tmp_path / "worker.log").start()
    try:
        # The solver process is frozen the moment it appears, so the kill surely lands mid-solve
        # however fast the machine solves this round (it once did, before the test looked).
        solver = wait_until(worker.solvers, 120, lambda: f"the solve to start\n{worker.output()}",
                            every_s=0.005)[0]
        os.kill(solver, signal.SIGSTOP)
        assert _run_status(app, round_id) in ("queued", "running")
        horses = worker.horses()
        assert len(horses) == 1, worker.output()
        set_solve_time_limit(app, round_id, 1)  # the second try need not take a minute
        if victim == "work_horse":
            os.kill(horses[0], signal.SIGKILL)
            wait_until(lambda: _run_status(app, round_id) == "done", 120,
                       lambda: f"the retried solve\n{worker.output()}")
            assert "Work-horse terminated unexpectedly" in worker.output()
        else:
            worker.kill_all()
            registry = StartedJobRegistry(queue=_solve_queue(redis_conn))
            registry.cleanup()  # within the lease the job is not taken from its owner
            assert registry.count == 1 and _solve_queue(redis_conn).count == 0
            # The lease has run out (the clock moved on): cleanup retries the job.
            registry.cleanup(timestamp=time.time() + ABANDONED_AFTER_S)
            assert _solve_queue(redis_conn).count == 1
            worker = ForkingWorker(app_config, ["solve"], tmp_path / "worker2.log",
                                   burst=True).start()
            assert worker.wait(120) == 0, worker.output()
    finally:
        worker.kill_all()
    assert _run_status(app, round_id) == "done"
    assert FailedJobRegistry(queue=_solve_queue(redis_conn)).count == 0
    run_round_to_workshops(app, redis_conn, round_id)
    assert_nothing_lost_nothing_twice(app, round_id, "workshops")
