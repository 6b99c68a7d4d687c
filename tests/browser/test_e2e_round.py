"""A whole round run from the browser, with a real RQ worker and the outbox relay running.

Sign in, create a round, open it, import the demo data, close it, start the solver and watch the
progress bar until the result shows, pin a pair and run again, compare, look at the map and the
charts, publish, accept an offer from the link in the emailed message, let the others accept,
see the workshops scheduled, download the placements as CSV. axe-core checks every page visited.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import FAILING_IMPACTS, axe_violations, describe
from flask import Flask
from playwright.sync_api import expect
from redis import Redis
from sqlalchemy import select

from coordinator import db
from coordinator.models import Consent, Message, Placement, Round
from coordinator.services import offers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
SOLVE_WAIT_MS = 180_000
OFFER_LINK = re.compile(r"https?://\S+/offers/[\w.\-]+")


@pytest.fixture
def pipeline(app: Flask, live_server: str, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """`rq worker` and `flask events relay` as separate processes on the test's database and
    Redis, as `make up` runs them; their logs are kept for the failure message."""
    redis = Redis.from_url(app.config["REDIS_URL"])
    redis.flushdb()
    app.config["PUBLIC_BASE_URL"] = live_server  # offer links in emails point at this server
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"],
           "REDIS_URL": app.config["REDIS_URL"], "SECRET_KEY": app.config["SECRET_KEY"],
           "PUBLIC_BASE_URL": live_server, "EMAIL_BACKEND": "outbox",
           "FLASK_APP": "coordinator:create_app", "PYTHONUNBUFFERED": "1"}
    commands = {
        # SimpleWorker: one process that builds the app once. The forking worker builds it
        # again in every work horse (seconds of CPU per job), too slow for a test's 100 jobs.
        "worker": [sys.executable, "-m", "rq.cli", "worker", "--serializer",
                   "rq.serializers.JSONSerializer", "--worker-class", "rq.worker.SimpleWorker",
                   "--url", app.config["REDIS_URL"], "solve", "default", "email"],
        "relay": [sys.executable, "-m", "flask", "events", "relay", "--interval", "0.3"],
    }
    logs = {name: tmp_path / f"{name}.log" for name in commands}
    processes = []
    for name, command in commands.items():
        with logs[name].open("wb") as log:
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                              stderr=subprocess.STDOUT,
                                              start_new_session=True))
    yield logs
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    redis.flushdb()
    redis.close()


def _logs(logs: dict[str, Path]) -> str:
    return "\n".join(f"--- {name} ---\n" + path.read_text(errors="replace")[-3000:]
                     for name, path in logs.items())


def _wait_for(condition: Callable[[], Any], what: str, logs: dict[str, Path],
              timeout_s: float = 120) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n{_logs(logs)}")


class Walk:
    """The coordinator's browser tab, checking every page it lands on with axe."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.a11y_failures: list[str] = []

    def check(self, name: str) -> None:
        failing = [v for v in axe_violations(self.page) if v["impact"] in FAILING_IMPACTS]
        if failing:
            self.a11y_failures.append(f"{name} ({self.page.url}):\n{describe(failing)}")

    def click(self, name: str, role: str = "button", exact: bool = False) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=exact).first.click()

    def nav(self, name: str) -> None:
        """Follow a link of the round's navigation."""
        with self.page.expect_navigation():
            self.page.locator("nav.round-nav").get_by_role("link", name=name, exact=True).click()
        self.check(name)

    def move_round(self, state: str) -> None:
        """A lifecycle button on the round page; irreversible moves ask first."""
        name = re.compile(f"^Move to “{state}”…?$")
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=name).or_(
                self.page.get_by_role("link", name=name)).first.click()
        confirm = self.page.get_by_role("button", name=f"Yes, move to “{state}”")
        if confirm.count():
            self.check(f"confirm move to {state}")
            with self.page.expect_navigation():
                confirm.click()
        assert self.page.locator(".status").first.inner_text() == state, self.page.url
        self.check(f"round {state}")


