"""A cancel and a worker's write to the same run at the same moment, on real PostgreSQL with
two sessions: the worker's progress or result never undoes a committed cancel, and a cancel
that arrives while a result is being stored finds the run finished (Conflict), never both.

Each case holds one session's write uncommitted (its row lock taken), starts the other
session's write in a thread, waits until PostgreSQL shows that thread waiting for the lock,
and only then commits the first: the interleaving is forced, not left to timing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session, sessionmaker

from coordinator.db import make_engine
from coordinator.models import Round, RoundStatus, SolverRun
from coordinator.models.audit import AuditEntry
from coordinator.services import matching
from coordinator.services.errors import Conflict

RESULT = {"status": "OPTIMAL", "assignments": [], "unassigned": [], "objective": {"placed": 0},
          "bound": {"placed": 0}, "stats": {"seconds": 1.0}}


@pytest.fixture
def engine(postgresql_url: str) -> Iterator[Engine]:
    engine = make_engine(postgresql_url)
    yield engine
    engine.dispose()


@pytest.fixture
def running_run(engine: Engine) -> Iterator[int]:
    """A round in matching with one run a worker has started; the run's id."""
    with Session(engine) as session:
        round_ = Round(name="Race round", status=RoundStatus.MATCHING, weeks=["2027-W37"])
        session.add(round_)
        session.flush()
        run = SolverRun(round_id=round_.id, status="running", phase="search", settings={})
        session.add(run)
        session.commit()
        round_id, run_id = round_.id, run.id
    yield run_id
    with Session(engine) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.object_id == run_id,
                                                 AuditEntry.object_type == "solver_run"))
        session.execute(delete(Round).where(Round.id == round_id))
        session.commit()


def _sessions(engine: Engine) -> tuple[Session, Session]:
    """The worker's and the coordinator's sessions, as the app makes them; a lock wait longer
    than 20 s fails the test instead of hanging it."""
    make = sessionmaker(engine, expire_on_commit=False)
    worker, coordinator = make(), make()
    for session in (worker, coordinator):
        session.execute(text("SET lock_timeout = '20s'"))
    return worker, coordinator


def _cancel_behind_the_worker(engine: Engine, run_id: int) -> tuple[Session, Session, SolverRun]:
    """The worker's session, holding the run as "running" from its last look, and the
    coordinator's, which has cancelled the run but not committed yet (its row lock held)."""
    worker, coordinator = _sessions(engine)
    worker_run = worker.get(SolverRun, run_id)
    worker.commit()
    matching.cancel_run(coordinator, coordinator.get(SolverRun, run_id), None)
    return worker, coordinator, worker_run


def _in_thread_once_blocked(engine: Engine, write: Callable[[], Any]) -> list[Any]:
    """Start `write` in a thread and return once PostgreSQL shows it waiting for a row lock;
    the list gets its return value or exception when it ends."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(write())
        except Exception as exc:  # handed to the test, which asserts on it
            outcome.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + 20
    with engine.connect() as conn:
        while not _lock_waiters(conn):
            assert time.monotonic() < deadline, "the second write never waited for the lock"
            assert thread.is_alive(), f"the second write did not wait: {outcome}"
            time.sleep(0.02)
    outcome.append(thread)
    return outcome


def _lock_waiters(conn: Any) -> int:
    return conn.scalar(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"))


def _finish(outcome: list[Any]) -> Any:
    thread = outcome.pop()
    thread.join(30)
    assert not thread.is_alive()
    return outcome[0]


def _status(engine: Engine, run_id: int) -> tuple[str, str | None, dict[str, Any] | None]:
    with Session(engine) as session:
        run = session.get(SolverRun, run_id)
        return run.status, run.phase, run.result


def test_progress_waiting_on_a_cancel_does_not_undo_it(engine: Engine, running_run: int) -> None:
    worker, coordinator, worker_run = _cancel_behind_the_worker(engine, running_run)
    outcome = _in_thread_once_blocked(engine, lambda: matching.record_progress(
        worker, worker_run, "search", 2.0, {"placed": 3}, None))
    coordinator.commit()
    assert _finish(outcome) is False
    assert worker_run.status == "cancelled"
    assert _status(engine, running_run)[:2] == ("cancelled", "search")
    worker.close(), coordinator.close()


def test_progress_after_a_committed_cancel_writes_nothing(engine: Engine,
                                                         running_run: int) -> None:
    worker, coordinator, worker_run = _cancel_behind_the_worker(engine, running_run)
    coordinator.commit()
    # The worker's copy still says "running": only the database's status counts.
    assert matching.record_progress(worker, worker_run, "improve", 3.0, None, None) is False
    assert _status(engine, running_run)[:2] == ("cancelled", "search")
    worker.close(), coordinator.close()


def test_a_late_result_leaves_a_cancelled_run_cancelled(engine: Engine,
                                                       running_run: int) -> None:
    worker, coordinator, worker_run = _cancel_behind_the_worker(engine, running_run)
    outcome = _in_thread_once_blocked(
        engine, lambda: matching.finish_run(worker, worker_run, RESULT))
    coordinator.commit()
    assert _finish(outcome) is False
    worker.commit()
    assert _status(engine, running_run) == ("cancelled", "search", None)
    worker.close(), coordinator.close()


def test_a_cancel_waiting_on_a_result_finds_the_run_finished(engine: Engine,
                                                            running_run: int) -> None:
    worker, coordinator = _sessions(engine)
    coordinator_run = coordinator.get(SolverRun, running_run)
    coordinator.commit()  # the coordinator's page showed the run as running
    assert matching.finish_run(worker, worker.get(SolverRun, running_run), RESULT) is True
    outcome = _in_thread_once_blocked(
        engine, lambda: matching.cancel_run(coordinator, coordinator_run, None))
    worker.commit()
    refused = _finish(outcome)
    assert isinstance(refused, Conflict) and refused.details["state"] == "done"
    coordinator.rollback()
    assert _status(engine, running_run)[:2] == ("done", "finished")
    worker.close(), coordinator.close()


def test_a_failure_after_a_cancel_leaves_it_cancelled(engine: Engine, running_run: int) -> None:
    worker, coordinator, worker_run = _cancel_behind_the_worker(engine, running_run)
    coordinator.commit()
    matching.fail_run(worker, worker_run, "SolveCrashed")
    assert _status(engine, running_run)[:2] == ("cancelled", "search")
    worker.close(), coordinator.close()
