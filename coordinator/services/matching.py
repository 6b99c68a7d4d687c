"""Solver runs of a round: start one, record its progress and result, list and compare them."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coordinator.models import Event, Round, RoundStatus, SolverRun
from coordinator.models._types import utcnow
from coordinator.services.audit import record_audit
from coordinator.services.encode import decode_id
from coordinator.services.errors import Conflict
from coordinator.services.events import record_event
from coordinator.services.rounds import transition_round
from workers.routing import job_id_for  # ids only; no job code runs here

log = logging.getLogger(__name__)

# A run can be asked for from these states; the first two move the round to matching.
RUN_FROM = (RoundStatus.CLOSED, RoundStatus.REVIEW, RoundStatus.MATCHING)
# A run in these states may still change; every other state is final.
LIVE_RUNS = ("queued", "running")


def run_for_event(session: Session, round_id: int, event_id: int,
                  settings: dict[str, Any]) -> SolverRun:
    """The run an event asked for, created once (the event id is unique on runs)."""
    run = session.scalar(select(SolverRun).where(SolverRun.event_id == event_id))
    if run is None:
        run = SolverRun(round_id=round_id, event_id=event_id, status="queued",
                        settings=settings)
        session.add(run)
        session.commit()
    elif run.status == "queued" and run.settings != settings:
        # Requested through request_run(): the worker's settings name the time limit it
        # actually uses (the worker's default where the request left it out).
        run.settings = settings
        session.commit()
    elif run.status == "failed":
        # The job again after a failed try (RQ's retry, or the job's own after a lost
        # database connection): the run is solved again, so it is live again, else every
        # progress and result write of the new try (conditional on a live run) would be
        # dropped and the round would stay in matching. A cancel that raced in is kept.
        _update_run(session, run, ("failed",), status="queued", settings=settings, phase=None,
                    finished_at=None)
        session.commit()
    return run


def request_run(session: Session, round_: Round, settings: dict[str, Any],
                actor_id: int | None) -> SolverRun:
    """Write the event that starts a solver run with `settings` (fixed, forbidden, objective,
    time_limit_s) and the run itself, ``queued``; the relay enqueues the event after commit.
    The run exists from the request on, so a coordinator can cancel it before a worker is
    free. Returns the run (flushed, with an id and its event id). The one way web pages, API
    and dashboard ask for a run."""
    if round_.status not in RUN_FROM:
        raise Conflict(f"a round in state '{round_.status}' cannot be solved", state=round_.status)
    if round_.status == RoundStatus.MATCHING:
        event = record_event(session, "round.solve_requested", "round", round_.id, round_.id,
                             settings)
    else:
        transition_round(session, round_, RoundStatus.MATCHING, actor_id)
        # The transition's own event starts the run (one run per request, not two).
        event = next(e for e in session.new
                     if isinstance(e, Event) and e.kind == "round.matching")
        event.payload = {**event.payload, **settings}
    session.flush()
    run = SolverRun(round_id=round_.id, event_id=event.id, status="queued", settings=settings)
    session.add(run)
    session.flush()
    record_audit(session, actor_id, "run.request", "round", round_.id, None,
                 {"event_id": event.id, "run_id": run.id, **settings})
    return run


def cancel_run(session: Session, run: SolverRun, actor_id: int | None) -> str:
    """Mark a queued or running run cancelled (Conflict if it has finished); returns the
    status it had. A running job sees the mark within half a second and stops its solver;
    a queued run is settled here (no job may ever run it) and, after commit,
    ``drop_queued_job`` takes its job off the queue.

    The mark is a compare-and-set on the status just read, so a result the worker commits
    meanwhile is never turned into a cancel (the run stays finished: Conflict), and a queued
    run a worker starts meanwhile is cancelled as running."""
    while True:
        session.refresh(run)
        before = run.status
        if before not in LIVE_RUNS:
            raise Conflict(f"run {run.id} is already '{before}'", state=before)
        if _update_run(session, run, (before,), status="cancelled"):
            break
    if before == "queued":
        settle_after_cancel(session, run)
    record_audit(session, actor_id, "run.cancel", "solver_run", run.id,
                 {"status": before}, {"status": "cancelled"})
    return before


def drop_queued_job(redis_url: str, session: Session, run: SolverRun) -> bool:
    """Take a cancelled run's job off its queue if no worker has started it; True if one was
    dropped. Best effort, after the cancel is committed: a job that is not in Redis yet (the
    relay had not sent it), one a worker takes meanwhile, or one left because Redis was down
    finds its run cancelled and does nothing."""
    event = session.get(Event, run.event_id) if run.event_id is not None else None
    if event is None:
        return False
    redis = Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        job = Job.fetch(job_id_for(event), connection=redis, serializer=JSONSerializer)
        if job.get_status(refresh=False) not in ("queued", "scheduled", "deferred"):
            return False
        job.cancel()
        job.delete(remove_from_queue=True)
        return True
    except NoSuchJobError:
        return False
    except RedisError:
        log.warning("run %s cancelled; its queued job could not be dropped", run.id)
        return False
    finally:
        redis.close()


def run_for_event_id(session: Session, round_id: int, event_id: int) -> SolverRun | None:
    """The run a request's event started, once a worker picked it up."""
    return session.scalar(select(SolverRun).where(SolverRun.event_id == event_id,
                                                  SolverRun.round_id == round_id))


