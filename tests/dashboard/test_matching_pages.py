"""The matching page: result table, progress JSON, pin/forbid re-runs, compare, cancel, publish.

A real relay and a real RQ SimpleWorker (burst) solve a seeded demo round on the test Redis.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from coordinator import db
from coordinator.demo import seed_demo_round
from coordinator.models import AuditEntry, Event, Placement, Round, RoundStatus, SolverRun
from coordinator.services import matching
from coordinator.services.rounds import transition_round
from workers import relay


@pytest.fixture
def coordinator_client(coordinator_client: FlaskClient) -> FlaskClient:
    """The signed-in coordinator, reading the pages in English (the tests' language)."""
    coordinator_client.get("/?lang=en")
    return coordinator_client


def work(app: Flask, redis_conn: Redis) -> None:
    """Relay the undispatched events, then run the queued jobs to the end."""
    with app.app_context():
        relay.relay_once(db.session(), redis_conn)
    queues = [Queue(n, connection=redis_conn, serializer=JSONSerializer)
              for n in ("solve", "default")]
    SimpleWorker(queues, connection=redis_conn, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING")


def closed_round(app: Flask, user_id: int, applications: int = 30, hosts: int = 15) -> int:
    """A seeded demo round, closed for applications, visible to the coordinator."""
    with app.app_context():
        session = db.session()
        round_id = seed_demo_round(session, applications=applications, hosts=hosts).round_id
        transition_round(session, session.get(Round, round_id), RoundStatus.CLOSED, None)
        try:
            from coordinator.access import assign_coordinator
        except ImportError:
            pass
        else:
            assign_coordinator(session, round_id, user_id, None)
        session.commit()
        return round_id


@pytest.fixture
def solved_round(app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
                 redis_conn: Redis) -> dict[str, Any]:
    """A round in review with one finished run, asked for through the page."""
    round_id = closed_round(app, coordinator_user["id"])
    response = coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                                       data={"objective": "canonical", "time_limit_s": "5"})
    assert response.status_code == 302, response.get_data(as_text=True)
    work(app, redis_conn)
    with app.app_context():
        run = db.session().scalars(select(SolverRun).where(SolverRun.round_id == round_id)).one()
        assert run.status == "done", run.phase
        return {"round_id": round_id, "run_id": run.id, "result": run.result}


def test_first_run_request_moves_round_to_matching_and_shows_progress(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
        redis_conn: Redis) -> None:
    round_id = closed_round(app, coordinator_user["id"])
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching")
    assert page.status_code == 200
    assert "Start the solver" in page.get_data(as_text=True)
    response = coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                                       data={"objective": "canonical", "time_limit_s": "5"})
    assert response.status_code == 302
    event_id = int(response.headers["Location"].rsplit("event=", 1)[1])
    waiting = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="run-progress"' in waiting and "Refresh the progress" in waiting
    progress_url = f"/coordinator/rounds/{round_id}/matching/progress?event={event_id}"
    before = coordinator_client.get(progress_url).json
    assert before["state"] == "queued" and before["finished"] is False
    with app.app_context():
        session = db.session()
        assert session.get(Round, round_id).status == RoundStatus.MATCHING
        event = session.get(Event, event_id)
        assert event.kind == "round.matching" and event.payload["time_limit_s"] == 5
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "run.request")).one()
    work(app, redis_conn)
    after = coordinator_client.get(progress_url).json
    assert after["state"] == "done" and after["finished"] and after["percent"] == 100
    assert after["objective"]["placed"] > 0
    assert after["url"].endswith(f"run={after['run_id']}")
    by_run = coordinator_client.get(
        f"/coordinator/rounds/{round_id}/matching/progress?run={after['run_id']}").json
    assert by_run["state"] == "done"


