"""Applications and hosts pages: filters, pagination, detail, audited coordinator edits."""

from __future__ import annotations

from typing import Any

from core_seed import add_host, seed_records
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from coordinator import db
from coordinator.models import Application, AuditEntry, Event, Host


def test_lists_and_filters(app: Flask, coordinator_client: FlaskClient,
                           open_round: dict[str, Any]) -> None:
    seed_records(app, open_round["id"])
    base = f"/coordinator/rounds/{open_round['id']}/applications"
    html = coordinator_client.get(base).get_data(as_text=True)
    assert "Mads Nielsen" in html and "Lise Østergaard" in html
    cases = {"?q=østergaard": "Lise", "?org_level=region": "Lise", "?municipality_code=461": "Mads",
             "?topic=KLIMA": "Lise", "?status=submitted&q=mads": "Mads"}
    for query, who in cases.items():
        response = coordinator_client.get(base + query)
        assert response.status_code == 200, query
        text = response.get_data(as_text=True)
        other = "Mads Nielsen" if who == "Lise" else "Lise Østergaard"
        assert who in text and other not in text, query
    hosts = coordinator_client.get(f"/coordinator/rounds/{open_round['id']}/hosts?topic=klima")
    assert hosts.status_code == 200
    assert "Klimatilpasning" in hosts.get_data(as_text=True)
    assert "Velfærdsteknologi i hjemmeplejen" not in hosts.get_data(as_text=True)


def test_bad_filter_names_the_field(coordinator_client: FlaskClient,
                                    open_round: dict[str, Any]) -> None:
    response = coordinator_client.get(
        f"/coordinator/rounds/{open_round['id']}/hosts?org_level=planet&q=%00")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="org_level-error"' in html and 'id="q-error"' in html


def test_pagination(app: Flask, coordinator_client: FlaskClient, open_round: dict[str, Any]) -> None:
    seed_records(app, open_round["id"])
    base = f"/coordinator/rounds/{open_round['id']}/hosts"
    with app.app_context():
        for n in range(30):
            add_host(open_round["id"], innovation_title=f"Idé {n:02d}",
                     contact_email=f"h{n}@example.org")
        db.session().commit()
    first = coordinator_client.get(base).get_data(as_text=True)
    assert "?page=2" in first and "Idé 29" not in first
    second = coordinator_client.get(base + "?page=2").get_data(as_text=True)
    assert "Idé 29" in second and "Idé 00" not in second
    assert coordinator_client.get(base + "?page=abc").status_code == 200


def test_details_and_audited_edits(app: Flask, coordinator_client: FlaskClient,
                                   open_round: dict[str, Any]) -> None:
    ids = seed_records(app, open_round["id"])
    host_url = f"/coordinator/hosts/{ids['hosts'][0]}"
    assert coordinator_client.get(host_url).status_code == 200
    response = coordinator_client.post(host_url, data={
        "status": "active", "capacity": "3", "min_visitors": "2", "visit_days": "4",
        "weeks": ["2027-W37", "2027-W38"]})
    assert response.status_code == 302
    with app.app_context():
        host = db.session().get(Host, ids["hosts"][0])
        assert (host.capacity, host.min_visitors, host.weeks) == (3, 2, ["2027-W37", "2027-W38"])
        entry = db.session().scalar(select(AuditEntry).where(AuditEntry.action == "host.edit"))
        assert entry.before["capacity"] == 2 and entry.after["capacity"] == 3
        assert entry.actor_id is not None
    assert "host.edit" in coordinator_client.get(host_url).get_data(as_text=True)

    app_url = f"/coordinator/applications/{ids['applications'][0]}"
    assert coordinator_client.get(app_url).status_code == 200
    response = coordinator_client.post(app_url, data={
        "status": "withdrawn", "max_km": "300", "weeks": ["2027-W38"]})
    assert response.status_code == 302
    with app.app_context():
        record = db.session().get(Application, ids["applications"][0])
        assert (record.status, record.max_km) == ("withdrawn", 300)
        kinds = db.session().scalars(select(Event.kind)).all()
        assert "application.withdrawn" in kinds


def test_bad_edit_shows_the_form_and_stores_nothing(app: Flask, coordinator_client: FlaskClient,
                                                    open_round: dict[str, Any]) -> None:
    ids = seed_records(app, open_round["id"])
    response = coordinator_client.post(f"/coordinator/hosts/{ids['hosts'][0]}", data={
        "status": "gone", "capacity": "9", "min_visitors": "x", "visit_days": "3",
        "weeks": ["2030-W01"]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for anchor in ('href="#capacity"', 'href="#min_visitors"', 'href="#status"', 'href="#weeks"'):
        assert anchor in html
    with app.app_context():
        assert db.session().get(Host, ids["hosts"][0]).capacity == 2
        assert db.session().scalar(select(AuditEntry).where(AuditEntry.action == "host.edit")) is None


def test_unknown_records_are_404(coordinator_client: FlaskClient) -> None:
    assert coordinator_client.get("/coordinator/hosts/999").status_code == 404
    assert coordinator_client.get("/coordinator/applications/999").status_code == 404
    assert coordinator_client.get("/coordinator/rounds/999/applications").status_code == 404
