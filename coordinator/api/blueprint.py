"""The Blueprint every API module uses: flask-smorest's, with a sturdier JSON parser and the
errors every route shares documented."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from flask_smorest.error_handler import ErrorSchema
from marshmallow import fields as ma_fields
from marshmallow import validate
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

# Pages beyond this hold nothing at any page size we allow; it keeps OFFSET small.
MAX_PAGE = 1_000_000


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": ErrorSchema}}}


class _SpecWithCommonErrors:
    """The spec as a blueprint registers its paths, adding the errors every such route has.

    Documented in one place rather than by ``alt_response`` on each view, because they come
    from the route's shape, not from the view: a path id can name nothing (404), a JSON body
    or an Idempotency-Key can be malformed (400), a signed-in blueprint answers anonymous
    callers 401 and callers without the role or the round 403.
    """

    def __init__(self, spec: Any, *, signed_in: bool) -> None:
        self._spec = spec
        self._signed_in = signed_in

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spec, name)

    def path(self, *, rule: Any, operations: dict[str, Any], parameters: Any) -> Any:
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if rule.arguments:
                responses.setdefault("404", _error("Nothing with this id (or not yours to see)"))
            if "requestBody" in operation or any(
                    isinstance(p, dict) and p.get("in") == "header"
                    for p in operation.get("parameters", [])):
                responses.setdefault("400", _error("The body is not valid JSON, or a header "
                                                   "is malformed"))
            if self._signed_in:
                responses.setdefault("401", _error("Not signed in"))
                responses.setdefault("403", _error("Your role or round assignment does not "
                                                   "allow this"))
        return self._spec.path(rule=rule, operations=operations, parameters=parameters)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the sturdier JSON parser and the common errors documented.

    ``public=True`` for blueprints whose routes need no sign-in; every other blueprint
    documents 401/403 (it checks sign-in in a ``before_request`` of its own).
    """

    ARGUMENTS_PARSER = JSONParser()

    def __init__(self, *args: Any, public: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.public = public

    def paginate(self, pager: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's pagination with a largest page number.

        Unbounded, ``page=10**18`` made an OFFSET the database cannot hold (SQLite raised
        OverflowError, PostgreSQL "bigint out of range"): a 500 instead of a 422.
        """
        paginate = super().paginate(pager, **kwargs)

        def decorator(func: Any) -> Any:
            wrapper = paginate(func)
            # A class made for this view alone; the parser and the spec both read it.
            schema = wrapper._apidoc["pagination"]["parameters"]["schema"]
            default_page = schema._declared_fields["page"].load_default
            schema._declared_fields["page"] = ma_fields.Integer(
                load_default=default_page, validate=validate.Range(min=1, max=MAX_PAGE))
            return wrapper

        return decorator

    def register_views_in_doc(self, api: Any, app: Any, spec: Any, *, name: str,
                              parameters: Any) -> None:
        super().register_views_in_doc(
            api, app, _SpecWithCommonErrors(spec, signed_in=not self.public),
            name=name, parameters=parameters)
