"""What a good submission stores: the row, one event, one pending message with the edit link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_helpers import (
    cheap_password_hashing,  # noqa: F401 - autouse
    create_round,
    post_application,
    post_host,
    row_counts,
    rows,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import application_payload, host_payload

from coordinator import db
from coordinator.models import Application, Event, Message
from coordinator.services.links import LinkError, read_token
from coordinator.services.mail import render_queued

LINK = re.compile(r"http://localhost/(application|host)/([A-Za-z0-9_.-]+)")


def _only_new(app: Flask, before: dict[str, int], **expected: int) -> None:
    after = row_counts(app)
    grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert grown == expected


def _link(app: Flask, message: Message, kind: str, purpose: str) -> int:
    links = LINK.findall(message.body_text)
    assert [k for k, _ in links] == [kind]
    assert f'href="http://localhost/{kind}/{links[0][1]}"' in message.body_html
    with app.app_context():
        object_id = read_token(purpose, links[0][1])
        other = "host-edit" if purpose == "application-edit" else "application-edit"
        with pytest.raises(LinkError):
            read_token(other, links[0][1])  # a token opens only what it was made for
    return object_id


def test_an_application_writes_one_event_and_one_pending_message(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    before = row_counts(app)
    payload = application_payload([host_in_round["id"]], email=" Mads@Odense.Example ")
    response = post_application(client, open_round["id"], payload)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "submitted"
    _only_new(app, before, applications=1, application_choices=1, events=1, messages=1)
    application_id = response.json["id"]
    [event] = rows(app, Event, Event.subject_type == "application")
    assert (event.kind, event.subject_id, event.round_id) == (
        "application.submitted", application_id, open_round["id"])
    assert event.dispatched_at is None
    [message] = rows(app, Message, Message.template == "application_received")
    assert message.recipient == "mads@odense.example"
    assert (message.status, message.template, message.language) == (
        "pending", "application_received", "da")
    assert message.round_id == open_round["id"]
    # Queued with ids only; the email worker renders it (tests/email/test_email_rendered_by_worker.py).
    assert (message.subject, message.body_text) == ("", "")
    assert message.context == {"application_id": application_id, "reason": "submitted"}
    with app.app_context():
        session = db.session()
        assert render_queued(session, session.get(Message, message.id))
        session.commit()
    [message] = rows(app, Message, Message.template == "application_received")
    assert message.subject and "Mads Nielsen" in message.body_text
    assert _link(app, message, "application", "application-edit") == application_id


def test_a_host_offer_writes_one_event_and_one_pending_message(
        app: Flask, client: FlaskClient, open_round: dict[str, Any]) -> None:
    before = row_counts(app)
    response = post_host(client, open_round["id"], host_payload(language="en"))
    assert response.status_code == 201, response.json
    _only_new(app, before, hosts=1, events=1, messages=1)
    [event] = rows(app, Event, Event.subject_type == "host")
    assert (event.kind, event.subject_id) == ("host.submitted", response.json["id"])
    [message] = rows(app, Message)
    assert message.recipient == "karen@aarhus.example"
    assert (message.template, message.language) == ("host_offer_received", "en")
    assert "Thank you" in message.subject
    assert _link(app, message, "host", "host-edit") == response.json["id"]


def test_stored_text_is_escaped_in_the_html_email(app: Flask, client: FlaskClient,
                                                  open_round: dict[str, Any]) -> None:
    # Not markup (no tag), so accepted; it must still come out escaped wherever HTML is made.
    title = 'Små & store "ting" <3 > 2'
    name = "Karen <Jensen & Co"
    response = post_host(client, open_round["id"],
                         host_payload(contact_name=name, innovation_title=title))
    assert response.status_code == 201, response.json
    [message] = rows(app, Message)
    assert "Karen &lt;Jensen &amp; Co" in message.body_html
    assert name not in message.body_html
    assert name in message.body_text  # plain text stays plain


def test_json_output_is_json_not_html(client: FlaskClient, coordinator_client: FlaskClient,
                                      open_round: dict[str, Any]) -> None:
    name = "Karen <Jensen & Co"
    host_id = post_host(client, open_round["id"], host_payload(contact_name=name)).json["id"]
    response = coordinator_client.get(f"/api/hosts/{host_id}")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.json["contact_name"] == name


def test_an_application_without_max_km_gets_the_rounds_default(
        app: Flask, client: FlaskClient, coordinator_client: FlaskClient) -> None:
    round_id = create_round(coordinator_client, weeks=["2027-W37"], default_max_km=120)["id"]
    assert coordinator_client.post(f"/api/rounds/{round_id}/open").status_code == 200
    payload = application_payload([], open_to_any=True)
    del payload["max_km"]
    response = post_application(client, round_id, payload)
    assert response.status_code == 201, response.json
    [application] = rows(app, Application)
    assert application.max_km == 120
    assert application.open_to_any is True and application.ranked_host_ids == []
    detail = coordinator_client.get(f"/api/applications/{response.json['id']}").json
    assert detail["max_km"] == 120 and detail["team_mate_email"] is None


def test_the_public_host_list_hides_contact_details(
        client: FlaskClient, open_round: dict[str, Any], host_in_round: dict[str, Any]) -> None:
    rounds = client.get("/api/public/rounds").json
    assert [r["id"] for r in rounds] == [open_round["id"]]
    [host] = client.get(f"/api/public/rounds/{open_round['id']}/hosts").json
    assert host["id"] == host_in_round["id"]
    assert not {"contact_name", "contact_email", "contact_phone"} & set(host)
    assert client.get("/api/public/rounds/999/hosts").status_code == 404
    assert len(client.get("/api/public/municipalities").json) == 98
