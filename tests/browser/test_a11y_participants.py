"""axe-core over every page a participant sees, in Danish and English, on a desktop and a phone.

Every state counts: a form empty and sent back with errors, the withdraw confirmation, the offer,
the signed-link problems (403, 410), the 404 and a 400 (CSRF) page, the sign-in page with its
error. All violations of a run are collected and reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from a11y import FAILING_IMPACTS, axe_violations, describe
from flask import Flask

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 667}}
SUBMIT = {"da": {"apply": "Send ansøgning", "login": "Log ind"},
          "en": {"apply": "Send application", "login": "Sign in"}}


def _send_empty(page: Any) -> None:
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector(".error-summary")


def _ask_to_withdraw(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form[action$='/withdraw'] button[type=submit]").click()


def _answer(page: Any, value: str) -> None:
    with page.expect_navigation():
        page.locator(f"main form button[value={value}]").click()


def _wrong_password(page: Any) -> None:
    page.locator("#email").fill("nobody@example.org")
    page.locator("#password").fill("not the password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#login-error")


def _without_csrf_token(page: Any) -> None:
    # A form kept open past its CSRF token's life: the 400 page must be as usable as any.
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


# (name, path key, action that brings the page into the state to check, expected status)
STATES: list[tuple[str, str, Callable[[Any], None] | None, int]] = [
    ("front page", "front", None, 200),
    ("application form", "apply", None, 200),
    ("application form with errors", "apply", _send_empty, 200),
    ("host form", "host_form", None, 200),
    ("host form with errors", "host_form", _send_empty, 200),
    ("round not open", "round_not_open", None, 409),
    ("application link", "application_link", None, 200),
    ("application withdraw confirmation", "application_link", _ask_to_withdraw, 200),
    ("host link", "host_link", None, 200),
    ("host withdraw confirmation", "host_link", _ask_to_withdraw, 200),
    ("offer", "offer", None, 200),
    ("workshop RSVP", "rsvp", None, 200),
    ("workshop RSVP answered", "rsvp", lambda page: _answer(page, "yes"), 200),
    ("link not valid (403)", "bad_link", None, 403),
    ("page not found (404)", "not_found", None, 404),
    ("sign in", "login", None, 200),
    ("sign in with an error", "login", _wrong_password, 200),
    ("request not usable (400)", "login", _without_csrf_token, 200),
]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("language", ["da", "en"])
def test_participant_pages_have_no_serious_violations(
        app: Flask, live_server: str, browser: Any, participant_links: dict[str, str],
        language: str, viewport: str) -> None:
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/?lang={language}")  # remembered in the session from now on
    failures: list[str] = []

    def check(name: str) -> None:
        assert page.get_attribute("html", "lang") == language, name
        failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
        if failing:
            failures.append(f"{name} ({page.url}):\n{describe(failing)}")

    for name, key, action, status in STATES:
        response = page.goto(live_server + participant_links[key])
        assert response is not None and response.status == status, (name, response)
        if action is not None:
            action(page)
        check(name)

    # An expired link: the same signed offer, read with a life that has already ended.
    app.config["EDIT_LINK_MAX_AGE_DAYS"], kept = -1, app.config["EDIT_LINK_MAX_AGE_DAYS"]
    try:
        response = page.goto(live_server + participant_links["offer"])
    finally:
        app.config["EDIT_LINK_MAX_AGE_DAYS"] = kept
    assert response is not None and response.status == 410
    check("link expired (410)")
    context.close()
    assert not failures, "\n\n".join(failures)


def test_the_check_names_rule_node_and_help(browser: Any) -> None:
    """The helper itself: a page with known faults fails with a message a person can act on."""
    from a11y import assert_accessible

    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html><body><main><h1>x</h1><input id='nameless'></main></body></html>")
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "a page with an unlabelled input")
    message = str(failed.value)
    assert "a page with an unlabelled input" in message
    assert "label (critical)" in message and "#nameless" in message
    assert "dequeuniversity.com/rules/axe/" in message
    context.close()
