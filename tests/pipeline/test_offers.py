"""Publish -> three-way consent -> decline -> re-solve -> confirmed, through the pages."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from helpers import drain
from redis import Redis
from sqlalchemy import select
from test_solve import _close_and_match

from coordinator import db
from coordinator.models import Consent, Invitation, Placement, Round, SolverRun
from coordinator.services import offers
from coordinator.services.links import make_token


def _published(app: Flask, client: FlaskClient, redis_conn: Redis) -> int:
    round_id = _close_and_match(app, applications=20, hosts=12)
    drain(app, redis_conn)
    runs = client.get(f"/api/rounds/{round_id}/runs").json
    published = client.post(f"/api/rounds/{round_id}/runs/{runs[-1]['id']}/publish")
    assert published.status_code == 200, published.json
    assert published.json["offered"] > 0
    drain(app, redis_conn)
    return round_id


def _token(app: Flask, consent_id: int) -> str:
    with app.test_request_context():
        return make_token("offer-response", consent_id)


def _consents(app: Flask, round_id: int) -> list[tuple[int, int, str]]:
    with app.app_context():
        return [(c.id, c.placement_id, c.party) for c in db.session().scalars(
            select(Consent).join(Placement).where(Placement.round_id == round_id,
                                                  Placement.status == "offered")
            .order_by(Consent.id))]


def test_get_never_acts_and_post_is_recorded_once(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    consent_id, placement_id, _party = _consents(app, round_id)[0]
    url = f"/offers/{_token(app, consent_id)}"
    page = coordinator_client.get(f"{url}?lang=en")  # English from here on (session)
    assert page.status_code == 200 and "Accept" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "pending"
    assert coordinator_client.post(url, data={"answer": "accept"}).status_code == 200
    again = coordinator_client.post(url, data={"answer": "decline"})
    assert again.status_code == 409 and "already recorded" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "accepted"


def test_bad_tokens(app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    consent_id = _consents(app, round_id)[0][0]
    token = _token(app, consent_id)
    assert coordinator_client.post(f"/offers/{token[:-2]}xx",
                                   data={"answer": "accept"}).status_code == 403
    with app.test_request_context():
        wrong = make_token("application-edit", consent_id)
    assert coordinator_client.get(f"/offers/{wrong}").status_code == 403
    with app.app_context():
        assert db.session().get(Consent, consent_id).status == "pending"


def test_publish_not_latest_is_409(app: Flask, coordinator_client: FlaskClient,
                                   redis_conn: Redis) -> None:
    round_id = _close_and_match(app, applications=20, hosts=12)
    drain(app, redis_conn)
    coordinator_client.post(f"/api/rounds/{round_id}/runs", json={"time_limit_s": 5})
    drain(app, redis_conn)
    runs = coordinator_client.get(f"/api/rounds/{round_id}/runs").json
    old = coordinator_client.post(f"/api/rounds/{round_id}/runs/{runs[0]['id']}/publish")
    assert old.status_code == 409


def test_full_consent_decline_resolve_expiry_confirmed(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    by_placement: dict[int, list[int]] = {}
    for consent_id, placement_id, _party in _consents(app, round_id):
        by_placement.setdefault(placement_id, []).append(consent_id)
    placements = sorted(by_placement)
    declined, expiring, accepted = placements[0], placements[1], placements[2:]
    for placement_id in accepted:
        for consent_id in by_placement[placement_id]:
            coordinator_client.post(f"/offers/{_token(app, consent_id)}",
                                    data={"answer": "accept"})
    # The host declines: the visitor is re-matched elsewhere, the pair forbidden.
    coordinator_client.post(f"/offers/{_token(app, by_placement[declined][0])}",
                            data={"answer": "decline"})
    with app.app_context():
        session = db.session()
        placement = session.get(Placement, expiring)
        placement.deadline_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.commit()
        assert offers.expire_placement(session, expiring)
        session.commit()
    drain(app, redis_conn)
    # Accept whatever the re-solves offered, until the round is confirmed.
    for _ in range(5):
        pending = _consents(app, round_id)
        if not pending:
            break
        for consent_id, _pid, _party in pending:
            coordinator_client.post(f"/offers/{_token(app, consent_id)}",
                                    data={"answer": "accept"})
        drain(app, redis_conn)
    with app.app_context():
        session = db.session()
        # Confirmed, and the workshop job ran on: every accepted group invited twice.
        assert session.get(Round, round_id).status == "workshops"
        invitations = session.scalars(select(Invitation)).all()
        assert {i.session_id for i in invitations}
        groups = {(p.host_id, p.week) for p in offers.current_placements(session, round_id)
                  if p.status == "accepted"}
        assert len(invitations) == 2 * len(groups)
        final = offers.current_placements(session, round_id)
        statuses = {p.id: p.status for p in final}
        assert statuses[declined] == "declined" and statuses[expiring] == "expired"
        assert all(statuses[p] == "accepted" for p in accepted)
        # One live placement per visitor.
        live = [p.application_id for p in final if p.status in ("accepted", "offered")]
        assert len(live) == len(set(live))
        assert len(session.scalars(select(SolverRun)).all()) >= 2
