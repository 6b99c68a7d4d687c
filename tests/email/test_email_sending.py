"""The sendgrid backend, the real client, a local recording server, real RQ workers."""

from __future__ import annotations

import base64
import time

from email_fake_sendgrid import RecordingSendGrid
from email_helpers import enqueue, queued_message, row, work
from flask import Flask
from redis import Redis


def test_202_sends_once_with_the_v3_shape(job_app: Flask, redis_conn: Redis,
                                         sendgrid_server: RecordingSendGrid) -> None:
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    message_id = queued_message(job_app, attachments=[("invite.ics", "text/calendar", ics)])
    enqueue(redis_conn, message_id)
    enqueue(redis_conn, message_id)  # a repeated job changes nothing
    work(redis_conn)
    sent = row(job_app, message_id)
    assert (sent.status, sent.attempts, sent.provider_id) == ("sent", 1, "sg000001")
    assert sendgrid_server.delivered_ids() == [str(message_id)]
    body = sendgrid_server.requests[0]
    assert body["categories"] == ["application_received"]
    assert body["custom_args"] == {"message_id": str(message_id)}
    assert base64.b64decode(body["attachments"][0]["content"]) == ics


def test_429_waits_for_the_reset_then_sends_once(job_app: Flask, redis_conn: Redis,
                                                 sendgrid_server: RecordingSendGrid) -> None:
    reset = int(time.time()) + 2
    sendgrid_server.script.append(("429", reset))
    message_id = queued_message(job_app)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    waiting = row(job_app, message_id)
    assert waiting.status == "pending" and waiting.next_attempt_at is not None
    time.sleep(max(0.0, reset - time.time()) + 0.2)
    work(redis_conn, with_scheduler=True)
    assert row(job_app, message_id).status == "sent"
    assert sendgrid_server.delivered_ids() == [str(message_id)]
    assert len(sendgrid_server.requests) == 2


def test_500_three_times_then_202_sends_once(job_app: Flask, redis_conn: Redis,
                                             sendgrid_server: RecordingSendGrid) -> None:
    sendgrid_server.script.extend(["500", "500", "500"])
    message_id = queued_message(job_app)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    sent = row(job_app, message_id)
    assert (sent.status, sent.attempts, sent.possible_duplicate) == ("sent", 4, False)
    assert sendgrid_server.delivered_ids() == [str(message_id)]


def test_400_fails_and_is_not_retried(job_app: Flask, redis_conn: Redis,
                                      sendgrid_server: RecordingSendGrid) -> None:
    sendgrid_server.script.append("400")
    message_id = queued_message(job_app)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    failed = row(job_app, message_id)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "HTTP 400" in (failed.last_error or "")
    assert len(sendgrid_server.requests) == 1 and sendgrid_server.delivered == []


def test_timeout_after_acceptance_is_at_most_one_duplicate_and_flagged(
        job_app: Flask, redis_conn: Redis, sendgrid_server: RecordingSendGrid) -> None:
    sendgrid_server.script.append(("hang", 1.5))
    message_id = queued_message(job_app)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    sent = row(job_app, message_id)
    assert (sent.status, sent.possible_duplicate) == ("sent", True)
    assert sendgrid_server.delivered_ids() == [str(message_id)] * 2


def test_outbox_backend_never_touches_the_network(job_app: Flask, redis_conn: Redis,
                                                  sendgrid_server: RecordingSendGrid) -> None:
    job_app.config["EMAIL_BACKEND"] = "outbox"
    message_id = queued_message(job_app)
    enqueue(redis_conn, message_id)
    work(redis_conn)
    sent = row(job_app, message_id)
    assert (sent.status, sent.provider_id) == ("sent", f"outbox-{message_id}")
    assert sendgrid_server.requests == []


def test_an_erased_recipient_is_never_sent_to(job_app: Flask, redis_conn: Redis,
                                              sendgrid_server: RecordingSendGrid) -> None:
    from coordinator import db
    from coordinator.models import Message

    message_id = queued_message(job_app)
    with job_app.app_context():  # what GDPR erasure leaves behind in a pending reminder
        db.session().get(Message, message_id).recipient = f"erased+a{message_id}@erased.invalid"
        db.session().commit()
    enqueue(redis_conn, message_id)
    work(redis_conn)
    refused = row(job_app, message_id)
    assert (refused.status, refused.last_error) == ("failed", "recipient erased; not sent")
    assert sendgrid_server.requests == []
