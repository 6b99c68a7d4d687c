"""Workshops page: sessions with loads, planning a session, changing one after a preview of
who gets the updated calendar invitation (queued as emails with an .ics)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core_seed import seed_offers
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from coordinator import db
from coordinator.models import (
    AuditEntry,
    Invitation,
    Message,
    MessageAttachment,
    Placement,
    WorkshopSession,
)
from coordinator.services import offers


def _accepted_and_invited(app: Flask, round_id: int) -> int:
    ids = seed_offers(app, round_id)
    with app.app_context():
        session = db.session()
        for placement_id in ids["placements"]:
            for consent in session.get(Placement, placement_id).consents:
                offers.respond(session, consent, True)
        ws = WorkshopSession(round_id=round_id, kind="prep", date=dt.date(2027, 8, 30),
                             venue="Odense", lat=55.4, lon=10.4, capacity=80)
        session.add(ws)
        session.flush()
        for placement_id in ids["placements"]:
            placement = session.get(Placement, placement_id)
            session.add(Invitation(round_id=round_id, session_id=ws.id, host_id=placement.host_id,
                                   week=placement.week, people=2, rsvp="pending"))
        session.commit()
        return ws.id


def test_plan_a_session(app: Flask, coordinator_client: FlaskClient,
                        open_round: dict[str, Any]) -> None:
    url = f"/coordinator/rounds/{open_round['id']}/workshops"
    assert coordinator_client.get(url).status_code == 200
    bad = coordinator_client.post(url, data={"kind": "party", "date": "soon", "venue": "mars",
                                             "capacity": "0"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    for anchor in ('href="#kind"', 'href="#date"', 'href="#venue"', 'href="#capacity"'):
        assert anchor in html
    ok = coordinator_client.post(url, data={"kind": "prep", "date": "2027-08-30",
                                            "venue": "aarhus", "capacity": "60"})
    assert ok.status_code == 302
    page = coordinator_client.get(url).get_data(as_text=True)
    assert "Aarhus" in page and "0 / 60" in page


def test_change_a_session_previews_then_queues_updates(app: Flask, coordinator_client: FlaskClient,
                                                       open_round: dict[str, Any]) -> None:
    session_id = _accepted_and_invited(app, open_round["id"])
    page = coordinator_client.get(f"/coordinator/rounds/{open_round['id']}/workshops")
    assert "4 / 80" in page.get_data(as_text=True)
    url = f"/coordinator/workshop-sessions/{session_id}/edit"
    form = coordinator_client.get(url).get_data(as_text=True)
    assert "karen@aarhus.example" in form and "mads@odense.example" in form
    preview = coordinator_client.post(url, data={"date": "2027-09-02", "venue": "aalborg"})
    assert preview.status_code == 200
    assert 'name="confirm"' in preview.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(WorkshopSession, session_id).venue == "Odense"  # not yet
    done = coordinator_client.post(url, data={"date": "2027-09-02", "venue": "aalborg",
                                              "confirm": "yes"})
    assert done.status_code == 302
    with app.app_context():
        session = db.session()
        ws = session.get(WorkshopSession, session_id)
        assert (ws.date.isoformat(), ws.venue) == ("2027-09-02", "Aalborg")
        changed = session.scalars(select(Message).where(Message.template == "workshop_changed")).all()
        assert len(changed) == 4  # two hosts and their two visitors
        ics = session.scalars(select(MessageAttachment).where(
            MessageAttachment.message_id.in_([m.id for m in changed]))).all()
        assert len(ics) == 4 and all(b"SEQUENCE:1" in a.content for a in ics)
        assert session.scalar(select(AuditEntry).where(
            AuditEntry.action == "workshop_session.edit")).before["venue"] == "Odense"
    unchanged = coordinator_client.post(url, data={"date": "2027-09-02", "venue": "aalborg",
                                                   "confirm": "yes"})
    assert unchanged.status_code == 400
    again = coordinator_client.post(url, data={"date": "2027-09-03", "venue": "aalborg",
                                               "confirm": "yes"})
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session().scalars(select(Message).where(
            Message.template == "workshop_changed")).all()) == 8
