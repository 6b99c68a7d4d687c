"""Dashboard page: the job board — solver runs, RQ queue lengths and workers, the jobs that
failed after their last retry with their error, and a retry button for each."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from coordinator import db
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import actor_id, visible_only
from coordinator.models import Round, SolverRun
from coordinator.services import job_queue
from coordinator.services.audit import record_audit

__all__ = ["bp"]
RUNS_SHOWN = 50


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2,
                          socket_timeout=5)


def _queue_state() -> dict[str, Any]:
    redis = _redis()
    try:
        return {"queues": job_queue.queue_lengths(redis), "workers": job_queue.workers(redis),
                "failed": job_queue.failed_jobs(redis), "redis_error": False}
    except RedisError:
        return {"queues": [], "workers": [], "failed": [], "redis_error": True}
    finally:
        redis.close()


@bp.get("/jobs")
def jobs() -> ResponseReturnValue:
    runs = db.session().execute(
        visible_only(select(SolverRun, Round.name).join(Round, Round.id == SolverRun.round_id),
                     SolverRun.round_id)
        .order_by(SolverRun.id.desc()).limit(RUNS_SHOWN)).all()
    return render_template("dashboard/jobs.html", runs=runs, **_queue_state())


@bp.post("/jobs/failed/<queue_name>/<job_id>/retry")
def job_retry(queue_name: str, job_id: str) -> ResponseReturnValue:
    redis = _redis()
    try:
        job_queue.retry_failed(redis, queue_name, job_id)
    except RedisError:
        flash(gettext("The job queue cannot be reached; nothing was retried."))
        return redirect(url_for("dashboard.jobs"))
    finally:
        redis.close()
    # Job ids are strings; the audit log keys objects by number, so the id goes in "after".
    record_audit(db.session(), actor_id(), "job.retry", "job", 0, None,
                 {"queue": queue_name, "job_id": job_id})
    db.session().commit()
    flash(gettext("The job is back on its queue."))
    return redirect(url_for("dashboard.jobs"))
