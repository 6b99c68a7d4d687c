"""Round jobs: solve a round. Arguments are event ids; the database says what to do.

The solver runs in a child process (``workers.solve_process``) so a cancel stops it at once.
Idempotent: the run row is keyed by the event, so a job run twice (a re-enqueue after a
lost Redis, or an abandoned job picked up again) finishes the same run instead of adding a
second set of placements; a run already finished is left alone.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from rq import get_current_job

from coordinator import db
from coordinator.models import Event, Round, RoundStatus
from coordinator.services import matching
from coordinator.services.encode import build_match_instance
from coordinator.services.rounds import transition_round
from solver.progress import Progress
from workers.context import with_app_context
from workers.routing import SOLVE_TIME_LIMIT_S
from workers.solve_process import SolveCancelled, solve_match_in_child

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 1.0
# How often a running solve looks for a coordinator's cancel (one small query).
CANCEL_CHECK_EVERY_S = 0.5


def _pairs(value: Any) -> list[tuple[int, int]]:
    return [(int(a), int(h)) for a, h in (value or [])]


@with_app_context
def solve_round(event_id: int) -> dict[str, Any]:
    session = db.session()
    event = session.get(Event, event_id)
    if event is None or event.round_id is None:
        return {"skipped": "no such event"}
    payload = event.payload or {}
    time_limit = float(payload.get("time_limit_s") or SOLVE_TIME_LIMIT_S)
    settings = {"fixed": payload.get("fixed", []), "forbidden": payload.get("forbidden", []),
                "objective": payload.get("objective", "canonical"), "time_limit_s": time_limit}
    run = matching.run_for_event(session, event.round_id, event_id, settings)
    round_ = session.get(Round, event.round_id)
    if run.status == "cancelled":  # cancelled while queued
        matching.settle_after_cancel(session, run)
        session.commit()
        return {"run_id": run.id, "status": "cancelled"}
    if run.status in ("done", "empty"):
        return {"run_id": run.id, "status": run.status, "repeated": True}
    instance = build_match_instance(session, round_, fixed=_pairs(settings["fixed"]),
                                    forbidden=_pairs(settings["forbidden"]),
                                    objective=settings["objective"], time_limit_s=time_limit)
    job = get_current_job()
    last = [0.0, 0.0]

    def forward(progress: Progress) -> None:
        # Throttled: a commit per callback would slow the solver on big instances.
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S and progress.phase != "done":
            return
        last[0] = now
        if job is not None:
            job.meta["progress"] = progress.as_dict()
            job.save_meta()
        matching.record_progress(session, run, progress.phase, progress.elapsed_s,
                                 progress.objective, progress.bound)

    def cancelled() -> bool:
        now = time.monotonic()
        if now - last[1] < CANCEL_CHECK_EVERY_S:
            return False
        last[1] = now
        session.refresh(run)
        session.commit()  # end the read transaction: the next look sees a new cancel
        return run.status == "cancelled"

    try:
        result = solve_match_in_child(instance, time_limit_s=time_limit, on_progress=forward,
                                      should_stop=cancelled)
    except SolveCancelled:
        session.rollback()
        session.refresh(run)
        matching.settle_after_cancel(session, run)
        session.commit()
        log.info("round %s run %s: cancelled, solver stopped", round_.id, run.id)
        return {"run_id": run.id, "status": "cancelled"}
    except Exception as exc:
        session.rollback()
        matching.fail_run(session, run, f"{type(exc).__name__}")
        raise
    if not matching.finish_run(session, run, result):
        # Cancelled after the solver's last look (or settled by a twin job): drop the result.
        if run.status == "cancelled":
            matching.settle_after_cancel(session, run)
        session.commit()
        return {"run_id": run.id, "status": run.status, "dropped_result": True}
    session.refresh(round_)
    if round_.status == RoundStatus.MATCHING:
        transition_round(session, round_, RoundStatus.REVIEW, None)
    session.commit()
    log.info("round %s run %s: %s", round_.id, run.id, run.status)
    return {"run_id": run.id, "status": run.status}
