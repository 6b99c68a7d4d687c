"""The rounds pages in Chromium: sign in, create a round, open it (with its confirmation
step), import the demo data and see the counts on the round's overview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from a11y import assert_accessible
from flask import Flask
from playwright.sync_api import expect
from redis import Redis
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import Application, Round
from workers.context import set_app
from workers.drive import drain

pytestmark = pytest.mark.browser


def _work_queued_jobs(app: Flask) -> None:
    """The outbox relay and a burst worker in this process, on the test's Redis."""
    redis_conn = Redis.from_url(app.config["REDIS_URL"])
    set_app(app)
    try:
        drain(app, redis_conn)
    finally:
        set_app(None)
        redis_conn.flushdb()
        redis_conn.close()


def test_create_open_and_fill_a_round(app: Flask, live_server: str, browser: Any,
                                      coordinator_user: dict[str, Any],
                                      screenshot_dir: Path) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server}/coordinator/")
    assert "/login" in page.url  # the dashboard needs a signed-in coordinator
    page.locator("#email").fill(coordinator_user["email"])
    page.locator("#password").fill(coordinator_user["password"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server}/coordinator/")
    expect(page.get_by_role("heading", name="Runder")).to_be_visible()

    page.get_by_role("link", name="Opret en runde").click()
    page.get_by_role("button", name="Gem").click()  # empty: the form again, fields named
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Navn")
    page.get_by_label("Navn").fill("Innovationspraktik 2027")
    page.get_by_label("Uger").fill("2027-W37, 2027-W38")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("heading", name="Innovationspraktik 2027")).to_be_visible()
    assert "kladde" in page.locator("main").inner_text()

    page.get_by_role("link", name="Flyt til “åben” …").click()
    expect(page.get_by_text("Dette skridt kan ikke fortrydes.")).to_be_visible()
    page.get_by_role("button", name="Ja, flyt til “åben”").click()
    expect(page.get_by_role("status")).to_contain_text("Runden har nu status “åben”.")

    page.get_by_label("Størrelse").select_option("small")
    page.get_by_role("button", name="Importér demodata …").click()
    page.get_by_role("button", name="Ja, importér demodata").click()
    expect(page.get_by_role("status")).to_contain_text("Demoimporten er sat i kø")
    _work_queued_jobs(app)  # the worker seeds the round, as `rq worker` would
    page.reload()
    counts = page.locator("ul.counts").inner_text()
    assert "24" in counts and "ansøgninger" in counts and "12" in counts
    page.screenshot(path=str(screenshot_dir / "dashboard-round.da.png"), full_page=True)

    page.get_by_role("navigation", name="Runde: Innovationspraktik 2027").get_by_role(
        "link", name="Ansøgninger").click()
    assert page.get_by_role("table").locator("tbody tr").count() == 24
    page.screenshot(path=str(screenshot_dir / "dashboard-applications.da.png"), full_page=True)
    assert_accessible(page)
    page.locator("tbody a").first.click()
    assert_accessible(page)

    # Every other page of the round, and the global ones, pass axe as well.
    round_nav = page.get_by_role("navigation", name="Runde: Innovationspraktik 2027")
    for name in ("Overblik", "Værter", "Tilbud", "E-mails", "Workshops"):
        round_nav.get_by_role("link", name=name).click()
        assert_accessible(page, name)
    page.get_by_label("Dato").fill("2027-08-30")
    page.get_by_role("button", name="Tilføj sessionen").click()
    page.get_by_role("link", name="Ændr dato eller sted").first.click()
    assert_accessible(page, "session edit")
    page.get_by_role("navigation", name="Koordinator").get_by_role("link", name="Jobtavle").click()
    assert_accessible(page, "job board")
    page.goto(f"{live_server}/coordinator/rounds/new")
    page.get_by_role("button", name="Gem").click()
    assert_accessible(page, "round form with errors")
    context.close()
    with app.app_context():
        round_id = db.session().scalar(select(Round.id))
        assert db.session().scalar(select(func.count()).select_from(Application).where(
            Application.round_id == round_id)) == 24
