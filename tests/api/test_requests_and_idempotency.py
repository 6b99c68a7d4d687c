"""Bodies that are not what the API takes, and Idempotency-Key on every POST."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import (
    applications_url,
    cheap_password_hashing,  # noqa: F401 - autouse
    hosts_url,
    json_errors,
    nothing_stored,
    post_application,
    post_host,
    row_counts,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import application_payload, host_payload

BROKEN_BODIES: list[tuple[str, bytes]] = [
    ("truncated", b'{"organisation": "Aarhus'),
    ("trailing comma", b'{"capacity": 2,}'),
    ("single quotes", b"{'capacity': 2}"),
    ("not UTF-8", b'{"organisation": "\xff\xfe"}'),
    ("two documents", b"{} {}"),
    ("nested 100 000 deep", b"[" * 100_000),
    ("an integer of 5000 digits", b'{"capacity": ' + b"9" * 5000 + b"}"),
]


def test_malformed_json_is_400(app: Flask, client: FlaskClient,
                               open_round: dict[str, Any]) -> None:
    for url in (hosts_url(open_round["id"]), applications_url(open_round["id"]), "/api/rounds"):
        for what, body in BROKEN_BODIES:
            with nothing_stored(app, what):
                response = client.post(url, data=body, content_type="application/json")
            assert response.status_code == 400, (url, what, response.get_data(True)[:200])
            assert response.json["code"] == 400
            assert response.json["errors"] == {"json": ["Invalid JSON body."]}


def test_json_that_is_not_an_object_is_422(app: Flask, client: FlaskClient,
                                           open_round: dict[str, Any]) -> None:
    for body in ([host_payload()], "a string", 42, None, True, [[]]):
        with nothing_stored(app, repr(body)[:40]):
            response = client.post(hosts_url(open_round["id"]), data=json.dumps(body),
                                   content_type="application/json")
        assert response.status_code == 422, (body, response.json)
        assert json_errors(response) == {"_schema": ["Invalid input type."]}


def test_a_body_that_is_not_json_is_422_for_missing_fields(
        app: Flask, client: FlaskClient, open_round: dict[str, Any]) -> None:
    url = hosts_url(open_round["id"])
    with nothing_stored(app):
        empty = client.post(url, data=b"", content_type="application/json")
        form = client.post(url, data=host_payload(capacity="2", topics="x", weeks="2027-W37"))
        text = client.post(url, data=json.dumps(host_payload()), content_type="text/plain")
    for response in (empty, form, text):
        assert response.status_code == 422
        assert json_errors(response)["organisation"] == ["Missing data for required field."]


def test_a_body_over_one_megabyte_is_413(app: Flask, client: FlaskClient,
                                         open_round: dict[str, Any]) -> None:
    payload = host_payload(innovation_description="x" * (1024 * 1024 + 1))
    with nothing_stored(app):
        response = post_host(client, open_round["id"], payload)
    assert response.status_code == 413
    assert response.json["code"] == 413


def test_same_key_same_body_answers_again_without_a_new_row(
        app: Flask, client: FlaskClient, open_round: dict[str, Any]) -> None:
    headers = {"Idempotency-Key": "offer-1"}
    first = post_host(client, open_round["id"], host_payload(), headers=headers)
    assert first.status_code == 201
    with nothing_stored(app):
        again = post_host(client, open_round["id"], host_payload(), headers=headers)
        # The same JSON with its keys in another order and other whitespace is the same body.
        reordered = json.dumps(dict(reversed(list(host_payload().items()))), indent=2)
        third = client.post(hosts_url(open_round["id"]), data=reordered,
                            content_type="application/json", headers=headers)
    for response in (again, third):
        assert response.status_code == 201
        assert response.json == first.json
        assert response.headers["Idempotent-Replayed"] == "true"


def test_same_key_other_body_is_422(app: Flask, client: FlaskClient,
                                    open_round: dict[str, Any],
                                    host_in_round: dict[str, Any]) -> None:
    headers = {"Idempotency-Key": "application-1"}
    payload = application_payload([host_in_round["id"]])
    assert post_application(client, open_round["id"], payload,
                            headers=headers).status_code == 201
    with nothing_stored(app):
        response = post_application(client, open_round["id"], {**payload, "max_km": 300},
                                    headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["message"]


def test_keys_are_separate_per_endpoint_and_failures_are_not_remembered(
        app: Flask, client: FlaskClient, coordinator_client: FlaskClient,
        open_round: dict[str, Any], host_in_round: dict[str, Any]) -> None:
    headers = {"Idempotency-Key": "k"}
    # A failed request with a key is not remembered: fixing the body and retrying works.
    bad = post_application(client, open_round["id"], application_payload([], email="x"),
                           headers=headers)
    assert bad.status_code == 422
    good = post_application(client, open_round["id"],
                            application_payload([host_in_round["id"]]), headers=headers)
    assert good.status_code == 201
    # The same key on another endpoint is another request.
    offer = post_host(client, open_round["id"], host_payload(), headers=headers)
    assert offer.status_code == 201
    assert "Idempotent-Replayed" not in offer.headers
    created = coordinator_client.post("/api/rounds", json={"name": "R", "weeks": ["2027-W37"]},
                                      headers=headers)
    assert created.status_code == 201
    with nothing_stored(app):
        replay = coordinator_client.post("/api/rounds",
                                         json={"name": "R", "weeks": ["2027-W37"]},
                                         headers=headers)
    assert replay.json == created.json


def test_a_bad_key_is_400(app: Flask, client: FlaskClient, open_round: dict[str, Any]) -> None:
    for key in ("", "k" * 201, "key\x7f", "key\x01"):
        with nothing_stored(app, repr(key)[:10]):
            response = post_host(client, open_round["id"], host_payload(),
                                 headers={"Idempotency-Key": key})
        assert response.status_code == 400
        assert "Idempotency-Key" in response.json["message"]


def test_transitions_take_a_key_too(app: Flask, coordinator_client: FlaskClient) -> None:
    created = coordinator_client.post("/api/rounds", json={"name": "R", "weeks": ["2027-W37"]})
    url = f"/api/rounds/{created.json['id']}/open"
    first = coordinator_client.post(url, headers={"Idempotency-Key": "open-1"})
    before = row_counts(app)
    again = coordinator_client.post(url, headers={"Idempotency-Key": "open-1"})
    assert first.status_code == again.status_code == 200
    assert row_counts(app) == before
    # Without the key the second open is an illegal move.
    assert coordinator_client.post(url).status_code == 409


def test_a_key_that_raced_answers_as_the_winner(app: Flask, client: FlaskClient,
                                                open_round: dict[str, Any],
                                                monkeypatch: Any) -> None:
    from coordinator.api import writes

    headers = {"Idempotency-Key": "race"}
    first = post_host(client, open_round["id"], host_payload(), headers=headers)
    assert first.status_code == 201
    real = writes._remembered
    calls: list[str] = []

    def lookup(scope: str, key: str) -> Any:
        # The first look-up misses, as if the winner had not committed yet; the unique
        # (scope, key) then refuses our record at commit.
        calls.append(key)
        return None if len(calls) == 1 else real(scope, key)

    monkeypatch.setattr(writes, "_remembered", lookup)
    with nothing_stored(app):
        again = post_host(client, open_round["id"], host_payload(), headers=headers)
    assert len(calls) == 2
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
