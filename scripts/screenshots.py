"""Screenshots of the main pages for the README: `.venv/bin/python scripts/screenshots.py`.

Plays the demo round (the same driver as `make demo`) on a throw-away SQLite database, serves
the app on a loopback port and photographs the pages in Debian's Chromium (/usr/bin/chromium)
through Playwright. Needs the local Redis (an empty database number is claimed for the run and
emptied afterwards). Writes PNGs to docs/screenshots/ (or --out).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask, url_for  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 667}
PASSWORD = secrets.token_urlsafe(16)
EMAIL = "koordinator@example.org"


@contextmanager
def claimed_redis(base_url: str) -> Iterator[str]:
    """An empty Redis database number, claimed with SET NX for this run and emptied after."""
    claim = f"screenshots:{uuid.uuid4().hex}"
    for number in range(15, 0, -1):
        client = Redis.from_url(f"{base_url}/{number}")
        if client.dbsize() == 0 and client.set("screenshots-claim", claim, nx=True, ex=3600):
            break
        client.close()
    else:
        raise SystemExit("no empty Redis database number for the screenshots")
    try:
        yield f"{base_url}/{number}"
    finally:
        client.flushdb()
        client.close()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def prepare(app: Flask, redis_url: str) -> dict[str, Any]:
    """A played demo round (to its workshops), and a second one with offers still open."""
    from coordinator import db
    from coordinator.auth import create_user
    from coordinator.demo import seed_demo_round
    from coordinator.demo_round import play_round
    from coordinator.models import (
        Application,
        Consent,
        Event,
        Invitation,
        Placement,
        Round,
        RoundStatus,
        SolverRun,
    )
    from coordinator.services import matching, offers
    from coordinator.services.links import make_token
    from coordinator.services.rounds import transition_round
    from workers.context import set_app
    from workers.drive import drain

    redis = Redis.from_url(redis_url)
    with app.app_context():
        session = db.session()
        create_user(session, EMAIL, PASSWORD, role="admin")
        played = seed_demo_round(session, applications=60, hosts=30)
        waiting = seed_demo_round(session, applications=12, hosts=6, random_seed=7,
                                  name="Innovationspraktik 2028 (demo)")
        session.commit()
    play_round(app, redis, played.round_id, time_limit_s=10)
    set_app(app)
    with app.app_context():  # the second round: solved and published, nobody has answered
        session = db.session()
        round_ = session.get(Round, waiting.round_id)
        transition_round(session, round_, RoundStatus.CLOSED, None)
        transition_round(session, round_, RoundStatus.MATCHING, None)
        event = session.scalars(select(Event).where(
            Event.round_id == round_.id, Event.kind == "round.matching")).one()
        event.payload = {**event.payload, "time_limit_s": 5}
        session.commit()
    drain(app, redis)
    with app.app_context():
        session = db.session()
        run = matching.latest_run(session, waiting.round_id)
        offers.publish_run(session, session.get(Round, waiting.round_id), run.id, None)
        session.commit()
    drain(app, redis)
    redis.close()
    with app.app_context(), app.test_request_context():
        session = db.session()
        first = lambda model, *where: session.scalars(  # noqa: E731
            select(model).where(*where).order_by(model.id)).first()
        consent = session.scalars(select(Consent).join(Placement).where(
            Placement.round_id == waiting.round_id, Placement.status == "offered",
            Consent.party == "visitor").order_by(Consent.id)).first()
        invitation = first(Invitation, Invitation.round_id == played.round_id)
        runs = session.scalars(select(SolverRun.id).where(
            SolverRun.round_id == played.round_id).order_by(SolverRun.id)).all()
        application = first(Application, Application.round_id == waiting.round_id)
        r = played.round_id
        return {
            "round": r,
            "urls": {
                "dashboard-rounds": url_for("dashboard.rounds"),
                "dashboard-round": url_for("dashboard.round", round_id=r),
                "dashboard-applications": url_for("dashboard.applications", round_id=r),
                "dashboard-matching": url_for("dashboard.matching", round_id=r, run=runs[0]),
                "dashboard-compare": url_for("dashboard.matching_compare", round_id=r),
                "dashboard-map-and-charts": url_for("dashboard.pictures", round_id=r),
                "dashboard-offers": url_for("dashboard.offers", round_id=r),
                "dashboard-workshops": url_for("dashboard.workshops", round_id=r),
                "dashboard-emails": url_for("dashboard.round_emails", round_id=r),
                "dashboard-jobs": url_for("dashboard.jobs"),
                "dashboard-exports": url_for("dashboard.exports", round_id=r),
            },
            "phone": {
                "phone-offer": url_for("offers.show",
                                       token=make_token("offer-response", consent.id)),
                "phone-rsvp": url_for("rsvp.show", token=make_token(
                    "workshop-rsvp", invitation.id, person=f"h{invitation.host_id}")),
                "phone-application": url_for("pages.application_link", token=make_token(
                    "application-edit", application.id)),
            },
            "public": {
                "front-page": url_for("pages.index"),
                "application-form": url_for("pages.application_form",
                                            round_id=waiting.round_id),
            },
        }


def photograph(base: str, plan: dict[str, Any], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        desktop = browser.new_context(viewport=DESKTOP, locale="da-DK")
        page = desktop.new_page()
        for name, path in plan["public"].items():
            page.goto(base + path)
            written.append(_shot(page, out / f"{name}.da.png"))
        page.goto(f"{base}/login")
        page.locator("#email").fill(EMAIL)
        page.locator("#password").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        for name, path in plan["urls"].items():
            page.goto(base + path)
            # The map and charts are the point of their page: the whole of it.
            written.append(_shot(page, out / f"{name}.da.png",
                                 full_page=name == "dashboard-map-and-charts"))
        page.goto(f"{base}{plan['urls']['dashboard-map-and-charts']}?lang=en")
        written.append(_shot(page, out / "dashboard-map-and-charts.en.png", full_page=True))
        desktop.close()
        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                    device_scale_factor=2, locale="da-DK")
        page = phone.new_page()
        for name, path in plan["phone"].items():
            page.goto(base + path)
            written.append(_shot(page, out / f"{name}.da.png"))
        phone.close()
        browser.close()
    return written


def _shot(page: Any, path: Path, full_page: bool = False) -> Path:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379",
                        help="Redis server (a free database number on it is used)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from coordinator import create_app, migrate

    with tempfile.TemporaryDirectory(prefix="screenshots-") as scratch, \
            claimed_redis(args.redis) as redis_url:
        database_url = f"sqlite:///{scratch}/coordinator.sqlite3"
        migrate.upgrade(database_url)
        app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                          "SECRET_KEY": secrets.token_urlsafe(32), "INSTANCE_PATH": scratch,
                          "RATELIMIT_ENABLED": False})
        with served(app) as base:
            app.config["PUBLIC_BASE_URL"] = base
            plan = prepare(app, redis_url)
            written = photograph(base, plan, args.out)
        app.extensions["db_engine"].dispose()
    print(f"{len(written)} screenshots in {args.out}")


if __name__ == "__main__":
    main()
