"""Abuse limits against the real Redis: sign-in throttling, submissions, signed-link POSTs,
the client address behind trusted proxies, and Redis being down (never a 500)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from security_world import PASSWORD, World, build_world, table_counts

from coordinator import create_app
from coordinator.config import ConfigError, config_from_env
from coordinator.limits import limiter_of

WRONG = {"password": "not the password at all"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def limited_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The test app's config with the limits on, small, and a key prefix of its own."""
    return {**app_config, "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "RATELIMIT_GENERAL": "1000 per minute",
            "RATELIMIT_LOGIN_ADDRESS": "6 per minute", "RATELIMIT_LOGIN_ACCOUNT": "3 per minute",
            "RATELIMIT_SUBMIT": "2 per minute", "RATELIMIT_LINK_POST": "2 per minute"}


def _limited_app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    limiter = limiter_of(app)
    if limiter is not None and hasattr(limiter.storage, "storage"):
        limiter.storage.storage.close()  # the Redis client's sockets
    app.extensions["db_engine"].dispose()


@pytest.fixture
def limited(app: Flask, limited_config: dict[str, Any]) -> Iterator[Flask]:
    # ``app`` first: it migrates and empties the database this app shares.
    yield from _limited_app(limited_config)


@pytest.fixture
def limited_world(limited: Flask, root_conftest: Any) -> World:
    return build_world(limited, root_conftest)


def _login(client: FlaskClient, email: str, password: str, **environ: Any) -> Any:
    return client.post("/api/auth/login", json={"email": email, "password": password},
                       environ_base=environ)


def test_failed_sign_ins_are_throttled_per_account(limited: Flask,
                                                   limited_world: World) -> None:
    client = limited.test_client()
    user = limited_world.users["coord_a"]
    statuses = [_login(client, user["email"], WRONG["password"]).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = _login(client, user["email"], PASSWORD)
    assert blocked.status_code == 429  # even the right password waits
    assert blocked.json["code"] == 429 and "sign-in" in blocked.json["message"]
    assert int(blocked.headers["Retry-After"]) > 0
    # Another account from the same address is not locked out by it.
    other = limited_world.users["coord_b"]
    assert _login(client, other["email"], PASSWORD).status_code == 200


def test_successful_sign_ins_do_not_count(limited: Flask, limited_world: World) -> None:
    user = limited_world.users["coord_a"]
    for _ in range(5):
        assert _login(limited.test_client(), user["email"], PASSWORD).status_code == 200


def test_failed_sign_ins_are_throttled_per_address_on_page_and_api(limited: Flask) -> None:
    client = limited.test_client()
    statuses = []
    for number in range(4):  # different accounts each time: only the address adds up
        statuses.append(_login(client, f"nobody{number}@example.org", "x").status_code)
        page = client.post("/login", data={"email": f"page{number}@example.org",
                                           "password": "x"})
        statuses.append(page.status_code)
    assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]
    assert "text/html" in page.content_type
    assert "<h1>For mange forespørgsler</h1>" in page.get_data(as_text=True)  # Danish by default
    # A different address (one trusted proxy would be needed to claim it) is not affected...
    fresh = _login(limited.test_client(), "nobody9@example.org", "x",
                   REMOTE_ADDR="192.0.2.10")
    assert fresh.status_code == 401


def test_public_submissions_are_limited_per_address_and_store_nothing(
        limited: Flask, limited_world: World, root_conftest: Any) -> None:
    client = limited.test_client()
    url = f"/api/public/rounds/{limited_world.a.round_id}/hosts/offers"
    assert [client.post(url, json=root_conftest.host_payload()).status_code
            for _ in range(2)] == [201, 201]
    before = table_counts(limited)
    refused = client.post(url, json=root_conftest.host_payload())
    assert refused.status_code == 429 and refused.json["code"] == 429
    assert table_counts(limited) == before
    form = client.post(f"/rounds/{limited_world.a.round_id}/host", data={})
    assert form.status_code == 429  # the form shares the budget with the API


