"""Every route × every role × own / someone else's object: who gets in, who gets 401/403/404.

The routes come from ``app.url_map``, so a route added later is tested without anyone
writing a test for it; a route this file cannot classify fails ``test_every_route_is_classified``
with a message saying where to classify it. The classification says who *should* get in; the
test then checks that the code agrees:

- public: no sign-in needed; nothing private of round A in any answer; a signed-in
  coordinator of another round gets what an anonymous caller gets;
- link(purpose): the signed token is the credential: a valid one opens, one made for another
  purpose or tampered with is 403, an expired one 410, and neither changes anything;
- coordinator: anonymous 401 (API) or the sign-in page (pages); the coordinator of round B
  asking for round A's objects gets 404 (as if it did not exist), and a list without object
  ids in its URL shows nothing of round A; round A's coordinator and the admin get in;
- admin: anonymous 401 / sign-in page, coordinators 403, the admin gets in;
- webhook: an unsigned request is refused (401/403) whoever sends it.
A refused request never changes a row.
"""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from route_table import (
    ABSENT_ARGUMENTS,
    KNOWN_GAPS,
    OBJECT_ARGUMENTS,
    RULES,
    SKIPPED_METHODS,
    Kind,
    classify,
    url_for_rule,
    url_values,
)
from security_world import RoundObjects, World, table_counts
from werkzeug.routing import Rule
from werkzeug.test import TestResponse


def test_every_route_is_classified() -> None:
    missing = [f"{rule.endpoint} ({rule.rule})" for rule in RULES if classify(rule) is None]
    assert not missing, (
        "routes without an access classification: " + ", ".join(missing) + ". Add each to "
        "BY_ENDPOINT (or its blueprint to BY_BLUEPRINT) in tests/security/route_table.py "
        "as public, link(purpose), coordinator, admin or webhook.")


def _call(client: FlaskClient, method: str, url: str) -> TestResponse:
    if url.startswith("/api/"):
        return client.open(url, method=method, json={} if method != "GET" else None)
    return client.open(url, method=method, data={} if method != "GET" else None)


def _is_sign_in_wall(response: TestResponse, url: str) -> bool:
    if url.startswith("/api/"):
        return response.status_code == 401
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def _leaks(response: TestResponse, objects: RoundObjects, with_name: bool) -> list[str]:
    body = response.get_data(as_text=True)
    markers = objects.markers + ((objects.round_name,) if with_name else ())
    return [marker for marker in markers if marker in body]


def _expired(app: Flask, purpose: str, token: str) -> str:
    """``token`` signed again, the same way, three years ago."""

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3 * 365 * 86400

    # Same key and salt as coordinator.services.links.
    key, salt = app.config["SECRET_KEY"], f"link:{purpose}"
    _valid, payload = URLSafeTimedSerializer(key, salt=salt).loads_unsafe(token)
    return URLSafeTimedSerializer(key, salt=salt, signer=LongAgo).dumps(payload)


def _tampered(token: str) -> str:
    # Change the signature's first character: its last one may only carry padding bits, and
    # a token differing there still verifies.
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.fixture(params=RULES, ids=lambda rule: f"{rule.endpoint}:{rule.rule}")
def rule(request: pytest.FixtureRequest) -> Rule:
    return request.param


def test_route_access(app: Flask, world: World, clients: dict[str, FlaskClient],
                      rule: Rule) -> None:
    kind = classify(rule)
    if kind is None:
        pytest.skip("unclassified; test_every_route_is_classified reports it")
    try:
        for method in sorted(rule.methods - SKIPPED_METHODS):
            CHECKS[kind.name](app, world, clients, rule, method, kind)
    except AssertionError:
        gap = KNOWN_GAPS.get(rule.endpoint.rpartition(".")[0]) or KNOWN_GAPS.get(rule.endpoint)
        if gap:
            pytest.xfail(gap)
        raise


def _refused_and_unchanged(app: Flask, client: FlaskClient, method: str, url: str,
                           allowed: set[int], who: str) -> TestResponse:
    before = table_counts(app)
    response = _call(client, method, url)
    assert response.status_code in allowed, (who, method, url, response.status_code)
    assert table_counts(app) == before, (who, method, url, "a refused request changed rows")
    return response


