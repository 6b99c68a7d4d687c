"""Security headers: CSP with nonces, no Referer from signed links, HSTS only over TLS, and
the session cookie's name and flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from security_world import World

from coordinator import TEMPLATES, create_app
from coordinator.config import config_from_env

# Emails are not served as pages (and mail clients ignore CSP anyway).
PAGE_TEMPLATES = sorted(path for path in TEMPLATES.rglob("*.html")
                        if "emails" not in path.relative_to(TEMPLATES).parts)
INLINE_CODE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
# Inside an HTML start tag (not "{% set one = ... %}"), with a quoted value.
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=\s*[\"']", re.IGNORECASE)


def _directives(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_code_without_a_nonce(template: Path) -> None:
    text = template.read_text()
    for tag, attributes in INLINE_CODE.findall(text):
        if tag.lower() == "script" and "src=" in attributes:
            continue  # an external script from our own origin
        assert "csp_nonce()" in attributes, (
            f"{template.name}: inline <{tag}> without nonce=\"{{{{ csp_nonce() }}}}\"; add the "
            "nonce or move the code to a file under coordinator/static/")
    assert not EVENT_HANDLER.search(text), f"{template.name}: on...= handler (CSP blocks it)"
    assert not STYLE_ATTRIBUTE.search(text), f"{template.name}: style= attribute (CSP blocks it)"


def test_pages_allow_only_their_own_nonce(client: FlaskClient) -> None:
    response = client.get("/login")
    directives = _directives(response)
    nonce = re.search(r"'nonce-([^']+)'", directives["style-src"]).group(1)
    body = response.get_data(as_text=True)
    assert f'<style nonce="{nonce}">' in body
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert directives["default-src"] == "default-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert client.get("/login").headers["Content-Security-Policy"] != \
        response.headers["Content-Security-Policy"]  # a new nonce per response


def test_api_answers_get_the_strictest_policy(client: FlaskClient) -> None:
    response = client.get("/api/public/rounds")
    assert _directives(response)["default-src"] == "default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_swagger_ui_has_its_own_policy(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    directives = _directives(response)
    assert "https://cdn.jsdelivr.net" in directives["script-src"]
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]


def test_signed_link_pages_send_no_referrer_and_are_not_cached(
        client: FlaskClient, world: World) -> None:
    for url in (f"/application/{world.a.tokens['application-edit']}",
                f"/host/{world.a.tokens['host-edit']}",
                f"/offers/{world.a.tokens['offer-response']}",
                "/offers/not-a-token", "/application/x/y/z"):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "no-referrer", url
        assert "no-store" in response.headers["Cache-Control"], url
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"


def test_hsts_only_over_tls_through_a_trusted_proxy(app: Flask,
                                                    app_config: dict[str, Any]) -> None:
    plain = app.test_client()
    assert "Strict-Transport-Security" not in plain.get("/").headers
    spoofed = plain.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers  # no proxy trusted
    assert "max-age=" in plain.get("/", base_url="https://localhost").headers[
        "Strict-Transport-Security"]
    proxied = create_app({**app_config, "PROXY_COUNT": 1})
    try:
        response = proxied.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        proxied.extensions["db_engine"].dispose()


def _session_cookie(response: Any) -> str:
    cookies = [value for key, value in response.headers.items() if key == "Set-Cookie"]
    assert not [c for c in cookies if c.startswith("remember_token")], cookies
    (session,) = [c for c in cookies if "session=" in c.split(";")[0]]
    return session


def test_secure_session_cookie_is_host_prefixed(app: Flask, app_config: dict[str, Any],
                                                world: World) -> None:
    secure = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    try:
        user = world.users["coord_a"]
        response = secure.test_client().post(
            "/api/auth/login", json={"email": user["email"], "password": user["password"]},
            base_url="https://localhost")
        assert response.status_code == 200
        cookie = _session_cookie(response)
        assert cookie.startswith("__Host-session=")
        flags = [flag.strip().lower() for flag in cookie.split(";")]
        assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(flags)
        assert not [flag for flag in flags if flag.startswith("domain=")]
        assert "expires=" not in cookie.lower()  # a browser-session cookie: no remember-me
    finally:
        secure.extensions["db_engine"].dispose()


def test_plain_http_dev_cookie_is_not_secure(client: FlaskClient, world: World) -> None:
    user = world.users["coord_a"]
    response = client.post("/api/auth/login",
                           json={"email": user["email"], "password": user["password"]})
    cookie = _session_cookie(response)
    assert cookie.startswith("session=") and "Secure" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookie_is_secure_by_default_when_the_public_address_is_https(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://praktik.example.dk")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert config_from_env(tmp_path)["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")  # an explicit choice wins
    assert config_from_env(tmp_path)["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    assert config_from_env(tmp_path)["SESSION_COOKIE_SECURE"] is False
