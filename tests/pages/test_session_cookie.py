"""The session cookie is written only when the session changes, and a signed-in session stays
bound to its browser.

A browser sends requests in parallel (a page and its favicon). When every anonymous response
re-sent the session cookie as its own request had read it, a slower parallel response
overwrote the cookie a form page had just set and dropped the form's CSRF token: the next
post was refused with a 400 (the RSVP phone test's flake).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient


def _session_cookies(response: Any) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]


def test_a_stale_parallel_request_does_not_rewrite_the_session(app: Flask,
                                                               client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client.get("/?lang=da")
    before_form = client.get_cookie("session").value
    form_page = client.get("/login")
    assert _session_cookies(form_page), "the form page stores its CSRF token in the session"
    # The favicon request left before the form page's answer, with the older cookie.
    stale = app.test_client()
    stale.set_cookie("session", before_form)
    for path in ("/favicon.ico", "/", "/no-such-page"):
        response = stale.get(path)
        assert _session_cookies(response) == [], path
        assert not any(h.startswith("remember_token=")
                       for h in response.headers.getlist("Set-Cookie")), path


def test_a_signed_in_session_moved_to_another_browser_is_dropped(
        app: Flask, coordinator_client: FlaskClient) -> None:
    assert coordinator_client.get("/api/auth/me").status_code == 200
    stolen = app.test_client()
    stolen.set_cookie("session", coordinator_client.get_cookie("session").value)
    answer = stolen.get("/api/auth/me", headers={"User-Agent": "Another browser/1.0"})
    assert answer.status_code == 401
