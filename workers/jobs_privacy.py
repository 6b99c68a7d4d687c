"""The daily retention job: erase the personal data of rounds ended long ago, then book the
next run.

Runs are booked with ``enqueue_at`` (picked up by ``rq worker --with-scheduler``) under a
job id made from the run's date, so booking the same day twice (the release step, the job
itself, a second release) leaves one job in Redis. A Redis restarted empty loses the
booking; the next release (or ``flask privacy schedule``) books it again, and the job is
idempotent, so a late or repeated run erases nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from coordinator import db
from coordinator.models._types import utcnow
from workers.context import with_app_context

log = logging.getLogger(__name__)
QUEUE = "default"
RUN_AT = dt.time(3, 0, tzinfo=dt.UTC)  # a quiet hour
JOB_TIMEOUT_S = 3600
# Booked (or running) runs are left alone; a finished or failed one may be booked again.
LIVE_STATUSES = ("scheduled", "queued", "started", "deferred")


def next_run_at(now: dt.datetime) -> dt.datetime:
    today = dt.datetime.combine(now.date(), RUN_AT)
    return today if today > now else today + dt.timedelta(days=1)


def retention_job_id(run_at: dt.datetime) -> str:
    return f"privacy-retention-{run_at.date().isoformat()}"


def schedule_retention(redis: Redis, now: dt.datetime | None = None) -> tuple[str, bool]:
    """Book the next daily run; (job id, whether it was booked now rather than before)."""
    run_at = next_run_at(now or utcnow())
    job_id = retention_job_id(run_at)
    try:
        existing = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
        if existing.get_status(refresh=False) in LIVE_STATUSES:
            return job_id, False
    except NoSuchJobError:
        pass
    queue = Queue(QUEUE, connection=redis, serializer=JSONSerializer)
    queue.enqueue_at(run_at, "workers.jobs_privacy.run_retention", job_id=job_id,
                     job_timeout=JOB_TIMEOUT_S, result_ttl=30 * 86400,
                     failure_ttl=30 * 86400)
    return job_id, True


@with_app_context
def run_retention() -> dict[str, Any]:
    """Erase expired rounds (ids only in the result and the log), then book tomorrow."""
    from coordinator.services.privacy_retention import erase_expired_rounds

    job = get_current_job()
    redis = job.connection if job is not None else Redis.from_url(current_app.config["REDIS_URL"])
    now = utcnow()
    # Tomorrow is booked first: a run that fails here is retried by tomorrow's, not lost.
    next_id, _ = schedule_retention(redis, now + dt.timedelta(minutes=1))
    reports = erase_expired_rounds(db.session(), redis, now,
                                   int(current_app.config["RETENTION_DAYS"]))
    erased = [report["round_id"] for report in reports]
    log.info("retention: erased rounds %s", erased)
    return {"erased_rounds": erased, "next": next_id}