def _watch_the_progress_bar(page: Any) -> None:
    """Wait while the page polls the run's progress; it moves to the result when finished."""
    page.get_by_role("heading", name=re.compile(r"^Result of run \d+$")).wait_for(
        timeout=SOLVE_WAIT_MS)
    assert page.locator("#run-progress").count() == 0


def _round_status(app: Flask, round_id: int) -> str:
    with app.app_context():
        return db.session().get(Round, round_id).status


def _offer_link(app: Flask, round_id: int) -> str | None:
    """The accept link of a sent visitor offer, read from the outbox as an email client would."""
    with app.app_context():
        message = db.session().scalars(select(Message).where(
            Message.round_id == round_id, Message.template == "offer_visitor",
            Message.status == "sent").order_by(Message.id)).first()
        if message is None:
            return None
        found = OFFER_LINK.search(message.body_text)
        assert found, message.body_text
        return found.group(0)


def _everyone_else_accepts(app: Flask, round_id: int) -> int:
    """The other hosts, visitors and managers say yes (as their own links would)."""
    answered = 0
    with app.app_context():
        session = db.session()
        for placement in offers.current_placements(session, round_id):
            if placement.status != "offered":
                continue
            for consent in session.scalars(select(Consent).where(
                    Consent.placement_id == placement.id, Consent.status == "pending")):
                if offers.respond(session, consent, True) == "recorded":
                    answered += 1
        session.commit()
    return answered


def _placements(app: Flask, round_id: int, status: str) -> int:
    with app.app_context():
        return len(db.session().scalars(select(Placement.id).where(
            Placement.round_id == round_id, Placement.status == status)).all())


