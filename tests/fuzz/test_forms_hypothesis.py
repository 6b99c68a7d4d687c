"""hypothesis on every HTML form: junk in, never a 500 and nothing half-written.

Each form is posted as a browser would (one key per input, repeated keys for lists) with
fields dropped, replaced by arbitrary unicode, huge values or lists, and unknown fields
added. The answer is the form again with its messages (400/409/422), a redirect after a
stored change (303), or a link problem page (403/404/410); an error stores nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from fuzz_helpers import cheap_password_hashing, row_counts  # noqa: F401 - autouse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from page_helpers import application_form, host_form
from sqlalchemy import select

from coordinator import db
from coordinator.models import Application, Consent, Placement, SolverRun
from coordinator.services.links import make_token

pytestmark = pytest.mark.slow

TRICKY_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "<script>alert(1)</script>", "%", "%00", "{{ 7*7 }}",
    "2027-W37", "2027-W99", "2027-W00", "751", "0751", "-1", "0", "2147483648", "1e309",
    "NaN", "null", "karen@aarhus.example", "a@b", "\u202e", "🙂", "Ærø", "\r\n", "da", "xx",
    "municipality", "yes", "accept", "decline",
])
HUGE_TEXT = st.sampled_from(["x" * 70_000, "Æ" * 20_000, "9" * 5_000, "a@" * 3_000])
FIELD_VALUE = st.one_of(st.text(max_size=40), TRICKY_TEXT, HUGE_TEXT)
FIELD = st.one_of(FIELD_VALUE, st.lists(FIELD_VALUE, min_size=0, max_size=4))

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


def form_variants(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The valid form with fields dropped, fields replaced by junk, unknown fields added."""
    keys = sorted(valid)
    mutated = st.tuples(
        st.sets(st.sampled_from(keys), max_size=4),
        st.dictionaries(st.sampled_from(keys), FIELD, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=10), FIELD, max_size=2),
    ).map(lambda parts: {
        **{k: v for k, v in valid.items() if k not in parts[0]}, **parts[1], **parts[2]})
    one_off = st.tuples(st.sampled_from(keys), FIELD).map(lambda pair: {**valid, pair[0]: pair[1]})
    junk = st.dictionaries(st.text(min_size=1, max_size=12), FIELD, max_size=6)
    return st.one_of(one_off, mutated, junk)


def post_form(app: Flask, client: FlaskClient, url: str, form: dict[str, Any],
              allowed: tuple[int, ...]) -> Any:
    """Post ``form``; assert an allowed answer, and no rows changed unless it succeeded."""
    before = row_counts(app)
    response = client.post(url, data=form)
    assert response.status_code in allowed, (response.status_code, url, _short(form))
    if response.status_code >= 400:
        assert row_counts(app) == before, (response.status_code, _short(form))
    if response.status_code == 422:
        # The form again, each problem named next to its field.
        assert '-error"' in response.get_data(as_text=True), _short(form)
    return response


def _short(form: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[:80] + "...") if isinstance(v, str) and len(v) > 80 else v
            for k, v in form.items()}


@pytest.fixture
def round_id(open_round: dict[str, Any]) -> int:
    return int(open_round["id"])


@FUZZ
@given(form=form_variants(application_form([1])))
def test_application_form(app: Flask, client: FlaskClient, round_id: int,
                          host_in_round: dict[str, Any], form: dict[str, Any]) -> None:
    form = {**form, "host_choice_1": form.get("host_choice_1", str(host_in_round["id"]))}
    post_form(app, client, f"/rounds/{round_id}/apply", form, (303, 409, 422))


@FUZZ
@given(form=form_variants(host_form()))
def test_host_form(app: Flask, client: FlaskClient, round_id: int,
                   form: dict[str, Any]) -> None:
    post_form(app, client, f"/rounds/{round_id}/host", form, (303, 409, 422))


@FUZZ
@given(form=form_variants({"email": "coord@example.org", "password": "x" * 12}),
       next_url=st.one_of(st.none(), TRICKY_TEXT, st.text(max_size=30),
                          st.sampled_from(["//evil.example", "https://evil.example/",
                                           "/\\evil.example", "/ok", "javascript:alert(1)"])))
