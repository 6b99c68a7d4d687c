"""The coordinator web service: intake of applications and host offers, rounds, the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory. No I/O happens at import; everything is wired here."""
    from coordinator import access, auth, cli, db, errors, health, i18n, limits, security
    from coordinator.api import register_api
    from coordinator.config import config_from_env
    from coordinator.dashboard import register_dashboard
    from coordinator.pages import register_pages

    app = Flask(__name__, template_folder=str(TEMPLATES), instance_relative_config=True)
    instance_path = Path(app.instance_path)
    if config and config.get("INSTANCE_PATH"):
        instance_path = Path(config["INSTANCE_PATH"])
    app.config.update(config_from_env(instance_path))
    app.config.update(
        API_TITLE="Innovation internship coordinator",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    # Settings under the COORDINATOR_ prefix override the rest (e.g. COORDINATOR_TESTING=true).
    app.config.from_prefixed_env("COORDINATOR")
    if config:
        app.config.update(config)

    db.init_app(app)
    security.init_app(app)
    # Before every other before_request hook: a client over its limit costs no database work.
    limits.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    health.init_app(app)
    register_api(app)
    # After the API: flask-smorest registers its own HTTPException handler, ours replaces it.
    errors.init_app(app)
    register_pages(app)
    register_dashboard(app)
    # After every blueprint: it checks each signed-in request whose URL names a round.
    access.init_app(app)
    cli.init_app(app)
    return app