def _gets_in(client: FlaskClient, method: str, url: str, who: str,
             rule: Rule | None = None) -> TestResponse:
    response = _call(client, method, url)
    refusals = {401, 403, 404}
    if rule is not None and ABSENT_ARGUMENTS & set(rule.arguments):
        refusals.discard(404)
    assert response.status_code not in refusals, (who, method, url, response.status_code)
    assert response.status_code < 500, (who, method, url, response.status_code)
    return response


def _check_coordinator(app: Flask, world: World, clients: dict[str, FlaskClient], rule: Rule,
                       method: str, kind: Kind) -> None:
    own_url = url_for_rule(rule, url_values(rule, world.a, None))
    names_objects = any(name in OBJECT_ARGUMENTS for name in rule.arguments)
    before = table_counts(app)
    anonymous = _call(clients["anonymous"], method, own_url)
    assert _is_sign_in_wall(anonymous, own_url), (method, own_url, anonymous.status_code)
    assert table_counts(app) == before
    if names_objects:
        _refused_and_unchanged(app, clients["coord_b"], method, own_url, {404}, "coord_b")
        other_url = url_for_rule(rule, url_values(rule, world.b, None))
        _refused_and_unchanged(app, clients["coord_a"], method, other_url, {404}, "coord_a")
    else:
        seen_by_b = _gets_in(clients["coord_b"], method, own_url, "coord_b", rule)
        assert not _leaks(seen_by_b, world.a, with_name=True), (method, own_url)
    _gets_in(clients["coord_a"], method, own_url, "coord_a", rule)
    _gets_in(clients["admin"], method, own_url, "admin", rule)


def _check_admin(app: Flask, world: World, clients: dict[str, FlaskClient], rule: Rule,
                 method: str, kind: Kind) -> None:
    url = url_for_rule(rule, url_values(rule, world.a, None))
    before = table_counts(app)
    assert _is_sign_in_wall(_call(clients["anonymous"], method, url), url), (method, url)
    assert table_counts(app) == before
    for who in ("coord_a", "coord_b"):
        # 404 where the URL names a round the coordinator may not see (checked first).
        _refused_and_unchanged(app, clients[who], method, url, {403, 404}, who)
    _gets_in(clients["admin"], method, url, "admin")


def _check_public(app: Flask, world: World, clients: dict[str, FlaskClient], rule: Rule,
                  method: str, kind: Kind) -> None:
    url = url_for_rule(rule, url_values(rule, world.a, None))
    statuses = {}
    for who in ("anonymous", "coord_b", "coord_a", "admin"):
        response = _call(clients[who], method, url)
        assert response.status_code < 500, (who, method, url, response.status_code)
        assert not _leaks(response, world.a, with_name=False), (who, method, url)
        statuses[who] = response.status_code
    if method == "GET":
        assert statuses["coord_b"] == statuses["anonymous"], (url, statuses)


def _check_link(app: Flask, world: World, clients: dict[str, FlaskClient], rule: Rule,
                method: str, kind: Kind) -> None:
    assert kind.purpose is not None
    valid = world.a.tokens[kind.purpose]
    other_purpose = next(token for purpose, token in world.a.tokens.items()
                         if purpose != kind.purpose)
    bad_tokens = {"another purpose": (other_purpose, {403}),
                  "tampered": (_tampered(valid), {403}),
                  "expired": (_expired(app, kind.purpose, valid), {410})}
    for who in ("anonymous", "coord_b"):
        for label, (token, expected) in bad_tokens.items():
            url = url_for_rule(rule, url_values(rule, world.a, token))
            response = _refused_and_unchanged(app, clients[who], method, url, expected,
                                              f"{who} with a token of {label}")
            assert response.headers["Referrer-Policy"] == "no-referrer"
    response = _gets_in(clients["anonymous"], method, url_for_rule(rule, url_values(rule, world.a, valid)),
                        "anonymous with the valid token")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def _check_webhook(app: Flask, world: World, clients: dict[str, FlaskClient], rule: Rule,
                   method: str, kind: Kind) -> None:
    url = url_for_rule(rule, url_values(rule, world.a, None))
    for who in ("anonymous", "coord_a", "admin"):
        _refused_and_unchanged(app, clients[who], method, url, {401, 403}, who)


CHECKS = {"coordinator": _check_coordinator, "admin": _check_admin, "public": _check_public,
          "link": _check_link, "webhook": _check_webhook}
