"""CSRF: with protection on (as in production), a form post without the token stores nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from page_helpers import application_form, host_form

from coordinator.services.links import make_token


@pytest.fixture
def csrf_app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without csrf_token"
    return match.group(1)


@pytest.mark.parametrize("path", ["apply", "host"])
def test_post_without_token_is_refused(csrf_app: Flask, client: FlaskClient,
                                       open_round: dict[str, Any], host_in_round: dict[str, Any],
                                       table_counts: Callable[[], dict[str, int]],
                                       path: str) -> None:
    before = table_counts()
    form = host_form() if path == "host" else application_form([host_in_round["id"]])
    url = f"/rounds/{open_round['id']}/{path}"
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert table_counts() == before
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 400
    assert table_counts() == before
    # With the token from the form the same post goes through.
    token = _csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(url, data={**form, "csrf_token": token}).status_code == 303


def test_signed_link_forms_need_the_token(csrf_app: Flask, client: FlaskClient,
                                          host_in_round: dict[str, Any],
                                          table_counts: Callable[[], dict[str, int]]) -> None:
    with csrf_app.test_request_context():
        link = f"/host/{make_token('host-edit', host_in_round['id'])}"
    before = table_counts()
    assert client.post(f"{link}/withdraw", data={"confirm": "yes"}).status_code == 400
    assert client.post(link, data=host_form(capacity="3")).status_code == 400
    assert table_counts() == before
    page = client.get(link).get_data(as_text=True)
    assert page.count('name="csrf_token"') == 2  # the edit form and the withdraw form
    token = _csrf_token(page)
    assert client.post(f"{link}/withdraw", data={"confirm": "yes",
                                                 "csrf_token": token}).status_code == 303