def record_progress(session: Session, run: SolverRun, phase: str, elapsed_s: float,
                    objective: dict[str, Any] | None, bound: dict[str, Any] | None) -> bool:
    """Write a running solve's progress and commit; False (nothing written) if the run is no
    longer queued or running: a coordinator cancelled it, and the job drops the result."""
    written = _update_run(session, run, LIVE_RUNS, status="running", phase=phase,
                          elapsed_s=elapsed_s, best_objective=objective, bound=bound)
    session.commit()
    return written


def decode_result(result: dict[str, Any]) -> dict[str, Any]:
    """The solver's result with database ids next to the solver ids."""
    assignments = [{**a, "application_id": decode_id(a["visitor"]),
                    "host_id": decode_id(a["host"])} for a in result.get("assignments", [])]
    unassigned = [{**u, "application_id": decode_id(u["visitor"])}
                  for u in result.get("unassigned", [])]
    return {**result, "assignments": assignments, "unassigned": unassigned}


def finish_run(session: Session, run: SolverRun, result: dict[str, Any]) -> bool:
    """Store the solver's result on a queued or running run (not committed); False, and
    nothing stored, if the run was cancelled (or otherwise settled) meanwhile: a late result
    never turns a cancelled run into a finished one. The row stays locked until commit, so a
    cancel arriving now waits and then finds the run finished."""
    return _update_run(
        session, run, LIVE_RUNS, result=decode_result(result),
        status="done" if result.get("status") in ("OPTIMAL", "FEASIBLE") else "empty",
        phase="finished", best_objective=result.get("objective"), bound=result.get("bound"),
        elapsed_s=(result.get("stats") or {}).get("seconds"), finished_at=utcnow())


def fail_run(session: Session, run: SolverRun, message: str) -> None:
    """Mark a queued or running run failed and commit (a cancelled run stays cancelled)."""
    _update_run(session, run, LIVE_RUNS, status="failed", phase=message[:40],
                finished_at=utcnow())
    session.commit()


def _update_run(session: Session, run: SolverRun, if_status: tuple[str, ...],
                **values: Any) -> bool:
    """Set `values` on the run's row only while its status is one of `if_status`; True if it
    was. One conditional UPDATE, not read-then-write: PostgreSQL checks the WHERE against the
    committed row (after waiting for a concurrent writer's lock), so a status another session
    committed between our read and our write is never overwritten. `run` is reloaded."""
    changed = session.execute(
        update(SolverRun).where(SolverRun.id == run.id, SolverRun.status.in_(if_status))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    session.refresh(run)
    return changed == 1


def runs_for_round(session: Session, round_id: int) -> list[SolverRun]:
    return list(session.scalars(select(SolverRun).where(SolverRun.round_id == round_id)
                                .order_by(SolverRun.id)))


def latest_run(session: Session, round_id: int) -> SolverRun | None:
    """The newest run that was not cancelled (a cancelled run has no result to publish)."""
    return session.scalar(select(SolverRun).where(SolverRun.round_id == round_id,
                                                  SolverRun.status != "cancelled")
                          .order_by(SolverRun.id.desc()).limit(1))


def settle_after_cancel(session: Session, run: SolverRun) -> None:
    """After a cancelled run stopped: close it, and let the round go on. With no other run
    queued or running, a round that has a finished run goes back to review (that run can be
    published or another requested); without one it stays in matching, where a new run can
    be requested."""
    if run.phase == "cancelled":
        return  # settled already (a queued run at cancel time): a late job changes nothing
    run.phase = "cancelled"
    run.finished_at = run.finished_at or utcnow()
    round_ = session.get(Round, run.round_id, with_for_update=True)
    if round_.status != RoundStatus.MATCHING:
        return
    runs = runs_for_round(session, round_.id)
    if any(r.status in ("queued", "running") for r in runs if r.id != run.id):
        return
    if any(r.status == "done" for r in runs):
        transition_round(session, round_, RoundStatus.REVIEW, None)


def run_summary(run: SolverRun) -> dict[str, Any]:
    result = run.result or {}
    return {"id": run.id, "round_id": run.round_id, "status": run.status, "phase": run.phase,
            "objective": run.best_objective, "bound": run.bound, "elapsed_s": run.elapsed_s,
            "settings": run.settings, "placed": len(result.get("assignments", [])),
            "unplaced": len(result.get("unassigned", [])),
            "created_at": _iso(run.created_at), "finished_at": _iso(run.finished_at)}


def round_is_matching(round_: Round) -> bool:
    return round_.status == RoundStatus.MATCHING


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
