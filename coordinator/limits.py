"""Abuse limits: Flask-Limiter counting in Redis, one Limiter per app.

Who is counted: the signed link's token where the URL has one, the signed-in account where
there is one, the client address otherwise (``request.remote_addr``, which ProxyFix sets from
``X-Forwarded-For`` only for the ``PROXY_COUNT`` proxies we trust; see ``security.py``).

Every limit is a default limit selected by a predicate, not a decorator on a view, so routes
added later (another signed-link POST, a dashboard page) are limited without anyone
remembering to. When Redis cannot be reached the counts move to process memory
(``in_memory_fallback_enabled``) and any other storage error is swallowed: a broken limiter
must never turn a request into a 500.

Breaches raise ``RateLimitExceeded`` (a 429 HTTPException), which ``errors.py`` renders as
JSON under /api and as a page elsewhere; ``Retry-After`` tells the client when to come back.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from flask import Flask, Response, current_app, request
from flask_limiter import Limit, Limiter
from flask_login import current_user

# Sign-in forms: the page and the API.
LOGIN_ENDPOINTS = frozenset({"pages.login", "auth.Login"})
# Anonymous submissions that store a record and send an email.
SUBMIT_ENDPOINTS = frozenset({"pages.application_form", "pages.host_form",
                              "public.SubmitApplication", "public.SubmitHostOffer"})
# Never counted: probes of the platform and SendGrid's signed webhook (which comes in
# bursts from a few addresses and is authenticated by its signature).
EXEMPT_ENDPOINTS = frozenset({"healthz", "readyz", "webhooks.sendgrid_events",
                              "static"})
# Redis that answers slowly must not hold a request for long; the fallback takes over.
STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _digest(value: str) -> str:
    # Tokens and emails never reach Redis (or its logs) as they are: a keyed hash stands in.
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def client_address() -> str:
    return f"addr:{request.remote_addr or 'unknown'}"


def _link_token() -> str | None:
    token = (request.view_args or {}).get("token")
    return token if isinstance(token, str) and token else None


def link_token_key() -> str:
    token = _link_token()
    return f"link:{_digest(token)}" if token else client_address()


def caller_key() -> str:
    """The link token, else the signed-in account, else the client address."""
    if _link_token():
        return link_token_key()
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return client_address()


def login_account_key() -> str:
    """The account a sign-in attempt names (from the form or the JSON body)."""
    if request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    else:
        email = request.form.get("email")
    if not isinstance(email, str) or not email.strip():
        return client_address()
    return f"account:{_digest(email.strip().lower())}"


def _posting_to(endpoints: frozenset[str]) -> Callable[[], bool]:
    def not_selected() -> bool:
        return request.method != "POST" or request.endpoint not in endpoints

    return not_selected


def _not_a_link_post() -> bool:
    return request.method != "POST" or _link_token() is None


def _exempt_from_general() -> bool:
    return request.endpoint in EXEMPT_ENDPOINTS or request.method == "OPTIONS"


def _failed_sign_in(response: Response) -> bool:
    # Only failures count, so a coordinator who signs in often is never locked out.
    return response.status_code == 401


def _rules(config: dict[str, str]) -> list[Limit]:
    not_login = _posting_to(LOGIN_ENDPOINTS)
    return [
        Limit(config["RATELIMIT_GENERAL"], key_function=caller_key, scope="all", shared=True,
              exempt_when=_exempt_from_general,
              error_message="too many requests; slow down and try again shortly"),
        Limit(config["RATELIMIT_LOGIN_ADDRESS"], key_function=client_address,
              scope="login-address", shared=True, exempt_when=not_login,
              deduct_when=_failed_sign_in,
              error_message="too many failed sign-ins from your address; try again later"),
        Limit(config["RATELIMIT_LOGIN_ACCOUNT"], key_function=login_account_key,
              scope="login-account", shared=True, exempt_when=not_login,
              deduct_when=_failed_sign_in,
              error_message="too many failed sign-ins for this account; try again later"),
        Limit(config["RATELIMIT_SUBMIT"], key_function=client_address, scope="submit",
              shared=True, exempt_when=_posting_to(SUBMIT_ENDPOINTS),
              error_message="too many submissions from your address; try again later"),
        Limit(config["RATELIMIT_LINK_POST"], key_function=link_token_key, scope="link-post",
              shared=True, exempt_when=_not_a_link_post,
              error_message="too many changes through this link; try again later"),
    ]


def init_app(app: Flask) -> Limiter | None:
    """Attach the limits to ``app`` (nothing when ``RATELIMIT_ENABLED`` is false)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    config = app.config
    storage_uri = config.get("RATELIMIT_STORAGE_URI") or config["REDIS_URL"]
    limiter = Limiter(
        key_func=caller_key,
        default_limits=_rules(config),
        storage_uri=storage_uri,
        storage_options=dict(STORAGE_OPTIONS) if storage_uri.startswith("redis") else {},
        strategy=config.get("RATELIMIT_STRATEGY", "moving-window"),
        key_prefix=config.get("RATELIMIT_KEY_PREFIX", "coordinator"),
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    app.extensions["coordinator_limiter"] = limiter
    return limiter


def limiter_of(app: Flask) -> Limiter | None:
    """The app's Limiter (tests reset it; a CLI could inspect it), if limits are enabled."""
    return app.extensions.get("coordinator_limiter")