def test_signed_link_posts_are_limited_per_token(limited: Flask, limited_world: World) -> None:
    client = limited.test_client()
    answer = f"/offers/{limited_world.a.tokens['offer-response']}"
    assert [client.post(answer, data={"answer": "maybe"}).status_code
            for _ in range(3)] == [400, 400, 429]
    # Reading is not a change; and another token has a budget of its own.
    assert client.get(answer).status_code == 200
    other = f"/offers/{limited_world.b.tokens['offer-response']}"
    assert client.post(other, data={"answer": "maybe"}).status_code == 400


def test_keys_in_redis_carry_no_email_or_token(limited: Flask, limited_world: World,
                                              redis_url: str) -> None:
    client = limited.test_client()
    user = limited_world.users["coord_a"]
    _login(client, user["email"], "wrong")
    token = limited_world.a.tokens["offer-response"]
    client.post(f"/offers/{token}", data={"answer": "maybe"})
    prefix = limited.config["RATELIMIT_KEY_PREFIX"]
    connection = redis.Redis.from_url(redis_url)
    try:
        keys = [key.decode() for key in connection.scan_iter(f"*{prefix}*")]
    finally:
        connection.close()
    assert any("login-account" in key for key in keys), keys
    assert any("link-post" in key for key in keys), keys
    assert not [key for key in keys if "@" in key or token[:20] in key], keys


@pytest.mark.parametrize("proxies, spoofed_addresses_count", [(0, 1), (1, 3)])
def test_forwarded_addresses_count_only_behind_trusted_proxies(
        app: Flask, limited_config: dict[str, Any], proxies: int,
        spoofed_addresses_count: int) -> None:
    config = {**limited_config, "PROXY_COUNT": proxies, "RATELIMIT_LOGIN_ADDRESS": "1 per minute"}
    for proxied in _limited_app(config):
        client = proxied.test_client()
        statuses = [client.post("/api/auth/login", json={"email": f"x{n}@example.org",
                                                         "password": "x"},
                                headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
                    for n in range(3)]
        # Without a trusted proxy the header is ignored: one address, one failure allowed.
        assert statuses.count(401) == spoofed_addresses_count, statuses


def test_redis_down_falls_back_to_memory_and_never_500s(app: Flask,
                                                        limited_config: dict[str, Any]) -> None:
    config = {**limited_config, "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
    for broken in _limited_app(config):
        client = broken.test_client()
        assert client.get("/").status_code == 200
        assert client.get("/api/public/rounds").status_code == 200
        statuses = [_login(client, "someone@example.org", "wrong").status_code for _ in range(4)]
        # The limits still hold, counted in this process's memory.
        assert statuses == [401, 401, 401, 429]


def test_limits_can_be_switched_off(client: FlaskClient, app: Flask) -> None:
    assert limiter_of(app) is None  # tests/conftest.py turns them off for every other test
    for _ in range(8):
        assert client.post("/api/auth/login", json={"email": "a@example.org",
                                                    "password": "x"}).status_code == 401


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("RATELIMIT_SUBMIT", "7 per hour")
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    monkeypatch.setenv("PROXY_COUNT", "2")
    config = config_from_env(tmp_path)
    assert config["RATELIMIT_SUBMIT"] == "7 per hour"
    assert config["RATELIMIT_ENABLED"] is False and config["PROXY_COUNT"] == 2
    monkeypatch.setenv("RATELIMIT_SUBMIT", "lots")
    with pytest.raises(ConfigError, match="RATELIMIT_SUBMIT"):
        config_from_env(tmp_path)
    monkeypatch.setenv("RATELIMIT_SUBMIT", "7 per hour")
    monkeypatch.setenv("PROXY_COUNT", "-1")
    with pytest.raises(ConfigError, match="PROXY_COUNT"):
        config_from_env(tmp_path)