def test_a_whole_round_from_the_browser(app: Flask, live_server: str, browser: Any,
                                        coordinator_user: dict[str, Any],
                                        pipeline: dict[str, Path], tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    walk = Walk(page, live_server)
    try:
        _walk_the_round(app, live_server, browser, coordinator_user, pipeline, walk)
    except BaseException:
        # What the coordinator saw when it went wrong, next to the worker and relay logs.
        page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
        (tmp_path / "failed.html").write_text(page.content())
        print(f"screenshot, page and logs in {tmp_path}; browser console:", *console, sep="\n")
        raise
    finally:
        context.close()
    assert not walk.a11y_failures, "\n\n".join(walk.a11y_failures)


def _walk_the_round(app: Flask, live_server: str, browser: Any,
                    coordinator_user: dict[str, Any], pipeline: dict[str, Path],
                    walk: Walk) -> None:
    page = walk.page

    # Sign in (English, so the test reads like the steps; Danish is covered elsewhere).
    page.goto(f"{live_server}/login?lang=en&next=/coordinator/rounds")
    walk.check("sign in")
    page.get_by_label("Email").fill(coordinator_user["email"])
    page.get_by_label("Password").fill(coordinator_user["password"])
    walk.click("Sign in")
    expect(page.get_by_role("heading", name="Rounds", level=1)).to_be_visible()
    walk.check("rounds")

    # Create a round and open it.
    walk.click("Create a round", role="link")
    walk.check("create a round")
    page.get_by_label("Name", exact=True).fill("Innovation internship E2E")
    page.get_by_label("Weeks").fill("2027-W37")
    walk.click("Save")
    expect(page.get_by_role("heading", name="Innovation internship E2E")).to_be_visible()
    round_id = int(re.search(r"/rounds/(\d+)", page.url).group(1))
    walk.check("round draft")
    walk.move_round("open")

    # Import the small demo (after a confirmation), close, move to matching: the solver starts.
    page.get_by_label("Size").select_option("small")
    walk.click("Import the demo data…")
    walk.check("confirm demo import")
    walk.click("Yes, import the demo data")
    expect(page.get_by_text("The demo import is queued")).to_be_visible()

    # The worker seeds the round; the overview shows the counts once it has.
    def demo_imported() -> bool:
        page.reload()
        # "24" may sit above "applications" (a block <strong>): compare the words only.
        return " ".join(page.locator("ul.counts li").first.inner_text().split()) == (
            "24 applications")

    _wait_for(demo_imported, "the demo import", pipeline)
    walk.nav("Applications")
    walk.nav("Hosts")
    walk.nav("Overview")
    walk.move_round("closed")
    walk.move_round("matching")

    # The progress bar while the worker solves; the page moves to the result by itself.
    walk.click("Go to matching", role="link")
    # Until the worker takes the job there is no run to show: reload as a person would.
    def run_shown() -> int:
        page.reload()
        return page.locator("#run-progress, h2#result").count()

    _wait_for(run_shown, "the first run to start", pipeline)
    if page.locator("#run-progress").count():
        expect(page.get_by_role("heading", name="The solver is working")).to_be_visible()
        walk.check("matching in progress")
    _watch_the_progress_bar(page)
    assert _round_status(app, round_id) == "review", _logs(pipeline)
    walk.check("matching result")
    first_rows = page.locator("table.placements tbody tr").count()
    assert first_rows > 0

    # Pin the first visitor to their host and run again, with a short time limit.
    pin = page.locator("table.placements input[name=fixed]").first
    pair = pin.get_attribute("value")
    pin.check()
    page.get_by_label("Time limit (seconds)").fill("10")
    walk.click("Run the solver again")
    expect(page.locator("#run-progress")).to_be_visible()  # shown at once, before the worker starts
    walk.check("second run in progress")
    _watch_the_progress_bar(page)
    second_run = int(re.search(r"Result of run (\d+)", page.locator("h2#result").inner_text())
                     .group(1))
    assert page.locator(f"table.placements input[name=fixed][value='{pair}']").is_checked()
    walk.check("second result")
    walk.click("Compare two runs", role="link")
    walk.check("compare runs")
    page.go_back()

    # The map and the charts: non-empty SVG, one line per placement.
    walk.click("Map and charts", role="link")
    walk.check("map and charts")
    placed = page.locator("details table tbody tr").count()
    assert placed == first_rows or placed > 0
    assert page.locator("svg path.placement").count() == placed
    for heading in ("Travel distances", "Choices obtained"):
        section = page.locator("section.picture", has=page.get_by_role("heading", name=heading))
        assert section.locator("svg rect.bar").count() > 0, heading

    # Publish run 2 after the confirmation; the worker emails the offers.
    walk.nav("Matching")
    walk.click(f"Publish run {second_run} as offers…", role="link")
    walk.check("confirm publish")
    walk.click(re.compile(r"^Yes, publish"))  # type: ignore[arg-type]
    assert _round_status(app, round_id) == "offers"
    link = _wait_for(lambda: _offer_link(app, round_id), "an offer email to be sent", pipeline)

    # A visitor opens the emailed link on a phone and accepts.
    visitor = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True,
                                  has_touch=True)
    offer_page = visitor.new_page()
    offer_page.goto(live_server + link[link.index("/offers/"):])
    visitor_walk = Walk(offer_page, live_server)
    visitor_walk.check("offer from the email")
    with offer_page.expect_navigation():  # in Danish: a new visitor has chosen no language
        offer_page.locator("button[value=accept]").tap()
    assert offer_page.get_by_role("status").inner_text().startswith("Tak")
    visitor_walk.check("offer accepted")
    walk.a11y_failures += visitor_walk.a11y_failures
    visitor.close()
    walk.nav("Offers")

    # Plan a workshop session, then everyone else accepts: confirmed, workshops scheduled.
    walk.nav("Workshops")
    for kind, date in (("prep", "2027-08-23"), ("followup", "2027-10-04")):
        page.locator("#kind").select_option(kind)
        page.locator("#date").fill(date)
        page.locator("#venue").select_option(index=0)
        walk.click("Add the session")
        expect(page.get_by_text("The session was added.")).to_be_visible()
    walk.check("workshops planned")
    _wait_for(lambda: _everyone_else_accepts(app, round_id) == 0
              and _round_status(app, round_id) in ("workshops", "done"),
              "the round to be confirmed and its workshops scheduled", pipeline, 180)
    page.reload()
    walk.check("workshops scheduled")
    assert page.locator("table").count() > 0
    accepted = _placements(app, round_id, "accepted")
    assert accepted > 0

    # The placements as CSV.
    walk.nav("Exports")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Placements as CSV").click()
    rows = list(csv.DictReader(io.StringIO(
        Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) >= accepted

