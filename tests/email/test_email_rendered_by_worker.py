"""The submission confirmation is queued unrendered (ids only) and rendered by the worker.

The request stores the template, the recipient and the application's id; the email worker
renders the text, signs the edit link and stores both in the row before the send, so the
provider, a retry and the dashboard all see the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

from email_fake_sendgrid import RecordingSendGrid
from email_helpers import enqueue, row, work
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from testing_support import application_payload

from coordinator import db
from coordinator.models import Message
from coordinator.services.links import read_token

LINK = re.compile(r"http://localhost/application/([A-Za-z0-9_.-]+)")


def _confirmation_id(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(Message.id).where(
            Message.template == "application_received"))


def _submit(client: FlaskClient, open_round: dict[str, Any],
            host_in_round: dict[str, Any]) -> int:
    response = client.post(f"/api/public/rounds/{open_round['id']}/applications",
                           json=application_payload([host_in_round["id"]]))
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_the_worker_renders_and_signs_the_confirmation_before_sending(
        job_app: Flask, client: FlaskClient, redis_conn: Redis,
        sendgrid_server: RecordingSendGrid, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    application_id = _submit(client, open_round, host_in_round)
    message_id = _confirmation_id(job_app)
    queued = row(job_app, message_id)
    # No name, no link in the queued row: only ids, rendered later.
    assert (queued.subject, queued.body_text, queued.body_html) == ("", "", "")
    assert queued.context == {"application_id": application_id, "reason": "submitted"}
    assert (queued.recipient, queued.status) == ("mads@odense.example", "pending")

    enqueue(redis_conn, message_id)
    work(redis_conn)

    sent = row(job_app, message_id)
    assert sent.status == "sent"
    assert "Mads Nielsen" in sent.body_text and sent.subject
    [token] = LINK.findall(sent.body_text)
    assert f'href="http://localhost/application/{token}"' in sent.body_html
    with job_app.app_context():
        assert read_token("application-edit", token) == application_id
    [request] = sendgrid_server.requests
    assert request["subject"] == sent.subject
    assert [part["value"] for part in request["content"]] == [sent.body_text, sent.body_html]


def test_a_message_about_an_application_that_is_gone_fails_without_a_send(
        job_app: Flask, client: FlaskClient, redis_conn: Redis,
        sendgrid_server: RecordingSendGrid, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    application_id = _submit(client, open_round, host_in_round)
    message_id = _confirmation_id(job_app)
    with job_app.app_context():
        message = db.session().get(Message, message_id)
        message.context = {"application_id": application_id + 1000, "reason": "submitted"}
        db.session().commit()

    enqueue(redis_conn, message_id)
    work(redis_conn)

    failed = row(job_app, message_id)
    assert failed.status == "failed" and "no longer exists" in (failed.last_error or "")
    assert sendgrid_server.requests == []
