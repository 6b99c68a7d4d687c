"""Rounds pages: list, create/edit with field errors, lifecycle with confirmation, demo import."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import Application, AuditEntry, Event, Host, Round
from workers import relay
from workers.context import set_app
from workers.jobs_demo import import_demo


def _create(client: FlaskClient, **overrides: Any) -> int:
    form = {"name": "Runde 2027", "weeks": "2027-W37, 2027-W38", "applications_close_on": "",
            "response_days": "5", "default_max_km": "250", **overrides}
    response = client.post("/coordinator/rounds/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_anonymous_is_sent_to_login(client: FlaskClient) -> None:
    for path in ("/coordinator/", "/coordinator/rounds", "/coordinator/rounds/new"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_create_list_and_overview(app: Flask, coordinator_client: FlaskClient) -> None:
    round_id = _create(coordinator_client)
    listing = coordinator_client.get("/coordinator/rounds")
    assert listing.status_code == 200
    assert "Runde 2027" in listing.get_data(as_text=True)
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2027-W37, 2027-W38" in html
    assert f"/coordinator/rounds/{round_id}/move/open" in html
    with app.app_context():
        actions = db.session().scalars(select(AuditEntry.action)).all()
    assert "round.create" in actions


def test_bad_form_names_the_fields(coordinator_client: FlaskClient) -> None:
    response = coordinator_client.post("/coordinator/rounds/new", data={
        "name": "", "weeks": "week 37", "response_days": "many", "default_max_km": "5"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for anchor in ('href="#name"', 'href="#weeks"', 'href="#response_days"',
                   'href="#default_max_km"'):
        assert anchor in html
    assert 'aria-invalid="true"' in html


def test_edit_is_audited(app: Flask, coordinator_client: FlaskClient) -> None:
    round_id = _create(coordinator_client)
    response = coordinator_client.post(f"/coordinator/rounds/{round_id}/edit", data={
        "name": "Runde 2027 B", "weeks": "2027-W37", "response_days": "7",
        "default_max_km": "300"})
    assert response.status_code == 302
    with app.app_context():
        round_ = db.session().get(Round, round_id)
        assert (round_.name, round_.weeks, round_.response_days) == ("Runde 2027 B",
                                                                     ["2027-W37"], 7)
        entry = db.session().scalar(select(AuditEntry).where(AuditEntry.action == "round.update"))
        assert entry.before["name"] == "Runde 2027" and entry.after["name"] == "Runde 2027 B"
    detail = coordinator_client.get(f"/coordinator/rounds/{round_id}").get_data(as_text=True)
    assert "round.update" in detail


def test_irreversible_move_needs_confirmation(app: Flask, coordinator_client: FlaskClient) -> None:
    round_id = _create(coordinator_client)
    url = f"/coordinator/rounds/{round_id}/move/open"
    assert coordinator_client.get(url).status_code == 200
    unconfirmed = coordinator_client.post(url, data={})
    assert unconfirmed.status_code == 200  # the confirmation page again, nothing moved
    with app.app_context():
        assert db.session().get(Round, round_id).status == "draft"
    assert coordinator_client.post(url, data={"confirm": "yes"}).status_code == 302
    with app.app_context():
        assert db.session().get(Round, round_id).status == "open"
    # open -> closed can be undone (closed -> open exists): one POST, no confirmation page.
    assert coordinator_client.post(f"/coordinator/rounds/{round_id}/move/closed").status_code == 302
    with app.app_context():
        assert db.session().get(Round, round_id).status == "closed"


def test_moves_outside_the_page_are_refused(coordinator_client: FlaskClient) -> None:
    round_id = _create(coordinator_client)
    assert coordinator_client.post(f"/coordinator/rounds/{round_id}/move/offers",
                                   data={"confirm": "yes"}).status_code == 409
    assert coordinator_client.get(f"/coordinator/rounds/{round_id}/move/nonsense").status_code == 404
    assert coordinator_client.get("/coordinator/rounds/999/move/open").status_code == 404


def test_state_changes_need_csrf(app: Flask, coordinator_client: FlaskClient) -> None:
    round_id = _create(coordinator_client)
    app.config["WTF_CSRF_ENABLED"] = True
    response = coordinator_client.post(f"/coordinator/rounds/{round_id}/move/open",
                                       data={"confirm": "yes"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session().get(Round, round_id).status == "draft"


def _work_queued_jobs(app: Flask, redis_url: str) -> list[str]:
    """The outbox relay and a burst RQ worker, as in production; the jobs' results."""
    redis_conn = Redis.from_url(redis_url)
    set_app(app)
    try:
        with app.app_context():
            relay.relay_once(db.session(), redis_conn)
        queue = Queue("default", connection=redis_conn, serializer=JSONSerializer)
        job_ids = queue.job_ids
        SimpleWorker([queue], connection=redis_conn, serializer=JSONSerializer).work(
            burst=True, logging_level="WARNING")
        jobs = Job.fetch_many(job_ids, connection=redis_conn, serializer=JSONSerializer)
        return [job.return_value() for job in jobs]
    finally:
        set_app(None)
        redis_conn.flushdb()
        redis_conn.close()


def _count(app: Flask, model: Any, round_id: int) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(
            model.round_id == round_id))


def test_demo_import(app: Flask, coordinator_client: FlaskClient, redis_url: str) -> None:
    round_id = _create(coordinator_client, weeks="2027-W40")
    url = f"/coordinator/rounds/{round_id}/demo"
    assert coordinator_client.get(url + "?size=small").status_code == 200
    assert coordinator_client.get(url + "?size=huge").status_code == 400
    assert coordinator_client.post(url, data={"size": "small", "confirm": "yes"}).status_code == 302
    # The request only queued the import: an event and an audit row, no records yet.
    assert _count(app, Application, round_id) == 0
    with app.app_context():
        session = db.session()
        assert "round.demo_import_requested" in session.scalars(
            select(Event.kind).where(Event.round_id == round_id))
        assert "round.demo_import_requested" in session.scalars(select(AuditEntry.action))
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}").get_data(as_text=True)
    assert "import-queued" in page and f"{url}" not in page
    queued_twice = coordinator_client.post(url, data={"size": "small", "confirm": "yes"})
    assert queued_twice.status_code == 409

    assert _work_queued_jobs(app, redis_url) == ["imported 24 applications"]
    assert _count(app, Application, round_id) == 24
    assert _count(app, Host, round_id) == 12
    with app.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(Round)) == 1
        assert "2027-W40" in session.get(Round, round_id).weeks
    again = coordinator_client.post(url, data={"size": "small", "confirm": "yes"})
    assert again.status_code == 409
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}").get_data(as_text=True)
    assert "<strong>24</strong>" in page and "import-queued" not in page


def test_demo_import_job_runs_once(app: Flask, coordinator_client: FlaskClient,
                                   redis_url: str) -> None:
    """The job again (a retry, a second worker) finds the round filled and seeds nothing."""
    round_id = _create(coordinator_client)
    coordinator_client.post(f"/coordinator/rounds/{round_id}/demo",
                            data={"size": "small", "confirm": "yes"})
    _work_queued_jobs(app, redis_url)
    with app.app_context():
        event_id = db.session().scalar(select(Event.id).where(
            Event.kind == "round.demo_import_requested"))
    with app.app_context():
        assert import_demo(event_id) == "skipped: not empty"
    assert _count(app, Application, round_id) == 24
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}").get_data(as_text=True)
    assert "import-queued" not in page
