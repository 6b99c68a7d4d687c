"""The front page and coordinator sign-in."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_user, logout_user
from sqlalchemy import select

from coordinator import db
from coordinator.auth import authenticate
from coordinator.models import Round, RoundStatus
from coordinator.pages.blueprint import bp

__all__ = ["bp"]


@bp.get("/")
def index() -> ResponseReturnValue:
    rounds = db.session().scalars(
        select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id)).all()
    return render_template("index.html", rounds=rounds)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        user = authenticate(db.session(), request.form.get("email", ""),
                            request.form.get("password", ""))
        if user is not None:
            db.session().commit()
            login_user(user)
            target = request.args.get("next", "")
            # Only local paths: never an open redirect.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("pages.index")
            return redirect(target)
        error = gettext("Wrong email or password.")
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("pages.index"))
