"""Signing in and out of the API (a session cookie, as the pages use)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask.views import MethodView
from flask_login import current_user, login_user, logout_user
from marshmallow import Schema, fields, validate

from coordinator import db
from coordinator.api.blueprint import Blueprint
from coordinator.auth import authenticate, coordinator_required
from coordinator.schemas.common import Email

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Coordinator sign-in",
                public=True)


class LoginIn(Schema):
    email = Email(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200),
                          load_only=True)


class UserOut(Schema):
    id = fields.Int()
    email = fields.Str()
    role = fields.Str()


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginIn)
    @blp.response(200, UserOut)
    @blp.alt_response(401, description="Wrong email or password")
    def post(self, data: dict[str, Any]) -> Any:
        session = db.session()
        user = authenticate(session, data["email"], data["password"])
        if user is None:
            abort(401, description="wrong email or password")
        session.commit()
        login_user(user)
        return user


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self) -> None:
        logout_user()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserOut)
    @blp.alt_response(401, description="Not signed in")
    @coordinator_required
    def get(self) -> Any:
        return current_user
