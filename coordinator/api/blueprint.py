"""The Blueprint every API module uses: flask-smorest's, with a sturdier JSON parser."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request


class JSONParser(FlaskParser):
    """webargs' parser, but a body the JSON decoder chokes on is always a 400.

    webargs turns a ``JSONDecodeError`` into 400 and lets everything else through: a body
    nested a few thousand levels deep (``RecursionError``) or an integer with more digits
    than Python will convert (``ValueError``) became a 500.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return core.parse_json(req.get_data(cache=True))
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:
            abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JSONParser()
