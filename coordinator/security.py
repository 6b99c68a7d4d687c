"""CSRF for forms, the proxies we trust, the session cookie, and the headers every response carries.

- ``PROXY_COUNT`` (default 0) proxies may set X-Forwarded-For/-Proto/-Host; with 0 nobody
  can, so a client cannot pick its own address (rate limits) or claim HTTPS (HSTS, cookies).
- Content-Security-Policy: only our own scripts and styles, inline ones only with the
  request's nonce (``{{ csp_nonce() }}`` in a template). The Swagger UI page loads its bundle
  from cdn.jsdelivr.net and gets a policy of its own; JSON answers get the strictest one.
- Pages whose URL carries a signed-link token are never cached and send no Referer, so the
  token cannot leak to another site or a shared cache (by view argument, so a signed-link
  page added later is covered; by path prefix for 404s under a link URL).
- HSTS only on a request that arrived over HTTPS (directly or through a trusted proxy).
- The session cookie is ``__Host-session`` (Secure, Path=/, no Domain) when it is Secure,
  always HttpOnly and SameSite=Lax; "remember me" cookies are never set.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

SWAGGER_CDN = "https://cdn.jsdelivr.net"
SWAGGER_ENDPOINTS = frozenset({"api-docs.openapi_swagger_ui"})
TOKEN_PATH_PREFIXES = ("/application/", "/host/", "/offers/", "/rsvp/")
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce for inline <script>/<style> (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _page_policy() -> str:
    # The nonce is named only when a template asked for one, so a page without inline code
    # allows none at all.
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    return ("default-src 'self'; "
            f"script-src 'self'{nonce}; "
            f"style-src 'self'{nonce}; "
            "img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _swagger_policy() -> str:
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    # Swagger UI sets inline styles from its bundle; scripts stay locked to the CDN + nonce.
    return ("default-src 'none'; "
            f"script-src {SWAGGER_CDN}{nonce}; "
            f"style-src {SWAGGER_CDN} 'unsafe-inline'; "
            f"img-src 'self' data: {SWAGGER_CDN}; "
            "connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


JSON_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _content_security_policy(response: Response) -> str:
    if request.endpoint in SWAGGER_ENDPOINTS:
        return _swagger_policy()
    if response.mimetype == "text/html":
        return _page_policy()
    return JSON_POLICY


def carries_link_token() -> bool:
    """True for a request whose URL holds a signed-link token."""
    return "token" in (request.view_args or {}) or request.path.startswith(TOKEN_PATH_PREFIXES)


def _configure_session_cookie(app: Flask) -> None:
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # Flask-Login's "remember me" cookie outlives the session; we never set it, and if
    # anything did, it would be as locked down as the session.
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SESSION_COOKIE_SECURE"):
        # __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain,
        # so a sibling subdomain cannot plant or overwrite it.
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None
        app.config["REMEMBER_COOKIE_SECURE"] = True


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per set of keys.

    Flask builds the serializer for every request, cookie or not: about 4 % of the CPU of an
    API submission, which never has a session. Same keys, same salt, same cookies.
    """

    def __init__(self) -> None:
        self._serializer: tuple[Any, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]


def _security_headers(response: Response) -> None:
    """The headers every response carries, unless the view set its own.

    One pass over the response's headers instead of a ``setdefault`` per header (each a
    case-insensitive scan of them all), and the CSP worked out only when it is missing.
    """
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    if "x-content-type-options" not in present:
        headers.add("X-Content-Type-Options", "nosniff")
    if "x-frame-options" not in present:
        headers.add("X-Frame-Options", "DENY")
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", _content_security_policy(response))
    if "cross-origin-opener-policy" not in present:
        headers.add("Cross-Origin-Opener-Policy", "same-origin")
    if carries_link_token():
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cache-Control"] = "no-store"
    elif "referrer-policy" not in present:
        headers.add("Referrer-Policy", "same-origin")
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.session_interface = CookieSessions()
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    _configure_session_cookie(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        _security_headers(response)
        return response
