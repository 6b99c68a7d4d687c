"""axe-core over every coordinator page, in Danish and English, on a round played to the end.

The round is the demo round played by the same driver as `make demo` (solve, publish, answers,
a decline and an expiry, re-solve, confirmation, workshops), so every page has its fullest
content: tables of placements, offers, invitations, emails. A page not built yet is listed and
the test xfails with its name instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from a11y import FAILING_IMPACTS, axe_violations, describe
from flask import Flask, url_for
from redis import Redis
from sqlalchemy import select

from coordinator import db
from coordinator.demo import seed_demo_round
from coordinator.demo_round import play_round
from coordinator.models import Application, Host, Message, SolverRun, User, WorkshopSession
from coordinator.services.rounds import create_round
from workers.context import set_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def played_round(app: Flask, coordinator_user: dict[str, Any]) -> Iterator[dict[str, int]]:
    """Ids of a round played to its workshops, plus a draft round; the coordinator is an admin
    (the seeded rounds were created by nobody, so only an admin sees them)."""
    redis = Redis.from_url(app.config["REDIS_URL"])
    redis.flushdb()
    with app.app_context():
        session = db.session()
        session.get(User, coordinator_user["id"]).role = "admin"
        summary = seed_demo_round(session, applications=24, hosts=12)
        draft = create_round(session, {"name": "Kladde 2028", "weeks": ["2028-W37"]},
                             coordinator_user["id"])
        session.commit()
    play_round(app, redis, summary.round_id, time_limit_s=5)
    with app.app_context():
        session = db.session()
        first = lambda model, *where: session.scalars(  # noqa: E731
            select(model.id).where(*where).order_by(model.id)).first()
        ids = {"round_id": summary.round_id, "draft_id": draft.id,
               "application_id": first(Application, Application.round_id == summary.round_id),
               "host_id": first(Host, Host.round_id == summary.round_id),
               "run_id": first(SolverRun, SolverRun.round_id == summary.round_id),
               "session_id": first(WorkshopSession,
                                   WorkshopSession.round_id == summary.round_id),
               "message_id": first(Message, Message.round_id == summary.round_id)}
    yield ids
    set_app(None)
    redis.flushdb()
    redis.close()


def _pages(ids: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, endpoint, URL values) of every page, with the records that fill it."""
    r, d = ids["round_id"], ids["draft_id"]
    return [
        ("rounds", "dashboard.rounds", {}),
        ("new round", "dashboard.round_new", {}),
        ("round overview", "dashboard.round", {"round_id": r}),
        ("draft round overview", "dashboard.round", {"round_id": d}),
        ("edit round", "dashboard.round_edit", {"round_id": d}),
        ("confirm a move", "dashboard.round_transition", {"round_id": d, "to_status": "open"}),
        ("confirm demo import", "dashboard.round_demo", {"round_id": d}),
        ("applications", "dashboard.applications", {"round_id": r}),
        ("application", "dashboard.application", {"application_id": ids["application_id"]}),
        ("hosts", "dashboard.hosts", {"round_id": r}),
        ("host", "dashboard.host", {"host_id": ids["host_id"]}),
        ("matching", "dashboard.matching", {"round_id": r}),
        ("first run", "dashboard.matching", {"round_id": r, "run": ids["run_id"]}),
        ("compare runs", "dashboard.matching_compare", {"round_id": r}),
        ("map and charts", "dashboard.pictures", {"round_id": r}),
        ("offers and responses", "dashboard.offers", {"round_id": r}),
        ("workshops", "dashboard.workshops", {"round_id": r}),
        ("plan workshops (draft)", "dashboard.workshops", {"round_id": d}),
        ("edit a workshop session", "dashboard.workshop_session_edit",
         {"session_id": ids["session_id"]}),
        ("round emails", "dashboard.round_emails", {"round_id": r}),
        ("all emails", "dashboard.emails", {}),
        ("one email", "dashboard.email", {"message_id": ids["message_id"]}),
        ("undeliverable addresses", "dashboard.undeliverable", {}),
        ("job board", "dashboard.jobs", {}),
        ("exports", "dashboard.exports", {"round_id": r}),
    ]


def _send_empty(page: Any) -> None:
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").last.click()


# Forms sent back with their errors: (name, endpoint, values key for the draft round).
FORMS_WITH_ERRORS = [("new round with errors", "dashboard.round_new", False),
                     ("workshop session with errors", "dashboard.workshops", True)]


def test_every_coordinator_page_has_no_serious_violations(
        app: Flask, live_server: str, browser: Any, coordinator_user: dict[str, Any],
        played_round: dict[str, int]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server}/login")
    page.locator("#email").fill(coordinator_user["email"])
    page.locator("#password").fill(coordinator_user["password"])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    pages = _pages(played_round)
    missing = [name for name, endpoint, _values in pages if endpoint not in app.view_functions]
    failures: list[str] = []
    with app.test_request_context():
        urls = [(name, url_for(endpoint, **values)) for name, endpoint, values in pages
                if endpoint in app.view_functions]
        forms = [(name, url_for(endpoint, **({"round_id": played_round["draft_id"]}
                                             if for_draft else {})))
                 for name, endpoint, for_draft in FORMS_WITH_ERRORS]
    for language in ("da", "en"):
        page.goto(f"{live_server}/coordinator/?lang={language}")
        for name, url in urls:
            response = page.goto(live_server + url)
            assert response is not None and response.status == 200, (name, url, response)
            assert page.get_attribute("html", "lang") == language
            failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
            if failing:
                failures.append(f"{name} [{language}] ({url}):\n{describe(failing)}")
        for name, url in forms:
            page.goto(live_server + url)
            _send_empty(page)  # the name of a round and the date of a session are required
            assert page.locator(".error-summary").count() == 1, (name, page.url)
            failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
            if failing:
                failures.append(f"{name} [{language}] ({url}):\n{describe(failing)}")
    context.close()
    assert not failures, "\n\n".join(failures)
    if missing:
        pytest.xfail(f"dashboard pages not built yet: {', '.join(missing)}")
