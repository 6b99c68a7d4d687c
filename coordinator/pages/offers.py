"""Offer-response pages behind signed links: GET shows the offer, only a POST acts.

Mail link scanners fetch every link with GET, so a GET never accepts or declines.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template, request
from flask.typing import ResponseReturnValue

from coordinator import db
from coordinator.models import Application, Consent, Host, Placement, Round
from coordinator.services import offers
from coordinator.services.errors import InvalidData
from coordinator.services.links import LinkError, read_token

bp = Blueprint("offers", __name__, url_prefix="/offers")


def _consent(token: str) -> Consent:
    try:
        consent_id = read_token("offer-response", token)
    except LinkError as exc:
        code = 410 if exc.expired else 403
        abort(make_response(render_template("link_problem.html", code=code, kind="offer"), code))
    consent = db.session().get(Consent, consent_id)
    if consent is None:
        abort(make_response(render_template("link_problem.html", code=404, kind="offer"), 404))
    return consent


def _page(token: str, consent: Consent, outcome: str | None = None,
          status: int = 200, errors: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    session = db.session()
    placement = session.get(Placement, consent.placement_id)
    context: dict[str, Any] = {
        "token": token, "consent": consent, "placement": placement, "outcome": outcome,
        "errors": errors or {}, "reasons": offers.DECLINE_REASONS,
        "reason_text_max": offers.DECLINE_TEXT_MAX,
        "form": request.form if request.method == "POST" else {},
        "application": session.get(Application, placement.application_id),
        "host": session.get(Host, placement.host_id),
        "round": session.get(Round, placement.round_id),
        # A host answers for the whole group offered together; it sees every visitor in it.
        "visitors": [session.get(Application, p.application_id)
                     for p in (offers.host_group(session, placement)
                               if consent.party == "host" else [placement])]}
    return render_template("offers/respond.html", **context), status


@bp.get("/<token>")
def show(token: str) -> ResponseReturnValue:
    return _page(token, _consent(token))


@bp.post("/<token>")
def answer(token: str) -> ResponseReturnValue:
    consent = _consent(token)
    # Exactly one answer, from the button that sent its form: none, an unknown one or both
    # (a hand-made request) show the page again, asking to choose.
    answers = request.form.getlist("answer")
    choice = answers[0] if len(answers) == 1 else None
    if choice not in ("accept", "decline"):
        return _page(token, consent, "invalid", 400)
    reason = None
    if choice == "decline":
        try:
            reason = offers.decline_reason(request.form.get("reason"),
                                           request.form.get("reason_text"))
        except InvalidData as exc:
            return _page(token, consent, "invalid reason", 400, exc.errors)
    outcome = offers.respond(db.session(), consent, choice == "accept", reason)
    db.session().commit()
    return _page(token, consent, outcome, 200 if outcome == "recorded" else 409)
