"""The outbox relay: committed event rows -> RQ jobs (ids only, deterministic job ids).

The database is the truth. A row is marked dispatched only after its job is in Redis,
in the same transaction that claimed it; a relay that crashes in between leaves the row
undispatched and the next pass enqueues it again (same job id, so no duplicate).
``sweep`` re-dispatches rows whose job vanished from Redis (a restart without
persistence) and whose effect the database does not show as done; the handlers are
idempotent, so running one again would change nothing more, but it would be work.
The long-running relay notices such a restart itself (its marker key is gone) and sweeps,
and it hands due messages (intake mail has no event; a retry whose scheduled job was lost;
a row left in ``sending`` by a killed worker) to one ``send_pending`` job.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from coordinator import db
from coordinator.models import Event
from coordinator.models._types import utcnow
from workers.event_work import Dispatched, events_with_work_left
from workers.routing import ROUTES, job_args_for, job_id_for, route_for

log = logging.getLogger(__name__)
BATCH = 100
# Present while Redis keeps its data; gone after a restart without persistence.
ALIVE_KEY = "coordinator:relay:alive"
EMAIL_SWEEP_JOB_ID = "email-sweep"


def enqueue_event(redis: Redis, event: Event) -> str | None:
    route = route_for(event)
    if route is None:
        return None
    job_id = job_id_for(event)
    queue = Queue(route.queue, connection=redis, serializer=JSONSerializer)
    try:
        existing = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
        if existing.get_status(refresh=False) not in ("failed", "stopped", "canceled"):
            return job_id
    except NoSuchJobError:
        pass
    queue.enqueue(route.func, *job_args_for(event), job_id=job_id,
                  job_timeout=route.timeout_s, result_ttl=86400, failure_ttl=7 * 86400,
                  # Retries also cover an abandoned job (its worker killed): RQ's registry
                  # cleanup re-enqueues it instead of failing it; handlers are idempotent.
                  retry=Retry(max=route.retries) if route.retries else None)
    return job_id


def relay_once(session: Session, redis: Redis, limit: int = BATCH) -> int:
    """Claim up to ``limit`` undispatched rows, enqueue, mark; returns how many were sent."""
    query = (select(Event).where(Event.dispatched_at.is_(None))
             .order_by(Event.id).limit(limit))
    if db.is_postgresql(session):
        # Two relays never claim the same row; on SQLite run one relay.
        query = query.with_for_update(skip_locked=True)
    events = list(session.scalars(query))
    sent = 0
    for event in events:
        event.attempts = (event.attempts or 0) + 1
        if enqueue_event(redis, event) is not None:
            sent += 1
        event.dispatched_at = utcnow()
    session.commit()
    return sent


def sweep(session: Session, redis: Redis, kinds: tuple[str, ...] | None = None) -> int:
    """Mark dispatched rows whose job is gone from Redis undispatched, so they go again.

    Only rows whose effect the database does not show as done (``event_work``): a job whose
    result merely expired, or one that finished before Redis lost it, stays where it is.
    """
    query = select(Event.id, Event.kind, Event.subject_id, Event.round_id).where(
        Event.dispatched_at.is_not(None))
    if kinds:
        query = query.where(Event.kind.in_(kinds))
    routed = [Dispatched(*row) for row in session.execute(query)
              if row[1] in ROUTES]
    unfinished = events_with_work_left(session, redis, routed)
    lost = [event.id for event in routed if event.id in unfinished and not redis.exists(
        Job.key_for(job_id_for(Event(id=event.id, kind=event.kind,
                                     subject_id=event.subject_id))))]
    for start in range(0, len(lost), BATCH):
        session.execute(update(Event).where(Event.id.in_(lost[start:start + BATCH]))
                        .values(dispatched_at=None)
                        .execution_options(synchronize_session=False))
    session.commit()
    return len(lost)


def redis_lost_its_data(redis: Redis) -> bool:
    """True on the first call and after every Redis restart that emptied it."""
    return bool(redis.set(ALIVE_KEY, "1", nx=True))


def sweep_messages(session: Session, redis: Redis) -> bool:
    """Enqueue one ``send_pending`` job when a message is due and none is on its way."""
    from workers.jobs_email import due_messages_exist

    due = due_messages_exist(session)
    session.commit()
    if not due:
        return False
    try:
        job = Job.fetch(EMAIL_SWEEP_JOB_ID, connection=redis, serializer=JSONSerializer)
        if job.get_status(refresh=False) in ("queued", "started", "scheduled", "deferred"):
            return False
    except NoSuchJobError:
        pass
    Queue("email", connection=redis, serializer=JSONSerializer).enqueue(
        "workers.jobs_email.send_pending", job_id=EMAIL_SWEEP_JOB_ID, job_timeout=600,
        result_ttl=600, failure_ttl=7 * 86400)
    return True


def relay_pass(session: Session, redis: Redis) -> int:
    """One pass of the long-running relay: recover after a lost Redis, relay, sweep mail."""
    if redis_lost_its_data(redis):
        swept = sweep(session, redis)
        if swept:
            log.warning("Redis came back empty: %d events go out again", swept)
    sent = relay_once(session, redis)
    sweep_messages(session, redis)
    return sent


def run_relay(session: Session, redis: Redis, *, once: bool = False,
              interval_s: float = 1.0) -> None:
    while True:
        try:
            sent = relay_pass(session, redis)
        except (RedisError, DBAPIError) as exc:
            # Redis or the database is restarting: nothing was marked, the next pass retries.
            session.rollback()
            if once:
                raise
            log.warning("relay pass failed (%s), retrying", type(exc).__name__)
            sent = 0
        if sent:
            log.info("relayed %d events", sent)
        if once:
            return
        time.sleep(interval_s)
