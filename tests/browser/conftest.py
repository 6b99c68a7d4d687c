"""A real server and Debian's Chromium for the browser tests (PostgreSQL only).

Chromium comes from apt (/usr/bin/chromium), never from `playwright install`. Without it the
tests are skipped locally and fail in CI, where scripts/ensure_services.sh installs it.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def database_url(postgresql_url: str) -> str:
    # One database is enough to show the pages work in a browser; the page tests cover both.
    return postgresql_url


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, served by werkzeug in a thread, CSRF on."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # expect(...) waits for what a click brings (a new page, a message) instead of looking
    # once: a bare is_visible() right after a click raced the navigation on a busy machine.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: SCREENSHOT_DIR when set (docs/screenshots), else a temp dir."""
    target = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def participant_links(app: Flask, client: FlaskClient, open_round: dict[str, Any],
                      host_in_round: dict[str, Any]) -> dict[str, str]:
    """Paths of every page a participant reaches: forms, signed links, an offer, a workshop
    RSVP, a draft round.

    The offer and the invitation are written straight to the database (no solver run needed
    to show the pages); the links are signed the way the emails sign them.
    """
    from coordinator import db
    from coordinator.models import Consent, Invitation, Placement, SolverRun, WorkshopSession
    from coordinator.services.links import make_token

    applied = client.post(f"/api/public/rounds/{open_round['id']}/applications", json={
        "name": "Mads Nielsen", "email": "mads@odense.example", "organisation": "Odense Kommune",
        "org_level": "municipality", "municipality_code": "461",
        "learning_goal": "Hvordan man skalerer skærmbesøg.", "topics": ["velfærdsteknologi"],
        "host_choices": [host_in_round["id"]], "weeks": open_round["weeks"][:1], "max_km": 200,
        "language": "da", "manager_name": "Lone Hansen", "manager_email": "lone@odense.example"})
    assert applied.status_code == 201, applied.json
    draft = client.post("/api/rounds", json={"name": "Kladde 2028", "weeks": ["2028-W37"]})
    assert draft.status_code == 201, draft.json
    with app.app_context():
        session = db.session()
        run = SolverRun(round_id=open_round["id"], status="done")
        session.add(run)
        session.flush()
        placement = Placement(
            round_id=open_round["id"], run_id=run.id, application_id=applied.json["id"],
            host_id=host_in_round["id"], week=open_round["weeks"][0], rank=1, km=130,
            deadline_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
        placement.consents = [Consent(party="visitor", email="mads@odense.example")]
        session.add(placement)
        workshop = WorkshopSession(round_id=open_round["id"], kind="prep",
                                   date=dt.date(2027, 8, 30), venue="Aarhus", lat=56.16,
                                   lon=10.2, capacity=40, language="da")
        session.add(workshop)
        session.flush()
        invitation = Invitation(round_id=open_round["id"], session_id=workshop.id,
                                host_id=host_in_round["id"], week=open_round["weeks"][0],
                                people=2)
        session.add(invitation)
        session.commit()
        consent_id, invitation_id = placement.consents[0].id, invitation.id
    with app.test_request_context():
        return {
            "front": "/",
            "apply": f"/rounds/{open_round['id']}/apply",
            "host_form": f"/rounds/{open_round['id']}/host",
            "round_not_open": f"/rounds/{draft.json['id']}/apply",
            "application_link": f"/application/{make_token('application-edit', applied.json['id'])}",
            "host_link": f"/host/{make_token('host-edit', host_in_round['id'])}",
            "offer": f"/offers/{make_token('offer-response', consent_id)}",
            "bad_link": f"/offers/{make_token('application-edit', consent_id)}",
            # The host contact's own answer to the group's workshop invitation.
            "rsvp": "/rsvp/" + make_token("workshop-rsvp", invitation_id,
                                          person=f"h{host_in_round['id']}"),
            "login": "/login",
            "not_found": "/no-such-page",
        }
