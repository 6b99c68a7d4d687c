"""Random JSON at the two public POST endpoints: never a 500, never a partial write."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import (
    applications_url,
    cheap_password_hashing,  # noqa: F401 - autouse
    hosts_url,
    row_counts,
)
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testing_support import application_payload, host_payload

TRICKY_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff x", "<script>alert(1)</script>", "<b>", "%",
    "2027-W37", "2027-W99", "751", "0751", "karen@aarhus.example", "x" * 5000, "NaN", "null",
    "\u202e", "🙂", "Ærø", "\n", "da", "municipality",
])
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), TRICKY_TEXT,
)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)


def _mutated(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The valid payload with some fields dropped, some replaced by junk, some junk added."""
    keys = sorted(valid)
    return st.tuples(
        st.sets(st.sampled_from(keys), max_size=3),
        st.dictionaries(st.sampled_from(keys), st.one_of(TRICKY_TEXT, JSON), max_size=3),
        st.dictionaries(st.text(max_size=8), JSON, max_size=2),
    ).map(lambda parts: {
        **{k: v for k, v in valid.items() if k not in parts[0]}, **parts[1], **parts[2]})


def _one_field_off(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The valid payload with one field's value replaced: it reaches the deepest checks."""
    return st.tuples(st.sampled_from(sorted(valid)), st.one_of(TRICKY_TEXT, JSON)).map(
        lambda pair: {**valid, pair[0]: pair[1]})


def _bodies(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    # Mostly near-valid payloads (they reach the schema rules, the services and the database),
    # some objects of junk, some JSON that is not an object at all.
    return st.one_of(_one_field_off(valid), _mutated(valid),
                     st.dictionaries(st.text(max_size=12), JSON, max_size=6), JSON)


def _check(app: Flask, client: FlaskClient, url: str, body: Any) -> None:
    before = row_counts(app)
    data = json.dumps(body)  # NaN and Infinity as Python writes them; surrogates escaped
    response = client.post(url, data=data, content_type="application/json")
    assert response.status_code in (201, 400, 409, 422), (response.status_code, data[:500])
    assert response.is_json and response.json
    if response.status_code >= 400:
        assert row_counts(app) == before, data[:500]
        assert response.json["code"] == response.status_code


FUZZ = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(body=_bodies(host_payload()))
def test_random_host_offers(app: Flask, client: FlaskClient, open_round: dict[str, Any],
                            body: Any) -> None:
    _check(app, client, hosts_url(open_round["id"]), body)


@FUZZ
@given(body=_bodies(application_payload([1, 2])))
def test_random_applications(app: Flask, client: FlaskClient, open_round: dict[str, Any],
                             host_in_round: dict[str, Any], body: Any) -> None:
    _check(app, client, applications_url(open_round["id"]), body)
