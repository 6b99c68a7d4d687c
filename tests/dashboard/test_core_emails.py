"""Email pages: the outbox with status/template filters, one message, undeliverable list."""

from __future__ import annotations

from typing import Any

from core_seed import seed_records
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from coordinator import db
from coordinator.models import Message, UndeliverableAddress


def test_outbox_filters_and_detail(app: Flask, coordinator_client: FlaskClient,
                                   open_round: dict[str, Any]) -> None:
    seed_records(app, open_round["id"])
    with app.app_context():
        session = db.session()
        first = session.scalar(select(Message).where(Message.template == "host_offer_received")
                               .order_by(Message.id).limit(1))
        first.status, first.last_error = "failed", "550 mailbox unavailable"
        session.add(UndeliverableAddress(email=first.recipient, event="bounce",
                                         reason="550 mailbox unavailable", message_id=first.id))
        session.commit()
        message_id, recipient = first.id, first.recipient
    for url in ("/coordinator/emails", f"/coordinator/rounds/{open_round['id']}/emails"):
        html = coordinator_client.get(url).get_data(as_text=True)
        assert "mads@odense.example" in html and recipient in html
    failed = coordinator_client.get("/coordinator/emails?status=failed").get_data(as_text=True)
    assert recipient in failed and "mads@odense.example" not in failed
    by_template = coordinator_client.get(
        "/coordinator/emails?template=application_received").get_data(as_text=True)
    assert "mads@odense.example" in by_template and recipient not in by_template
    bad = coordinator_client.get("/coordinator/emails?status=lost")
    assert bad.status_code == 400 and 'id="status-error"' in bad.get_data(as_text=True)
    detail = coordinator_client.get(f"/coordinator/emails/{message_id}")
    assert detail.status_code == 200 and "550 mailbox unavailable" in detail.get_data(as_text=True)
    assert coordinator_client.get("/coordinator/emails/999999").status_code == 404
    undeliverable = coordinator_client.get("/coordinator/emails/undeliverable")
    assert undeliverable.status_code == 200 and recipient in undeliverable.get_data(as_text=True)


def test_email_pages_need_sign_in(client: FlaskClient) -> None:
    for url in ("/coordinator/emails", "/coordinator/emails/1", "/coordinator/emails/undeliverable"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unrendered_confirmation_is_named_not_blank(app: Flask, coordinator_client: FlaskClient,
                                                    open_round: dict[str, Any]) -> None:
    # A submission queues its confirmation with ids only; the worker writes it when it sends.
    seed_records(app, open_round["id"])
    with app.app_context():
        pending = db.session().scalar(select(Message).where(
            Message.template == "application_received", Message.subject == "")
            .order_by(Message.id).limit(1))
        assert pending is not None and pending.body_text == ""
        message_id = pending.id
    listing = coordinator_client.get("/coordinator/emails?template=application_received")
    # The dashboard speaks Danish by default.
    assert "(skrives, når den sendes)" in listing.get_data(as_text=True)
    detail = coordinator_client.get(f"/coordinator/emails/{message_id}").get_data(as_text=True)
    assert "<h1>(skrives, når den sendes)</h1>" in detail
    assert "linket signeres, når beskeden sendes" in detail
