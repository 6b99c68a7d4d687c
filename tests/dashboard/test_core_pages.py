"""Every dashboard-core page: 200 for the round's coordinator in Danish and English, the
sign-in page for anonymous callers, 404 for a coordinator of another round."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core_seed import seed_offers
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from coordinator import db
from coordinator.auth import create_user
from coordinator.models import Message, WorkshopSession


def _pages(app: Flask, round_id: int) -> list[str]:
    ids = seed_offers(app, round_id)
    with app.app_context():
        session = db.session()
        ws = WorkshopSession(round_id=round_id, kind="prep", date=dt.date(2027, 8, 30),
                             venue="Odense", lat=55.4, lon=10.4, capacity=80)
        session.add(ws)
        session.commit()
        message_id = session.scalar(select(Message.id).limit(1))
        session_id = ws.id
    r = f"/coordinator/rounds/{round_id}"
    return [f"{r}", f"{r}/edit", f"{r}/applications", f"{r}/hosts", f"{r}/offers",
            f"{r}/workshops", f"{r}/emails",
            f"/coordinator/applications/{ids['applications'][0]}",
            f"/coordinator/hosts/{ids['hosts'][0]}",
            f"/coordinator/workshop-sessions/{session_id}/edit",
            f"/coordinator/emails/{message_id}"]


GLOBAL = ["/coordinator/", "/coordinator/rounds", "/coordinator/rounds/new", "/coordinator/emails",
          "/coordinator/emails/undeliverable", "/coordinator/jobs"]


def test_every_page_renders_in_both_languages(app: Flask, coordinator_client: FlaskClient,
                                              open_round: dict[str, Any]) -> None:
    for url in GLOBAL + _pages(app, open_round["id"]):
        for lang, word in (("da", "Log ud"), ("en", "Sign out")):
            joiner = "&" if "?" in url else "?"
            response = coordinator_client.get(f"{url}{joiner}lang={lang}")
            assert response.status_code == 200, (url, lang)
            html = response.get_data(as_text=True)
            assert word in html and f'lang="{lang}"' in html, (url, lang)
            assert 'style="' not in html and " onclick=" not in html, url


def test_round_navigation_marks_the_current_page(coordinator_client: FlaskClient,
                                                 open_round: dict[str, Any]) -> None:
    html = coordinator_client.get(
        f"/coordinator/rounds/{open_round['id']}/hosts?lang=en").get_data(as_text=True)
    assert f'href="/coordinator/rounds/{open_round["id"]}/hosts" aria-current="page"' in html
    for label in ("Overview", "Applications", "Offers", "Workshops", "Job board"):
        assert f">{label}</a>" in html


def test_anonymous_callers_are_sent_to_sign_in(app: Flask, client: FlaskClient,
                                               coordinator_client: FlaskClient,
                                               open_round: dict[str, Any]) -> None:
    pages = GLOBAL + _pages(app, open_round["id"])
    coordinator_client.post("/logout")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_another_rounds_coordinator_sees_nothing(app: Flask, client: FlaskClient,
                                                 coordinator_client: FlaskClient,
                                                 open_round: dict[str, Any]) -> None:
    pages = _pages(app, open_round["id"])
    coordinator_client.post("/logout")
    with app.app_context():
        create_user(db.session(), "other@example.org", "another long password")
        db.session().commit()
    client.post("/api/auth/login", json={"email": "other@example.org",
                                         "password": "another long password"})
    listing = client.get("/coordinator/rounds").get_data(as_text=True)
    assert "Innovationspraktik 2027" not in listing
    for url in pages:
        assert client.get(url).status_code == 404, url
