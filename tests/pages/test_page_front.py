"""The front page, sign-in and error pages: translated, with <html lang>."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def test_front_page_links_to_the_open_rounds_forms(client: FlaskClient,
                                                   open_round: dict[str, Any]) -> None:
    text = client.get("/").get_data(as_text=True)
    assert '<html lang="da">' in text and "Åbne runder" in text
    assert f'href="/rounds/{open_round["id"]}/apply"' in text
    assert f'href="/rounds/{open_round["id"]}/host"' in text
    assert "Open rounds" in client.get("/?lang=en").get_data(as_text=True)


def test_sign_in_page(client: FlaskClient, coordinator_user: dict[str, Any]) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and 'for="email"' in page.get_data(as_text=True)
    wrong = client.post("/login", data={"email": coordinator_user["email"], "password": "no"})
    assert wrong.status_code == 401
    assert "Forkert e-mail eller adgangskode." in wrong.get_data(as_text=True)
    right = client.post("/login", data={"email": coordinator_user["email"],
                                        "password": coordinator_user["password"]})
    assert right.status_code == 302


def test_error_pages_are_translated(client: FlaskClient) -> None:
    text = client.get("/no/such/page").get_data(as_text=True)
    assert '<html lang="da">' in text and "Siden blev ikke fundet" in text
    english = client.get("/no/such/page?lang=en")
    assert english.status_code == 404 and "Page not found" in english.get_data(as_text=True)