def test_login_form(app: Flask, client: FlaskClient, coordinator_user: dict[str, Any],
                    form: dict[str, Any], next_url: str | None) -> None:
    if form.get("password") == "x" * 12:
        form["password"] = coordinator_user["password"]  # some examples sign in for real
    url = "/login" if next_url is None else f"/login?{_query('next', next_url)}"
    response = post_form(app, client, url, form, (302, 401))
    if response.status_code == 302:
        # Only ever to a path of this site: no open redirect, whatever `next` says.
        location = urlsplit(response.headers["Location"])
        assert location.netloc in ("", "localhost") and location.scheme in ("", "http")
        client.post("/logout")


def _query(name: str, value: str) -> str:
    from urllib.parse import urlencode

    return urlencode({name: value})


@pytest.fixture
def application_link(app: Flask, client: FlaskClient, round_id: int,
                     host_in_round: dict[str, Any]) -> str:
    before = row_counts(app)["applications"]
    response = client.post(f"/rounds/{round_id}/apply",
                           data=application_form([host_in_round["id"]]))
    assert response.status_code == 303
    assert row_counts(app)["applications"] == before + 1
    with app.app_context():
        application_id = db.session().scalar(select(Application.id))
        return f"/application/{make_token('application-edit', application_id)}"


@FUZZ
@given(form=form_variants(application_form([1])))
def test_application_edit_form(app: Flask, client: FlaskClient, application_link: str,
                               host_in_round: dict[str, Any], form: dict[str, Any]) -> None:
    form = {**form, "host_choice_1": form.get("host_choice_1", str(host_in_round["id"]))}
    post_form(app, client, application_link, form, (303, 409, 422))


@FUZZ
@given(form=form_variants(host_form()))
def test_host_edit_form(app: Flask, client: FlaskClient, host_in_round: dict[str, Any],
                        form: dict[str, Any]) -> None:
    with app.app_context():
        url = f"/host/{make_token('host-edit', host_in_round['id'])}"
    post_form(app, client, url, form, (303, 409, 422))


@FUZZ
@given(form=form_variants({"confirm": "no"}))
def test_withdraw_forms(app: Flask, client: FlaskClient, application_link: str,
                        host_in_round: dict[str, Any], form: dict[str, Any]) -> None:
    with app.app_context():
        host_link = f"/host/{make_token('host-edit', host_in_round['id'])}"
    for url in (f"{application_link}/withdraw", f"{host_link}/withdraw"):
        # 200: the page that asks to confirm; 303: withdrawn; 409: already withdrawn.
        post_form(app, client, url, form, (200, 303, 409))


@pytest.fixture
def offer_links(app: Flask, application_link: str, round_id: int,
                host_in_round: dict[str, Any]) -> list[str]:
    """An offered placement (as a published run leaves it) and its three consent links."""
    with app.app_context():
        session = db.session()
        application_id = session.scalar(select(Application.id))
        run = SolverRun(round_id=round_id, status="finished")
        session.add(run)
        session.flush()
        placement = Placement(
            round_id=round_id, run_id=run.id, application_id=application_id,
            host_id=host_in_round["id"], week="2027-W37", rank=1, km=100,
            deadline_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7),
            consents=[Consent(party=party, email=f"{party}@example.org")
                      for party in ("host", "visitor", "manager")])
        session.add(placement)
        session.commit()
        return [f"/offers/{make_token('offer-response', c.id)}" for c in placement.consents]


@FUZZ
@given(form=form_variants({"answer": "accept"}), which=st.integers(0, 2))
def test_offer_answer_forms(app: Flask, client: FlaskClient, offer_links: list[str],
                            form: dict[str, Any], which: int) -> None:
    # 200: recorded; 400: no valid answer (the page again); 409: answered before or closed.
    post_form(app, client, offer_links[which], form, (200, 400, 409))


TOKEN_ROUTES = ("/application/{}", "/application/{}/withdraw", "/host/{}", "/host/{}/withdraw",
                "/offers/{}", "/rsvp/{}")


@FUZZ
@given(route=st.sampled_from(TOKEN_ROUTES),
       token=st.one_of(st.text(min_size=1, max_size=60).filter(lambda t: "/" not in t),
                       st.sampled_from(["garbage", "a.b.c", "eyJpZCI6MX0.x.y", "%2e%2e", "x" * 5000])),
       form=form_variants({"answer": "yes", "confirm": "yes"}))
def test_link_forms_with_bad_tokens(app: Flask, client: FlaskClient, offer_links: list[str],
                                    route: str, token: str, form: dict[str, Any]) -> None:
    # A token that is not ours opens nothing: 403 (or 404 when the path itself is odd).
    post_form(app, client, route.format(token), form, (403, 404, 405))
