"""What the RQ queues hold, for the coordinators' job board: queue lengths, workers, the jobs
that failed after their last retry, and requeueing one of those. Redis carries work only;
the database stays the record of state, so a retried job finds the same rows it would have."""

from __future__ import annotations

from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from coordinator.services.errors import NotFound

QUEUE_NAMES = ("solve", "default", "email")
ERROR_TAIL = 2000  # the end of a traceback says what went wrong


def _queue(redis: Redis, name: str) -> Queue:
    if name not in QUEUE_NAMES:
        raise NotFound("queue")
    return Queue(name, connection=redis, serializer=JSONSerializer)


def failed_jobs(redis: Redis) -> list[dict[str, Any]]:
    """Jobs that failed after their last retry, per queue, oldest first."""
    out = []
    for name in QUEUE_NAMES:
        queue = _queue(redis, name)
        for job_id in FailedJobRegistry(queue=queue).get_job_ids():
            job = queue.fetch_job(job_id)
            result = job.latest_result() if job else None
            out.append({"queue": name, "job_id": job_id,
                        "function": job.func_name if job else None,
                        "args": list(job.args) if job else None,
                        "ended_at": job.ended_at if job else None,
                        "error": result.exc_string[-ERROR_TAIL:]
                        if result and result.exc_string else None})
    return out


def retry_failed(redis: Redis, queue_name: str, job_id: str) -> None:
    """Put a failed job back on its queue (NotFound if it is not in the failed registry)."""
    queue = _queue(redis, queue_name)
    registry = FailedJobRegistry(queue=queue)
    if job_id not in registry.get_job_ids():
        raise NotFound("failed job")
    try:
        registry.requeue(job_id)
    except NoSuchJobError as exc:  # expired from Redis meanwhile
        raise NotFound("failed job") from exc


def queue_lengths(redis: Redis) -> list[dict[str, Any]]:
    rows = []
    for name in QUEUE_NAMES:
        queue = _queue(redis, name)
        rows.append({"queue": name, "queued": queue.count,
                     "started": queue.started_job_registry.count,
                     "scheduled": queue.scheduled_job_registry.count,
                     "failed": queue.failed_job_registry.count})
    return rows


def workers(redis: Redis) -> list[dict[str, Any]]:
    return [{"name": w.name, "state": w.get_state(), "queues": w.queue_names(),
             "job_id": w.get_current_job_id(), "last_heartbeat": w.last_heartbeat}
            for w in Worker.all(connection=redis, serializer=JSONSerializer)]