def test_result_table_sorts_and_lists_the_unplaced_first(
        coordinator_client: FlaskClient, solved_round: dict[str, Any]) -> None:
    base = f"/coordinator/rounds/{solved_round['round_id']}/matching"
    html = coordinator_client.get(base).get_data(as_text=True)
    assert html.index("Not placed (") < html.index("Placements of run")
    for item in solved_round["result"]["unassigned"]:
        assert item["reasons"][0].replace("'", "&#39;") in html
    html = coordinator_client.get(f"{base}?sort=km&dir=desc").get_data(as_text=True)
    km = sorted((a["km"] for a in solved_round["result"]["assignments"]), reverse=True)
    table = html[html.index("Placements of run"):]
    cells = [int(c.split("<")[0]) for c in table.split('<td class="number">')[1:]
             if c.split("<")[0].isdigit()]
    # Every row shows choice then km: the km cells are every second number.
    assert cells[1::2][:3] == km[:3]
    assert 'aria-sort="descending"' in html


def test_pin_and_forbid_write_the_run_request(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any]) -> None:
    first, second = solved_round["result"]["assignments"][:2]
    pin = f"{first['application_id']}:{first['host_id']}"
    forbid = f"{second['application_id']}:{second['host_id']}"
    response = coordinator_client.post(
        f"/coordinator/rounds/{solved_round['round_id']}/matching/runs",
        data={"fixed": [pin], "forbidden": [forbid], "objective": "minimax_rank",
              "time_limit_s": "7,5"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session().scalars(select(Event).where(
            Event.round_id == solved_round["round_id"]).order_by(Event.id.desc())).first()
        assert event.kind == "round.matching"  # from review back to matching
        assert event.payload["fixed"] == [[first["application_id"], first["host_id"]]]
        assert event.payload["forbidden"] == [[second["application_id"], second["host_id"]]]
        assert event.payload["objective"] == "minimax_rank"
        assert event.payload["time_limit_s"] == 7.5


@pytest.mark.parametrize("data, field, message", [
    ({"objective": "cheapest"}, "objective", "Choose one of the objectives"),
    ({"time_limit_s": "9999"}, "time_limit_s", "from 1 to 600"),
    ({"time_limit_s": "soon"}, "time_limit_s", "from 1 to 600"),
    ({"fixed": ["1:x"]}, "fixed", "Pinned pair 1:x"),
    ({"forbidden": ["999999:1"]}, "forbidden", "Forbidden pair 999999:1"),
])
def test_bad_run_request_names_the_field_and_stores_nothing(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
        data: dict[str, Any], field: str, message: str) -> None:
    round_id = closed_round(app, coordinator_user["id"], applications=6, hosts=3)
    with app.app_context():
        events_before = len(db.session().scalars(select(Event)).all())
    response = coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                                       data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and f'href="#{field}"' in html
    with app.app_context():
        assert len(db.session().scalars(select(Event)).all()) == events_before
        assert db.session().get(Round, round_id).status == RoundStatus.CLOSED


def test_pinned_and_forbidden_same_pair_is_refused(
        coordinator_client: FlaskClient, solved_round: dict[str, Any]) -> None:
    pair = solved_round["result"]["assignments"][0]
    value = f"{pair['application_id']}:{pair['host_id']}"
    response = coordinator_client.post(
        f"/coordinator/rounds/{solved_round['round_id']}/matching/runs",
        data={"fixed": [value], "forbidden": [value]})
    assert response.status_code == 400
    assert "both pinned and forbidden" in response.get_data(as_text=True)


def test_rerun_with_forbidden_pair_and_compare_shows_what_moved(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any],
        redis_conn: Redis) -> None:
    round_id = solved_round["round_id"]
    pair = solved_round["result"]["assignments"][0]
    coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs", data={
        "forbidden": [f"{pair['application_id']}:{pair['host_id']}"], "time_limit_s": "5"})
    work(app, redis_conn)
    html = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching").get_data(
        as_text=True)
    # The new run keeps the forbidden pair listed, ticked, for the run after it.
    assert "Pairs forbidden in run" in html
    assert f'value="{pair["application_id"]}:{pair["host_id"]}" id="kept-forbidden-1" checked' \
        in html
    compare = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching/compare")
    assert compare.status_code == 200
    text = compare.get_data(as_text=True)
    with app.app_context():
        from coordinator.models import Application
        name = db.session().get(Application, pair["application_id"]).name
    moved_section = text[text.index("What moved"):]
    assert name in moved_section
    assert "Moved to another host" in text
    assert coordinator_client.get(
        f"/coordinator/rounds/{round_id}/matching/compare?a=1&b=999999").status_code == 404


