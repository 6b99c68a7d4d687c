"""Decline reasons: validated on the offer page, stored on the consent, shown on the dashboard's
offers page, part of the GDPR export and gone after the erasure."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from test_offers import _consents, _published, _token

from coordinator import db
from coordinator.models import Consent
from coordinator.services import offers
from coordinator.services.errors import InvalidData
from coordinator.services.privacy import erase_person
from coordinator.services.privacy_export import export_person


def test_decline_reason_is_cleaned() -> None:
    assert offers.decline_reason("", "  ") is None
    assert offers.decline_reason("week", None) == "week"
    assert offers.decline_reason(None, "ikke\r\n  i år") == "other: ikke i år"
    assert offers.decline_reason("distance", "x" * 500) == "distance: " + "x" * 500
    for code, text, field in (("money", "", "reason"), ("week", "x" * 501, "reason_text"),
                              ("week", "a\x00b", "reason_text")):
        with pytest.raises(InvalidData) as caught:
            offers.decline_reason(code, text)
        assert list(caught.value.errors) == [field]


def test_decline_with_reason_end_to_end(app: Flask, coordinator_client: FlaskClient,
                                        redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    consent_id = next(c for c, _p, party in _consents(app, round_id) if party == "visitor")
    url = f"/offers/{_token(app, consent_id)}"
    page = coordinator_client.get(url).get_data(as_text=True)
    assert 'name="reason"' in page and 'maxlength="500"' in page

    # Bad input: the form again naming the field, the typed words kept, nothing recorded.
    bad = coordinator_client.post(url, data={"answer": "decline", "reason": "money",
                                             "reason_text": "mine egne ord"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'href="#reason"' in html and "mine egne ord" in html
    too_long = coordinator_client.post(url, data={"answer": "decline", "reason": "week",
                                                  "reason_text": "x" * 501})
    assert too_long.status_code == 400 and 'href="#reason_text"' in too_long.get_data(
        as_text=True)
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "pending"

    done = coordinator_client.post(url, data={"answer": "decline", "reason": "distance",
                                              "reason_text": "For langt fra Skagen"})
    assert done.status_code == 200
    with app.app_context():
        consent = db.session().get(Consent, consent_id)
        assert (consent.status, consent.reason) == ("declined", "distance: For langt fra Skagen")
        email = consent.email

    coordinator_client.get("/?lang=en")
    offers_page = coordinator_client.get(f"/coordinator/rounds/{round_id}/offers")
    assert "too far to travel: “For langt fra Skagen”" in offers_page.get_data(as_text=True)

    with app.app_context():
        session = db.session()
        exported = export_person(session, email)
        assert "distance: For langt fra Skagen" in [c["reason"] for c in exported["consents"]]
        erase_person(session, None, email)
        session.commit()
        assert session.get(Consent, consent_id).reason is None
