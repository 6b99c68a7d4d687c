"""Danish by default, English on request (?lang=en, remembered in the session)."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = ("da", "en")


def select_locale() -> str:
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        session["lang"] = requested
        return requested
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return remembered
    return "da"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "da")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