def test_publish_needs_confirmation_and_the_latest_run(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any],
        redis_conn: Redis) -> None:
    round_id, old_run = solved_round["round_id"], solved_round["run_id"]
    coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                            data={"time_limit_s": "5"})
    work(app, redis_conn)
    stale = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching/runs/{old_run}/publish")
    assert stale.status_code == 409
    assert "Only the latest run" in stale.get_data(as_text=True)
    assert coordinator_client.post(
        f"/coordinator/rounds/{round_id}/matching/runs/{old_run}/publish").status_code == 409
    with app.app_context():
        latest = matching.latest_run(db.session(), round_id)
        latest_id, placed = latest.id, len(latest.result["assignments"])
    url = f"/coordinator/rounds/{round_id}/matching/runs/{latest_id}/publish"
    confirm = coordinator_client.get(url)
    assert confirm.status_code == 200
    assert f"{placed} placements will be offered" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalars(select(Placement)).all() == []
    done = coordinator_client.post(url)
    assert done.status_code == 302
    with app.app_context():
        session = db.session()
        assert session.get(Round, round_id).status == RoundStatus.OFFERS
        assert len(session.scalars(select(Placement)).all()) == placed
    # Publishing twice is a conflict page, not a second set of offers.
    assert coordinator_client.post(url).status_code == 409
    # The result stays readable, without the controls for another run.
    html = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching").get_data(
        as_text=True)
    assert "Placements of run" in html and 'name="fixed"' not in html


def test_cancel_a_running_run_with_confirmation(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any]) -> None:
    round_id = closed_round(app, coordinator_user["id"])
    coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs", data={})
    with app.app_context():
        session = db.session()
        event = session.scalars(select(Event).where(Event.kind == "round.matching")).one()
        run = matching.run_for_event(session, round_id, event.id, {"time_limit_s": 10})
        run_id = run.id
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}/matching?run={run_id}")
    assert "Cancel this run" in page.get_data(as_text=True)
    url = f"/coordinator/rounds/{round_id}/matching/runs/{run_id}/cancel"
    assert "Yes, cancel the run" in coordinator_client.get(url).get_data(as_text=True)
    assert coordinator_client.post(url).status_code == 302
    with app.app_context():
        session = db.session()
        assert session.get(SolverRun, run_id).status == "cancelled"
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "run.cancel")).one()
    assert coordinator_client.post(url).status_code == 409


def test_unknown_round_run_or_event_is_404(coordinator_client: FlaskClient) -> None:
    assert coordinator_client.get("/coordinator/rounds/999999/matching").status_code == 404
    assert coordinator_client.get(
        "/coordinator/rounds/999999/matching/progress?run=1").status_code == 404


def test_pages_need_a_signed_in_coordinator(client: FlaskClient) -> None:
    response = client.get("/coordinator/rounds/1/matching")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("language,canonical,fairest", [
    ("en", "Most placed, then best choices, then least travel",
     "Fairest: the worst-off visitor's choice first"),
    ("da", "Flest placeret, så bedste valg, så mindst rejse", None),
])
def test_runs_table_names_the_objective_as_the_select_does(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any],
        redis_conn: Redis, language: str, canonical: str, fairest: str | None) -> None:
    round_id = solved_round["round_id"]
    coordinator_client.post(f"/coordinator/rounds/{round_id}/matching/runs",
                            data={"objective": "minimax_rank", "time_limit_s": "5"})
    work(app, redis_conn)
    html = coordinator_client.get(
        f"/coordinator/rounds/{round_id}/matching?lang={language}").get_data(as_text=True)
    table = html.split('<table class="runs">', 1)[1].split("</table>", 1)[0]
    select = html.split('<select id="objective"', 1)[1].split("</select>", 1)[0]
    assert "canonical" not in table and "minimax_rank" not in table
    assert f"<td>{canonical}</td>" in table and canonical in select
    if fairest is None:  # the Danish name of the other objective, as the select shows it
        fairest = select.split('value="minimax_rank"', 1)[1].split(">", 1)[1].split("<", 1)[0]
        assert fairest and "Fairest" not in fairest
    assert f"<td>{fairest}</td>" in table
