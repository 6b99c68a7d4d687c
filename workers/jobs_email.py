"""Email jobs: claim one row, send it, record the outcome. The messages table is the truth.

A row moves ``pending -> sending -> sent | failed``; the claim is committed before the
provider is called, so two workers never send the same row at once. A worker killed between
claim and record leaves the row in ``sending``; once the lease has passed it is claimed again
(that is the one case where a second copy may go out; the row is then flagged).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from coordinator import db
from coordinator.models import Message, MessageAttachment
from coordinator.models._types import utcnow
from coordinator.services.mail import render_queued
from workers.context import with_app_context
from workers.email_backends import (
    EmailBackend,
    PermanentSendError,
    RetryableSendError,
    backend_from_config,
)

log = logging.getLogger(__name__)
QUEUE = "email"
DEFAULTS = {"EMAIL_LEASE_SECONDS": 300, "EMAIL_MAX_ATTEMPTS": 8,
            "EMAIL_RETRY_BASE_SECONDS": 30.0, "EMAIL_RETRY_MAX_SECONDS": 3600.0}


def _setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


def _claimable(now: dt.datetime) -> Any:
    lease = dt.timedelta(seconds=float(_setting("EMAIL_LEASE_SECONDS")))
    due = or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now)
    return or_(and_(Message.status == "pending", due),
               and_(Message.status == "sending", Message.claimed_at < now - lease))


def due_messages_exist(session: Session) -> bool:
    """Whether any row waits for a sender (the relay's sweep asks this every pass)."""
    return session.scalar(select(Message.id).where(_claimable(utcnow())).limit(1)) is not None


def _claim_values(now: dt.datetime) -> dict[str, Any]:
    # Reclaiming a stale "sending" row: the dead worker may have sent it already.
    stale = case((Message.status == "sending", True), else_=Message.possible_duplicate)
    return {"status": "sending", "claimed_at": now, "attempts": Message.attempts + 1,
            "possible_duplicate": stale}


def claim(session: Session, message_id: int) -> bool:
    """Atomically move one due row to ``sending``; false when it is not ours to send.

    A conditional UPDATE is a compare-and-set on both databases (PostgreSQL re-checks the
    WHERE after waiting for a concurrent writer), so exactly one claimant wins.
    """
    now = utcnow()
    result = session.execute(
        update(Message).where(Message.id == message_id, _claimable(now))
        .values(**_claim_values(now))
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def claim_batch(session: Session, limit: int) -> list[int]:
    """Claim up to ``limit`` due rows; on PostgreSQL concurrent sweepers skip each other's."""
    now = utcnow()
    query = select(Message.id).where(_claimable(now)).order_by(Message.id).limit(limit)
    if db.is_postgresql(session):
        ids = list(session.scalars(query.with_for_update(skip_locked=True)))
        if ids:
            session.execute(
                update(Message).where(Message.id.in_(ids))
                .values(**_claim_values(now))
                .execution_options(synchronize_session=False))
        session.commit()
        return ids
    # SQLite has one writer at a time: a compare-and-set per row is enough.
    candidates = list(session.scalars(query))
    session.commit()
    return [message_id for message_id in candidates if claim(session, message_id)]


def deliver(session: Session, message_id: int, backend: EmailBackend) -> str:
    """Send a row this process has claimed and record what happened; the final status."""
    message = session.get(Message, message_id, populate_existing=True)
    assert message is not None and message.status == "sending"
    attachments = list(session.scalars(
        select(MessageAttachment).where(MessageAttachment.message_id == message_id)
        .order_by(MessageAttachment.id)))
    delay: float | None = None
    if message.recipient.lower().endswith(".invalid"):
        # An erased person's address (GDPR erasure writes ...@erased.invalid, a domain reserved
        # never to resolve): a reminder booked before the erasure must not go anywhere.
        message.status, message.last_error = "failed", "recipient erased; not sent"
        message.claimed_at = None
        session.commit()
        log.info("message %s: not sent, recipient erased", message_id)
        return "failed"
    try:
        if render_queued(session, message):
            # Stored before the send: a retry, the dashboard and an export see these bytes.
            session.commit()
    except LookupError as exc:
        message.status, message.last_error, message.claimed_at = "failed", str(exc), None
        session.commit()
        log.info("message %s: not sent, %s", message_id, exc)
        return "failed"
    try:
        provider_id = backend.send(message, attachments)
    except RetryableSendError as exc:
        message.last_error = str(exc)
        message.possible_duplicate = message.possible_duplicate or exc.maybe_sent
        if message.attempts >= int(_setting("EMAIL_MAX_ATTEMPTS")):
            message.status = "failed"
        else:
            delay = _retry_delay(exc.retry_after, message.attempts)
            message.status = "pending"
            message.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
    except PermanentSendError as exc:
        # 4xx other than 429: the same request would be refused again; the coordinator sees it.
        message.status, message.last_error = "failed", str(exc)
    else:
        message.status, message.provider_id, message.sent_at = "sent", provider_id, utcnow()
        message.last_error = None
    message.claimed_at = None
    status, attempts = message.status, message.attempts
    session.commit()
    log.info("message %s: %s after %s attempt(s)", message_id, status, attempts)
    if delay is not None:
        _reschedule(message_id, attempts, delay)
    return status


def _retry_delay(provider_wait: float | None, attempts: int) -> float:
    """The provider's wait when it named one, never longer than our longest backoff.

    A bogus or hostile ``Retry-After`` (a day, a year) must not park a message past any
    response deadline; the cap is the same ceiling the backoff itself stops at.
    """
    if provider_wait is None:
        return _backoff(attempts)
    return min(float(_setting("EMAIL_RETRY_MAX_SECONDS")), provider_wait)


def _backoff(attempts: int) -> float:
    base = float(_setting("EMAIL_RETRY_BASE_SECONDS"))
    return min(float(_setting("EMAIL_RETRY_MAX_SECONDS")), base * 2 ** (attempts - 1))


def _reschedule(message_id: int, attempts: int, delay: float) -> None:
    """Run again after ``delay``; without a current job the sweep picks the row up."""
    from rq import Queue, get_current_job

    job = get_current_job()
    if job is None:
        return
    # Same serializer as the job that runs now (the Procfile worker uses JSON).
    queue = Queue(QUEUE, connection=job.connection, serializer=job.serializer)
    job_id = f"email-{message_id}-retry-{attempts}"
    if delay <= 0:
        queue.enqueue(send_message, message_id, job_id=job_id)
    else:
        queue.enqueue_in(dt.timedelta(seconds=delay), send_message, message_id, job_id=job_id)


@with_app_context
def send_message(message_id: int) -> str:
    """Send one message if it is due and unclaimed; idempotent. Returns the row's status."""
    session = db.session()
    if claim(session, message_id):
        return deliver(session, message_id, backend_from_config(current_app.config))
    current = session.scalar(select(Message.status).where(Message.id == message_id))
    session.commit()
    return current or "missing"


@with_app_context
def send_pending(batch_size: int = 100) -> int:
    """Sweep due pending and stale sending rows; the number handled.

    Rows are claimed one at a time, just before each is sent: a worker that dies in the
    middle of a sweep (killed, or its horse lost with Redis) leaves one row in ``sending``
    to be flagged as a possible duplicate, not every row it had claimed ahead.
    ``batch_size`` rows at most per job; the relay's sweep enqueues the next job.
    """
    session = db.session()
    backend = backend_from_config(current_app.config)
    handled = 0
    while handled < batch_size:
        ids = claim_batch(session, 1)
        if not ids:
            break
        deliver(session, ids[0], backend)
        handled += 1
    return handled
