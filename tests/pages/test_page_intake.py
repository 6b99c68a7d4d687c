"""The application and host offer forms: render, store, refuse, re-render with messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from page_helpers import application_form, host_form
from sqlalchemy import select

from coordinator import db
from coordinator.models import Application, Host

REQUIRED_APPLICATION = ("name", "email", "organisation", "org_level", "municipality_code",
                        "learning_goal", "manager_name", "manager_email")
REQUIRED_HOST = ("organisation", "org_level", "municipality_code", "innovation_title",
                 "innovation_description", "contact_name", "contact_email")


@pytest.mark.parametrize("path,da,en", [
    ("apply", "Ansøg om innovationspraktik", "Apply for an innovation internship"),
    ("host", "Tilbyd at modtage besøgende", "Offer to host visitors"),
])
def test_forms_render_in_danish_and_english(client: FlaskClient, open_round: dict[str, Any],
                                            path: str, da: str, en: str) -> None:
    url = f"/rounds/{open_round['id']}/{path}"
    danish = client.get(url)
    assert danish.status_code == 200
    text = danish.get_data(as_text=True)
    assert '<html lang="da">' in text and da in text
    assert 'name="csrf_token"' in text
    assert text.count('<option value="') >= 98  # the municipalities
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and en in english
    # The choice is remembered for the next page.
    assert '<html lang="en">' in client.get(url).get_data(as_text=True)


def test_application_form_lists_the_rounds_hosts(client: FlaskClient, open_round: dict[str, Any],
                                                 host_in_round: dict[str, Any]) -> None:
    text = client.get(f"/rounds/{open_round['id']}/apply").get_data(as_text=True)
    assert 'id="host_choice_5"' in text
    assert "Velfærdsteknologi i hjemmeplejen – Aarhus Kommune, Aarhus" in text
    assert 'value="2027-W38"' in text


def test_valid_application_is_stored_and_confirmed(app: Flask, client: FlaskClient,
                                                   open_round: dict[str, Any],
                                                   host_in_round: dict[str, Any]) -> None:
    url = f"/rounds/{open_round['id']}/apply"
    response = client.post(url, data=application_form([host_in_round["id"]], email="Mads@Odense.example"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}/submitted")
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert "mads@odense.example" in confirmation.get_data(as_text=True)
    with app.app_context():
        stored = db.session().scalars(select(Application)).one()
        assert stored.email == "mads@odense.example"
        assert stored.ranked_host_ids == [host_in_round["id"]]
        assert stored.topics == ["velfærdsteknologi", "ældre"]
        assert stored.weeks == ["2027-W37"] and stored.max_km == 200
        assert stored.team_mate_email is None and stored.open_to_any is False


def test_valid_host_offer_is_stored_and_confirmed(app: Flask, client: FlaskClient,
                                                  open_round: dict[str, Any]) -> None:
    url = f"/rounds/{open_round['id']}/host"
    client.get(f"{url}?lang=en")  # as a browser does: the form first, in English
    response = client.post(url, data=host_form(contact_phone="+45 12 34 56 78"))
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Host offer received" in confirmation and "karen@aarhus.example" in confirmation
    with app.app_context():
        host = db.session().scalars(select(Host)).one()
        assert (host.capacity, host.min_visitors, host.visit_days) == (2, 1, 3)
        assert host.contact_phone == "+45 12 34 56 78"
        assert host.weeks == ["2027-W37", "2027-W38"]


def test_confirmation_without_a_submission_leads_to_the_form(client: FlaskClient,
                                                             open_round: dict[str, Any]) -> None:
    response = client.get(f"/rounds/{open_round['id']}/apply/submitted")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rounds/{open_round['id']}/apply")


@pytest.mark.parametrize("path,required", [("apply", REQUIRED_APPLICATION),
                                           ("host", REQUIRED_HOST)])
def test_empty_post_shows_a_message_per_required_field(
        client: FlaskClient, open_round: dict[str, Any],
        table_counts: Callable[[], dict[str, int]], path: str, required: tuple[str, ...]) -> None:
    before = table_counts()
    response = client.post(f"/rounds/{open_round['id']}/{path}?lang=en", data={})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    for name in required:
        assert f'id="{name}-error"' in text, name
        assert f'aria-describedby="{name}-error"' in text or f'{name}-hint {name}-error' in text
    assert text.count("This field is required.") >= len(required) - 1  # municipality: "Choose"
    assert "Choose a municipality." in text
    if path == "apply":
        assert 'id="host_choices-error"' in text  # the schema-level check ran too
    assert table_counts() == before


def test_messages_are_danish_by_default(client: FlaskClient, open_round: dict[str, Any]) -> None:
    text = client.post(f"/rounds/{open_round['id']}/apply",
                       data={"email": "not-an-email"}).get_data(as_text=True)
    assert "Der er et problem" in text
    assert "Feltet skal udfyldes." in text
    assert "Skriv en gyldig e-mailadresse" in text
    assert "Missing data" not in text


def test_invalid_values_are_kept_and_explained(client: FlaskClient, open_round: dict[str, Any],
                                               host_in_round: dict[str, Any],
                                               table_counts: Callable[[], dict[str, int]]) -> None:
    before = table_counts()
    form = application_form([host_in_round["id"]], max_km="far", manager_email="mads@odense.example",
                            host_choice_3="999999")
    text = client.post(f"/rounds/{open_round['id']}/apply?lang=en", data=form).get_data(as_text=True)
    assert "Enter a whole number." in text and 'value="far"' in text
    assert 'value="Mads Nielsen"' in text
    assert table_counts() == before
    # The unknown host is refused by the service; the message lands on the host-choice block.
    form = application_form([host_in_round["id"]], host_choice_3="999999")
    response = client.post(f"/rounds/{open_round['id']}/apply?lang=en", data=form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="host_choices-error"' in text and "no longer offered" in text
    assert table_counts() == before


def test_applying_twice_points_to_the_edit_link(client: FlaskClient, open_round: dict[str, Any],
                                                host_in_round: dict[str, Any],
                                                table_counts: Callable[[], dict[str, int]]) -> None:
    url = f"/rounds/{open_round['id']}/apply?lang=en"
    assert client.post(url, data=application_form([host_in_round["id"]])).status_code == 303
    before = table_counts()
    again = client.post(url, data=application_form([], open_to_any="yes",
                                                   email="MADS@odense.example "))
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert 'id="email-error"' in text and "edit" in text and "already applied" in text
    assert table_counts() == before


def test_round_not_open(client: FlaskClient, coordinator_client: FlaskClient,
                        open_round: dict[str, Any],
                        table_counts: Callable[[], dict[str, int]]) -> None:
    assert coordinator_client.post(f"/api/rounds/{open_round['id']}/close").status_code == 200
    before = table_counts()
    for path in ("apply", "host"):
        url = f"/rounds/{open_round['id']}/{path}?lang=en"
        page = client.get(url)
        assert page.status_code == 409 and "not open" in page.get_data(as_text=True)
        posted = client.post(url, data=host_form() if path == "host" else application_form([]))
        assert posted.status_code == 409
        assert "was not stored" in posted.get_data(as_text=True)
    assert table_counts() == before
    assert client.get("/rounds/999999/apply").status_code == 404


def test_user_text_is_escaped(client: FlaskClient, open_round: dict[str, Any]) -> None:
    url = f"/rounds/{open_round['id']}/host?lang=en"
    # Markup is refused by the schema and shown back escaped, never run.
    form = host_form(innovation_title='<script>alert("x")</script>')
    text = client.post(url, data=form).get_data(as_text=True)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "Write plain text without HTML tags." in text
    # Text with < and & that is no markup is stored and escaped on the way out.
    form = host_form(innovation_title='Mindre <5 dage & "mere" tid', contact_name="Kim & Co")
    response = client.post(url, data=form)
    assert response.status_code == 303
    application_page = client.get(f"/rounds/{open_round['id']}/apply").get_data(as_text=True)
    assert "Mindre &lt;5 dage &amp; &#34;mere&#34; tid" in application_page
