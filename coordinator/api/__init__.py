"""The JSON API (flask-smorest): OpenAPI at /api/openapi.json, docs at /api/docs."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.routing import IntegerConverter

from coordinator.security import csrf

ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` that stops at the largest id an INTEGER column holds.

    A larger number in a URL made the database driver fail (SQLite cannot bind it, PostgreSQL
    compares integer with numeric): a 500. Now such a URL matches no route: a 404.
    """

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = ID_MAX, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_api(app: Flask) -> Api:
    from coordinator import webhooks
    from coordinator.api import auth, emails, matching, public, records, round_coordinators, rounds

    # Every route registered from here on (the API's and the pages') uses the bounded ids.
    app.url_map.converters["int"] = IdConverter
    api = Api(app, spec_kwargs={
        "info": {"description": "Applications, host offers and rounds of the national "
                                "innovation internship. Coordinator endpoints need a session "
                                "from POST /api/auth/login; public endpoints need none."},
        "components": {"securitySchemes": {
            # "__Host-session" when the cookie is Secure (coordinator.security).
            "session": {"type": "apiKey", "in": "cookie",
                        "name": app.config.get("SESSION_COOKIE_NAME", "session")}}},
    })
    api.register_converter(IdConverter, integerconverter2paramschema)
    for blueprint in (auth.blp, rounds.blp, records.blp, public.blp, emails.blp,
                      matching.blp, round_coordinators.blp):
        # The API takes JSON only: a cross-site form cannot send application/json without a
        # CORS preflight, which we never grant, so the session cookie alone cannot be abused.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    from coordinator.api import privacy

    csrf.exempt(privacy.blp)
    api.register_blueprint(privacy.blp)
    webhooks.init_app(app)
    return api
