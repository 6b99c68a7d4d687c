"""The signed links: see, edit and withdraw; bad tokens change nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from page_helpers import application_form, host_form
from sqlalchemy import select

from coordinator import db
from coordinator.models import Application, Host
from coordinator.services.links import make_token


@pytest.fixture
def application_id(client: FlaskClient, open_round: dict[str, Any],
                   host_in_round: dict[str, Any]) -> int:
    response = client.post(f"/rounds/{open_round['id']}/apply",
                           data=application_form([host_in_round["id"]]))
    assert response.status_code == 303
    return _only(client.application, Application).id


def _only(app: Flask, model: type[Any]) -> Any:
    with app.app_context():
        return db.session().scalars(select(model).order_by(model.id.desc())).first()


def _token(app: Flask, purpose: str, object_id: int) -> str:
    with app.test_request_context():
        return make_token(purpose, object_id)


def test_link_shows_the_application_with_an_edit_form(app: Flask, client: FlaskClient,
                                                      application_id: int) -> None:
    response = client.get(f"/application/{_token(app, 'application-edit', application_id)}?lang=en")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert "Your application" in text and 'value="Mads Nielsen"' in text
    assert 'value="velfærdsteknologi, ældre"' in text
    assert "Withdraw application" in text and 'name="csrf_token"' in text


def test_edit_saves_and_redirects(app: Flask, client: FlaskClient, application_id: int,
                                  host_in_round: dict[str, Any]) -> None:
    url = f"/application/{_token(app, 'application-edit', application_id)}"
    form = application_form([], open_to_any="yes", name="Mads K. Nielsen",
                            team_mate_email="", weeks=["2027-W37", "2027-W38"])
    response = client.post(url, data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    page = client.get(url)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Dine ændringer er gemt." in page.get_data(as_text=True)
    stored = _only(app, Application)
    assert stored.name == "Mads K. Nielsen" and stored.open_to_any
    assert stored.ranked_host_ids == [] and stored.weeks == ["2027-W37", "2027-W38"]


def test_invalid_edit_shows_messages_and_changes_nothing(app: Flask, client: FlaskClient,
                                                         application_id: int) -> None:
    url = f"/application/{_token(app, 'application-edit', application_id)}?lang=en"
    response = client.post(url, data=application_form([], name="", weeks=["2027-W40"]))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="name-error"' in text and 'id="host_choices-error"' in text
    assert _only(app, Application).name == "Mads Nielsen"
    # A week outside the round passes the schema and is refused by the service.
    response = client.post(url, data=application_form([], open_to_any="yes", weeks=["2027-W40"]))
    assert response.status_code == 422
    assert 'id="weeks-error"' in response.get_data(as_text=True)
    assert _only(app, Application).weeks == ["2027-W37"]


def test_withdraw_asks_first_then_withdraws(app: Flask, client: FlaskClient,
                                            application_id: int) -> None:
    url = f"/application/{_token(app, 'application-edit', application_id)}"
    ask = client.post(f"{url}/withdraw?lang=en", data={})
    assert ask.status_code == 200 and ask.headers["Referrer-Policy"] == "no-referrer"
    assert "Withdraw your application?" in ask.get_data(as_text=True)
    assert _only(app, Application).status == "submitted"
    done = client.post(f"{url}/withdraw", data={"confirm": "yes"})
    assert done.status_code == 303
    assert _only(app, Application).status == "withdrawn"
    page = client.get(url).get_data(as_text=True)
    assert "This application has been withdrawn." in page
    assert 'name="name"' not in page  # read-only now
    edit = client.post(url, data=application_form([], open_to_any="yes", name="Changed"))
    assert edit.status_code == 409
    assert _only(app, Application).name == "Mads Nielsen"


def test_closed_round_is_read_only(app: Flask, client: FlaskClient,
                                   coordinator_client: FlaskClient, open_round: dict[str, Any],
                                   application_id: int) -> None:
    assert coordinator_client.post(f"/api/rounds/{open_round['id']}/close").status_code == 200
    url = f"/application/{_token(app, 'application-edit', application_id)}"
    page = client.get(f"{url}?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "no longer open" in text
    assert "Mads Nielsen" in text and 'name="name"' not in text
    assert client.post(url, data=application_form([], open_to_any="yes",
                                                  name="X")).status_code == 409
    assert client.post(f"{url}/withdraw", data={"confirm": "yes"}).status_code == 409
    stored = _only(app, Application)
    assert (stored.name, stored.status) == ("Mads Nielsen", "submitted")


def test_host_link_edit_and_withdraw(app: Flask, client: FlaskClient,
                                     host_in_round: dict[str, Any]) -> None:
    url = f"/host/{_token(app, 'host-edit', host_in_round['id'])}"
    page = client.get(f"{url}?lang=en")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert "Your host offer" in page.get_data(as_text=True)
    saved = client.post(url, data=host_form(capacity="3", min_visitors="2", contact_phone="12345678"))
    assert saved.status_code == 303
    host = _only(app, Host)
    assert (host.capacity, host.min_visitors, host.contact_phone) == (3, 2, "12345678")
    wrong = client.post(url, data=host_form(capacity="1", min_visitors="3"))
    assert wrong.status_code == 422
    assert 'id="min_visitors-error"' in wrong.get_data(as_text=True)
    assert client.post(f"{url}/withdraw", data={"confirm": "yes"}).status_code == 303
    assert _only(app, Host).status == "withdrawn"


def test_bad_tokens_change_nothing(app: Flask, client: FlaskClient, application_id: int,
                                   host_in_round: dict[str, Any],
                                   table_counts: Callable[[], dict[str, int]]) -> None:
    before = table_counts()
    good = _token(app, "application-edit", application_id)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    wrong_purpose = _token(app, "host-edit", application_id)
    app.config["EDIT_LINK_MAX_AGE_DAYS"] = 1
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="link:application-edit")
    real_time = time.time
    # itsdangerous stamps tokens with time.time(); one stamped 2 days ago has expired.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() - 2 * 86400)
        expired = serializer.dumps({"id": application_id})
    for token, code in ((tampered, 403), (wrong_purpose, 403), ("garbage", 403), (expired, 410)):
        url = f"/application/{token}"
        for response in (client.get(f"{url}?lang=en"),
                         client.post(url, data=application_form([], open_to_any="yes", name="X")),
                         client.post(f"{url}/withdraw", data={"confirm": "yes"})):
            assert response.status_code == code, (token, response.status_code)
            assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "The link has expired" in client.get(f"/application/{expired}?lang=en").get_data(as_text=True)
    assert client.get(f"/host/{good}").status_code == 403  # an application token opens no host
    wrong_method = client.get(f"/application/{good}/withdraw")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Referrer-Policy"] == "no-referrer"
    assert table_counts() == before
    stored = _only(app, Application)
    assert (stored.name, stored.status) == ("Mads Nielsen", "submitted")
