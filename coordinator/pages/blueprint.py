"""The one blueprint of the pages; route modules add their views to it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import get_locale

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _locale() -> dict[str, Any]:
    # Every page template (error pages too) sets <html lang> from it.
    return {"get_locale": get_locale}
