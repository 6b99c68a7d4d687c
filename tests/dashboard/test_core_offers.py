"""Offers page: each party's state, late answers, resend reminder (rate-limited, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core_seed import seed_offers
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import AuditEntry, Consent, Event, Message, Placement
from coordinator.services import offers


def _reminders(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Message).where(
            Message.dedup_key.startswith("manual-remind-")))


def test_states_per_party(app: Flask, coordinator_client: FlaskClient,
                          open_round: dict[str, Any]) -> None:
    ids = seed_offers(app, open_round["id"])
    with app.app_context():
        session = db.session()
        first = session.get(Placement, ids["placements"][0])
        host_consent = next(c for c in first.consents if c.party == "host")
        offers.respond(session, host_consent, True)
        second = session.get(Placement, ids["placements"][1])
        manager = next(c for c in second.consents if c.party == "manager")
        offers.respond(session, manager, False)
        session.commit()
    url = f"/coordinator/rounds/{open_round['id']}/offers"
    html = coordinator_client.get(url).get_data(as_text=True)
    assert "Mads Nielsen" in html and "Lise Østergaard" in html
    declined = coordinator_client.get(url + "?state=declined").get_data(as_text=True)
    assert "Lise Østergaard" in declined and "Mads Nielsen" not in declined
    with app.app_context():
        session = db.session()
        session.get(Placement, ids["placements"][0]).deadline_at = (
            dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        session.commit()
    late = coordinator_client.get(url + "?state=late").get_data(as_text=True)
    assert "Mads Nielsen" in late and "Lise Østergaard" not in late


def test_resend_reminder_once_per_period(app: Flask, coordinator_client: FlaskClient,
                                         open_round: dict[str, Any]) -> None:
    ids = seed_offers(app, open_round["id"])
    url = f"/coordinator/placements/{ids['placements'][0]}/remind"
    assert coordinator_client.get(url).status_code == 405  # state changes are POST only
    first = coordinator_client.post(url)
    assert first.status_code == 302
    assert _reminders(app) == 3  # host, visitor and manager have not answered
    with app.app_context():
        session = db.session()
        kinds = session.scalars(select(Event.kind).where(Event.subject_type == "message")).all()
        assert kinds.count("message.queued") >= 3
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "placement.remind"))
    again = coordinator_client.post(url, follow_redirects=True)
    assert again.status_code == 200
    assert _reminders(app) == 3
    with app.app_context():
        messages = db.session().scalars(select(Message).where(
            Message.dedup_key.startswith("manual-remind-"))).all()
        for message in messages:
            message.created_at -= dt.timedelta(hours=13)
        consent = db.session().scalar(select(Consent).where(
            Consent.placement_id == ids["placements"][0], Consent.party == "host"))
        offers.respond(db.session(), consent, True)
        db.session().commit()
    assert coordinator_client.post(url).status_code == 302
    assert _reminders(app) == 5  # 13 hours later: the two who still have not answered


def test_reminder_needs_csrf_and_an_open_offer(app: Flask, coordinator_client: FlaskClient,
                                               open_round: dict[str, Any]) -> None:
    ids = seed_offers(app, open_round["id"])
    with app.app_context():
        db.session().get(Placement, ids["placements"][1]).status = "declined"
        db.session().commit()
    coordinator_client.post(f"/coordinator/placements/{ids['placements'][1]}/remind")
    assert _reminders(app) == 0
    app.config["WTF_CSRF_ENABLED"] = True
    response = coordinator_client.post(f"/coordinator/placements/{ids['placements'][0]}/remind")
    assert response.status_code == 400
    assert _reminders(app) == 0
    assert coordinator_client.post("/coordinator/placements/999/remind").status_code in (400, 404)
