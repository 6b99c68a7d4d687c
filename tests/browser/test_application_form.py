"""The application form in Chromium: fill and send, send empty, switch to English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from coordinator import db
from coordinator.models import Application
from coordinator.services.links import make_token

pytestmark = pytest.mark.browser

REQUIRED = {
    "name": "Feltet skal udfyldes.",
    "email": "Feltet skal udfyldes.",
    "organisation": "Feltet skal udfyldes.",
    "org_level": "Feltet skal udfyldes.",
    "municipality_code": "Vælg en kommune.",
    "learning_goal": "Feltet skal udfyldes.",
    "manager_name": "Feltet skal udfyldes.",
    "manager_email": "Feltet skal udfyldes.",
}


def _error_ids(page: Any, selector: str) -> list[str]:
    return (page.get_attribute(selector, "aria-describedby") or "").split()


def test_application_form_in_a_browser(app: Flask, live_server: str, browser: Any,
                                       open_round: dict[str, Any], host_in_round: dict[str, Any],
                                       screenshot_dir: Path) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    form_url = f"{live_server}/rounds/{open_round['id']}/apply"
    page.goto(form_url)
    assert page.get_attribute("html", "lang") == "da"
    page.screenshot(path=str(screenshot_dir / "application-form.da.png"), full_page=True)

    # Labels are tied to their inputs: fill by label text, as a screen reader user finds them.
    page.get_by_label("Dit navn").fill("Mads Nielsen")
    page.get_by_label("Din e-mailadresse").fill("mads@odense.example")
    page.get_by_label("Din arbejdsplads", exact=True).fill("Odense Kommune")
    page.get_by_label("Type arbejdsplads").select_option("municipality")
    page.get_by_label("Din arbejdsplads' kommune").select_option("461")
    page.get_by_label("Hvad vil du lære?").fill("Skærmbesøg i stor skala & <5 dages besøg")
    page.get_by_label("Emner").fill("velfærdsteknologi, ældre")
    page.get_by_label("1. valg").select_option(str(host_in_round["id"]))
    page.locator("#weeks_1").check()
    page.get_by_label("Din leders navn").fill("Lone Hansen")
    page.get_by_label("Din leders e-mailadresse").fill("lone@odense.example")
    page.get_by_role("button", name="Send ansøgning").click()
    expect(page).to_have_url(f"{form_url}/submitted")
    expect(page.get_by_role("heading", name="Ansøgningen er modtaget")).to_be_visible()
    assert "mads@odense.example" in page.content()
    with app.app_context():
        stored = db.session().scalars(select(Application)).one()
        assert stored.ranked_host_ids == [host_in_round["id"]]
        assert stored.weeks == [open_round["weeks"][0]]

    # Sent empty: every message sits beside its field and is linked to it.
    page.goto(form_url)
    page.get_by_role("button", name="Send ansøgning").click()
    page.wait_for_selector(".error-summary")
    assert page.title().startswith("Fejl:")
    for name, message in REQUIRED.items():
        error_id = f"{name}-error"
        assert error_id in _error_ids(page, f"#{name}"), name
        assert page.get_attribute(f"#{name}", "aria-invalid") == "true", name
        assert message in page.locator(f"#{error_id}").inner_text(), name
        expect(page.locator(f"#{error_id}")).to_be_visible()
    assert "host_choices-error" in _error_ids(page, "#host_choice_1")
    # The summary links move focus to the field.
    page.locator(".error-summary a[href='#name']").click()
    assert page.evaluate("document.activeElement.id") == "name"
    page.screenshot(path=str(screenshot_dir / "application-form-errors.da.png"), full_page=True)

    # English on request, remembered for the next page.
    page.get_by_role("link", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    expect(page.get_by_label("Your name")).to_be_visible()
    expect(page.get_by_label("Your manager's email address")).to_be_visible()
    page.goto(form_url)
    expect(page.get_by_role("button", name="Send application")).to_be_visible()
    context.close()


def test_host_pages(app: Flask, live_server: str, browser: Any, open_round: dict[str, Any],
                    host_in_round: dict[str, Any], screenshot_dir: Path) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/rounds/{open_round['id']}/host")
    expect(page.get_by_label("Innovationens titel")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "host-form.da.png"), full_page=True)

    # The mailed link: the offer in an edit form, and a withdraw button that asks first.
    with app.test_request_context():
        token = make_token("host-edit", host_in_round["id"])
    response = page.goto(f"{live_server}/host/{token}")
    assert response is not None and response.headers["referrer-policy"] == "no-referrer"
    assert page.get_by_label("Innovationens titel").input_value() == (
        "Velfærdsteknologi i hjemmeplejen")
    page.screenshot(path=str(screenshot_dir / "host-link.da.png"), full_page=True)
    page.get_by_role("button", name="Træk værtstilbuddet tilbage").click()
    page.get_by_role("button", name="Ja, træk tilbage").click()
    expect(page.get_by_text("Dette værtstilbud er trukket tilbage.")).to_be_visible()
    context.close()
