"""Helpers for the email tests: queue a message, run real RQ workers over the email queue."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from coordinator import db
from coordinator.models import Message
from coordinator.services.mail import Attachment, queue_message
from workers.jobs_email import QUEUE, send_message


def queued_message(app: Flask, n: int = 1, attachments: list[Attachment] | None = None) -> int:
    with app.app_context():
        message = queue_message(
            db.session(), template="application_received", language="en",
            recipient=f"person{n}@example.org",
            context={"name": f"Person {n}", "edit_url": f"http://localhost/e/{n}",
                     "reason": "submitted"},
            dedup_key=f"test:{n}", round_id=None, attachments=attachments)
        db.session().commit()
        return message.id


def enqueue(conn: Redis, message_id: int) -> None:
    Queue(QUEUE, connection=conn, serializer=JSONSerializer).enqueue(send_message, message_id,
                                          job_id=f"email-{message_id}")


def work(conn: Redis, with_scheduler: bool = False) -> None:
    SimpleWorker([Queue(QUEUE, connection=conn, serializer=JSONSerializer)],
                 connection=conn, serializer=JSONSerializer).work(
        burst=True, with_scheduler=with_scheduler)


def row(app: Flask, message_id: int) -> Message:
    with app.app_context():
        message = db.session().get(Message, message_id)
        assert message is not None
        db.session().expunge(message)
        return message
