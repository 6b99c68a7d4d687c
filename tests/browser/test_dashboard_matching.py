"""Matching from the browser: close a seeded round, run the solver with a real worker and watch
the progress bar finish, pin a pair and run again, compare, look at the map, publish."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import assert_accessible
from flask import Flask
from playwright.sync_api import expect
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select

from coordinator import db
from coordinator.demo import seed_demo_round
from coordinator.models import Placement, Round, RoundStatus, SolverRun
from coordinator.services.rounds import transition_round
from workers import relay
from workers.context import set_app

pytestmark = pytest.mark.browser


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can run outside the main thread (signals belong to the main one):
    no signal handlers, and job timeouts by a timer instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        return None


@pytest.fixture
def pipeline(app: Flask) -> Iterator[None]:
    """The relay and a worker in a background thread, as `make up` runs them beside the web."""
    redis = Redis.from_url(app.config["REDIS_URL"])
    redis.flushdb()
    set_app(app)
    queues = [Queue(n, connection=redis, serializer=JSONSerializer)
              for n in ("solve", "default", "email")]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with app.app_context():
                relay.relay_once(db.session(), redis)
            ThreadWorker(queues, connection=redis, serializer=JSONSerializer).work(
                burst=True, logging_level="WARNING")
            stop.wait(0.3)

    thread = threading.Thread(target=loop, name="pipeline", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)
    set_app(None)
    redis.flushdb()
    redis.close()


@pytest.fixture
def closed_round_id(app: Flask, coordinator_user: dict[str, Any]) -> int:
    with app.app_context():
        session = db.session()
        round_id = seed_demo_round(session, applications=60, hosts=30).round_id
        transition_round(session, session.get(Round, round_id), RoundStatus.CLOSED, None)
        try:
            from coordinator.access import assign_coordinator
        except ImportError:
            pass
        else:
            assign_coordinator(session, round_id, coordinator_user["id"], None)
        session.commit()
        return round_id


def _run_and_watch(page: Any) -> int:
    """Submit the run form, see the progress bar, wait for the result page; the run id."""
    page.fill("#time_limit_s", "3")
    page.locator("#start-run").click()
    page.wait_for_selector("#run-progress")
    assert_accessible(page, "the matching page while the solver runs")
    page.wait_for_url(re.compile(r"[?&]run=\d+"), timeout=90_000)
    return int(re.search(r"run=(\d+)", page.url).group(1))


def test_matching_round_trip_in_chromium(
        app: Flask, live_server: str, browser: Any, pipeline: None, closed_round_id: int,
        coordinator_user: dict[str, Any], screenshot_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/login?lang=en")
    page.fill("#email", coordinator_user["email"])
    page.fill("#password", coordinator_user["password"])
    page.get_by_role("button", name=re.compile("Sign in|Log ind")).click()
    matching_url = f"{live_server}/coordinator/rounds/{closed_round_id}/matching"
    page.goto(matching_url)

    first_run = _run_and_watch(page)
    assert page.locator("table.placements tbody tr").count() > 0
    expect(page.locator("table.unplaced caption")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "dashboard-matching.png"), full_page=True)
    assert_accessible(page, "the matching page with a result")

    # Pin the first placement, forbid the second and run again: the new run keeps the one and
    # moves the other.
    pin = page.locator("table.placements tbody tr").nth(0).locator("input[name=fixed]")
    pinned = pin.get_attribute("value")
    pin.check()
    forbid = page.locator("table.placements tbody tr").nth(1).locator("input[name=forbidden]")
    forbidden = forbid.get_attribute("value")
    forbid.check()
    second_run = _run_and_watch(page)
    assert second_run > first_run
    with app.app_context():
        run = db.session().get(SolverRun, second_run)
        assert run.status == "done"
        assert run.settings["fixed"] == [[int(x) for x in pinned.split(":")]]
        placed_pairs = [f"{a['application_id']}:{a['host_id']}" for a in run.result["assignments"]]
        assert pinned in placed_pairs and forbidden not in placed_pairs
    assert page.locator(f"input[name=fixed][value='{pinned}']").is_checked()

    page.get_by_role("link", name=re.compile("Compare two runs|Sammenlign")).click()
    page.wait_for_selector("text=What moved")
    assert page.locator("ul.counts li").count() == 7
    changed = page.locator("ul.counts li strong").all_inner_texts()[:4]
    assert sum(int(n) for n in changed) >= 1  # the forbidden visitor moved or left
    page.screenshot(path=str(screenshot_dir / "dashboard-compare.png"), full_page=True)
    assert_accessible(page, "the comparison of two runs")

    page.goto(f"{live_server}/coordinator/rounds/{closed_round_id}/pictures?run={second_run}")
    with app.app_context():
        placed = len(db.session().get(SolverRun, second_run).result["assignments"])
    assert page.locator("svg.map path.placement").count() == placed > 0
    for chart in ("#map", "#distances", "#ranks"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    page.screenshot(path=str(screenshot_dir / "dashboard-map.png"), full_page=True)
    assert_accessible(page, "the map and charts")
    page.goto(f"{live_server}/coordinator/rounds/{closed_round_id}/exports")
    assert_accessible(page, "the exports page")
    with page.expect_download() as download:
        page.locator("a[href$='/exports/placements.csv']").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.goto(f"{matching_url}?run={second_run}")
    page.get_by_role("link", name=re.compile(r"Publish run \d+|Offentliggør")).click()
    assert_accessible(page, "the publish confirmation")
    # Publishing writes ~50 placements, 150 consents and their emails in one transaction: on a
    # busy machine that takes longer than a click usually may.
    page.locator("#confirm").click(timeout=90_000)
    page.wait_for_selector("text=placements were offered", timeout=90_000)
    with app.app_context():
        session = db.session()
        assert session.get(Round, closed_round_id).status == RoundStatus.OFFERS
        assert len(session.scalars(select(Placement)).all()) == placed
    context.close()
