"""The offer page's answer: accept and decline are two forms with one button each, and a
POST without exactly one known answer shows the page again with a message (never a 500),
recording nothing."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from test_offers import _consents, _published, _token

from coordinator import db
from coordinator.models import Consent


def test_accept_and_decline_are_separate_forms_and_a_bad_answer_asks_again(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    consent_id = next(c for c, _p, party in _consents(app, round_id) if party == "visitor")
    url = f"/offers/{_token(app, consent_id)}"
    page = coordinator_client.get(f"{url}?lang=en").get_data(as_text=True)
    forms = re.findall(r"<form method=\"post\">(.*?)</form>", page, re.S)
    assert [re.findall(r'name="answer" value="(\w+)"', form) for form in forms] == [
        ["accept"], ["decline"]]
    # The decline reason travels only with a decline.
    assert 'name="reason"' not in forms[0] and 'name="reason"' in forms[1]

    for data in ({}, {"answer": ""}, {"answer": "maybe"}, {"answer": ["accept", "decline"]},
                 {"reason": "week"}):
        again = coordinator_client.post(url, data=data)
        html = again.get_data(as_text=True)
        assert again.status_code == 400, data
        assert "Please choose accept or decline." in html and 'value="accept"' in html, data
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "pending"

    assert coordinator_client.post(url, data={"answer": "decline"}).status_code == 200
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "declined"
