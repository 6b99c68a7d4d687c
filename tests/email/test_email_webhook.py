"""POST /webhooks/sendgrid: signed like SendGrid signs (ECDSA P-256 over timestamp + body)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from email_helpers import queued_message
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import Message, MessageEvent, UndeliverableAddress, User

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SENDGRID_WEBHOOK_PUBLIC_KEY": PUBLIC_KEY}


def signed_post(client: FlaskClient, body: bytes, *, timestamp: int | None = None,
                tamper: bool = False, signature: str | None = None) -> Any:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    if signature is None:
        signature = base64.b64encode(
            KEY.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    if tamper:
        body = body.replace(b"delivered", b"bounce")
    return client.post("/webhooks/sendgrid", data=body, content_type="application/json",
                       headers={"X-Twilio-Email-Event-Webhook-Signature": signature,
                                "X-Twilio-Email-Event-Webhook-Timestamp": stamp})


def events_for(message_id: int) -> bytes:
    now = int(time.time())
    return json.dumps([
        {"email": "person1@example.org", "event": "delivered", "timestamp": now,
         "sg_message_id": "sg1.filter", "message_id": str(message_id)},
        {"email": "person1@example.org", "event": "bounce", "timestamp": now + 1,
         "sg_message_id": "sg1.filter", "message_id": str(message_id),
         "reason": "550 mailbox unavailable"},
    ]).encode()


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        session = db.session()
        return (session.scalar(select(func.count()).select_from(MessageEvent)) or 0,
                session.scalar(select(func.count()).select_from(UndeliverableAddress)) or 0)


def test_a_signed_batch_is_applied_once(app: Flask, client: FlaskClient) -> None:
    message_id = queued_message(app)
    body = events_for(message_id)
    first = signed_post(client, body)
    assert first.status_code == 200 and first.json == {"received": 2, "stored": 2,
                                                       "duplicates": 0}
    again = signed_post(client, body)
    assert again.status_code == 200 and again.json["duplicates"] == 2
    assert counts(app) == (2, 1)
    with app.app_context():
        message = db.session().get(Message, message_id)
        assert message is not None and message.status == "bounced"


@pytest.mark.parametrize("case", ["tampered", "old", "malformed", "unsigned"])
def test_bad_requests_are_refused(app: Flask, client: FlaskClient, case: str) -> None:
    body = events_for(queued_message(app))
    if case == "tampered":
        response = signed_post(client, body, tamper=True)
    elif case == "old":
        response = signed_post(client, body, timestamp=int(time.time()) - 301)
    elif case == "malformed":
        response = signed_post(client, body, signature="not*base64")
    else:
        response = client.post("/webhooks/sendgrid", data=body, content_type="application/json")
    assert response.status_code == 403 and response.is_json
    assert counts(app) == (0, 0)


def test_undeliverable_addresses_are_listed_for_coordinators(
        app: Flask, client: FlaskClient, coordinator_client: FlaskClient,
        coordinator_user: dict[str, Any]) -> None:
    with app.app_context():  # a message with no round: only admins see it (per-round access)
        db.session().get(User, coordinator_user["id"]).role = "admin"
        db.session().commit()
    signed_post(client, events_for(queued_message(app)))
    listed = coordinator_client.get("/api/emails/undeliverable")
    assert listed.status_code == 200
    assert [u["email"] for u in listed.json] == ["person1@example.org"]
    assert coordinator_client.get("/api/emails?status=bounced").json[0]["status"] == "bounced"
    anonymous = app.test_client().get("/api/emails/undeliverable")
    assert anonymous.status_code == 401
