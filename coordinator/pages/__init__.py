"""Server-rendered pages: forms for applicants and hosts, signed-link pages, sign-in."""

from __future__ import annotations

from flask import Flask


def register_pages(app: Flask) -> None:
    # Importing the route modules attaches their views to the one `pages` blueprint.
    from coordinator.pages import intake, links, views  # noqa: F401
    from coordinator.pages.blueprint import bp

    app.register_blueprint(bp)
    from coordinator.pages.offers import bp as offers_bp

    app.register_blueprint(offers_bp)
    from coordinator.pages.rsvp import bp as rsvp_bp

    app.register_blueprint(rsvp_bp)
