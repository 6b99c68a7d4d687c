"""Retry-After on 429/503: seconds or an HTTP date, capped, else the job's own backoff.

The real sendgrid client against the recording server, real RQ SimpleWorkers.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import pytest
from email_fake_sendgrid import RecordingSendGrid
from email_helpers import enqueue, queued_message, row, work
from flask import Flask
from redis import Redis


def _seconds_ahead(when: dt.datetime | None) -> float:
    assert when is not None
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def _first_attempt_wait(job_app: Flask, redis_conn: Redis, message_id: int) -> tuple[float, float]:
    """Run the first attempt; the earliest and latest wait its ``next_attempt_at`` can mean.

    Bounded by the clock before and after the worker ran, so a slow machine cannot fail it.
    """
    before = dt.datetime.now(dt.UTC)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    after = dt.datetime.now(dt.UTC)
    due = row(job_app, message_id).next_attempt_at
    assert due is not None
    return (due - after).total_seconds(), (due - before).total_seconds()


def test_429_retry_after_seconds_waits_then_sends_once(
        job_app: Flask, redis_conn: Redis, sendgrid_server: RecordingSendGrid) -> None:
    sendgrid_server.script.append(("retry-after", 429, "2"))
    message_id = queued_message(job_app)
    shortest, longest = _first_attempt_wait(job_app, redis_conn, message_id)
    waiting = row(job_app, message_id)
    # The test backoff is 0 s: a wait of 2 s can only come from the header.
    assert waiting.status == "pending"
    assert shortest <= 2.0 <= longest
    work(redis_conn)  # not yet due: the scheduled retry sits in the scheduler, nothing is sent
    assert len(sendgrid_server.requests) == 1
    time.sleep(max(0.0, _seconds_ahead(waiting.next_attempt_at)) + 0.3)
    work(redis_conn, with_scheduler=True)
    sent = row(job_app, message_id)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert sendgrid_server.delivered_ids() == [str(message_id)]


def test_503_retry_after_http_date_is_honoured(
        job_app: Flask, redis_conn: Redis, sendgrid_server: RecordingSendGrid) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=40)
    sendgrid_server.script.append(("retry-after", 503, email.utils.format_datetime(when, usegmt=True)))
    message_id = queued_message(job_app)
    before = dt.datetime.now(dt.UTC)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    waiting = row(job_app, message_id)
    assert waiting.status == "pending" and "HTTP 503" in (waiting.last_error or "")
    # HTTP dates have whole seconds: the retry is due at the date given, to the second.
    assert waiting.next_attempt_at is not None
    assert abs((waiting.next_attempt_at - when).total_seconds()) <= 1.0 + (
        dt.datetime.now(dt.UTC) - before).total_seconds()
    assert sendgrid_server.delivered == []


def test_a_huge_retry_after_is_capped(job_app: Flask, redis_conn: Redis,
                                      sendgrid_server: RecordingSendGrid) -> None:
    job_app.config["EMAIL_RETRY_MAX_SECONDS"] = 60.0
    sendgrid_server.script.append(("retry-after", 429, str(365 * 24 * 3600)))
    message_id = queued_message(job_app)
    shortest, longest = _first_attempt_wait(job_app, redis_conn, message_id)
    assert row(job_app, message_id).status == "pending"
    assert shortest <= 60.0 <= longest


@pytest.mark.parametrize("header", ["soon", "-5"])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(
        job_app: Flask, redis_conn: Redis, sendgrid_server: RecordingSendGrid,
        header: str) -> None:
    job_app.config["EMAIL_RETRY_BASE_SECONDS"] = 120.0
    sendgrid_server.script.append(("retry-after", 503, header))
    message_id = queued_message(job_app)
    shortest, longest = _first_attempt_wait(job_app, redis_conn, message_id)
    # The first attempt's backoff is the base: 120 s, not "now" and not the header.
    assert row(job_app, message_id).status == "pending"
    assert shortest <= 120.0 <= longest
