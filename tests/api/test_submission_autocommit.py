"""A submission without an Idempotency-Key on PostgreSQL: its own autocommit connection.

The connection comes from the pool every request shares, so it must go back in the mode it
came out (a later ORM request on it must still get one transaction, not a commit per
statement), and the answers must be those of the session path: 201 with all four rows,
409 on a second application from the same person, nothing stored for a closed round.
"""

from __future__ import annotations

from typing import Any

from api_helpers import (
    cheap_password_hashing,  # noqa: F401 - autouse
    post_application,
    postgresql_only,  # noqa: F401 - database_url: autocommit is PostgreSQL's
    row_counts,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from testing_support import application_payload

from coordinator import db
from coordinator.models import Application, ApplicationChoice, Event, Message, Round
from coordinator.services import submission


def test_the_pooled_connections_go_back_in_transaction_mode(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    host_ids = [host_in_round["id"]]
    before = row_counts(app)
    for number in range(3):
        answer = post_application(client, open_round["id"], application_payload(
            host_ids, email=f"alone{number}@example.org",
            manager_email=f"boss{number}@example.org"))
        assert answer.status_code == 201, answer.json
    after = row_counts(app)
    grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert grown == {"applications": 3, "application_choices": 3, "events": 3, "messages": 3}

    pool = app.extensions["db_engine"].pool
    lent = [pool.connect() for _ in range(max(pool.checkedin(), 1))]
    try:
        assert [fairy.driver_connection.autocommit for fairy in lent] == [False] * len(lent)
    finally:
        for fairy in lent:
            fairy.close()


def test_a_second_application_is_409_and_stores_nothing(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    payload = application_payload([host_in_round["id"]], email="twice@example.org")
    assert post_application(client, open_round["id"], payload).status_code == 201
    before = row_counts(app)
    again = post_application(client, open_round["id"], {**payload, "name": "Someone Else"})
    assert again.status_code == 409, again.json
    assert row_counts(app) == before


def test_the_one_statement_stores_what_the_row_builders_say(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    """PostgreSQL builds the confirmation's dedup key and context in SQL (the id is drawn
    there): they must be what ``_message_row`` builds for SQLite and the session path."""
    answer = post_application(client, open_round["id"], application_payload(
        [host_in_round["id"]], email="Row.Check@Example.org", max_km=None))
    assert answer.status_code == 201, answer.json
    with app.app_context():
        session = db.session()
        application = session.get(Application, answer.json["id"])
        assert application is not None
        assert application.email == "row.check@example.org"
        assert application.max_km == session.get(Round, open_round["id"]).default_max_km
        message = session.scalars(select(Message).where(
            Message.recipient == application.email)).one()
        expected = submission._message_row(
            {"language": application.language, "email": application.email,
             "updated_at": application.updated_at, "round_id": application.round_id},
            application.id)
        assert {key: getattr(message, key) for key in expected} == expected
        event = session.scalars(select(Event).where(
            Event.kind == "application.submitted", Event.subject_id == application.id)).one()
        assert (event.round_id, event.payload, event.dispatched_at) == (
            application.round_id, {}, None)
        assert [(choice.rank, choice.host_id) for choice in session.scalars(
            select(ApplicationChoice).where(ApplicationChoice.application_id == application.id)
        )] == [(1, host_in_round["id"])]
