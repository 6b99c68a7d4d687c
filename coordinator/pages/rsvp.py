"""Workshop RSVP pages behind signed links: GET shows the session, only a POST answers.

Each person of a placement group has their own link per invitation (the token carries the
invitation id and the person's id key). Mail link scanners fetch links with GET, so a GET
never answers. The texts are here in both languages rather than in the page catalogue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coordinator import db
from coordinator.models import Host, Invitation, WorkshopSession
from coordinator.services import invitations, rsvp
from coordinator.services.links import LinkError, read_person_token

bp = Blueprint("rsvp", __name__, url_prefix="/rsvp")

# Each text as (Danish, English): the two languages side by side, so neither can miss a key.
_TEXT_PAIRS = {
    "title": ("Workshop", "Workshop"),
    "prep": ("Forberedende workshop", "Preparation workshop"),
    "followup": ("Opfølgende workshop", "Follow-up workshop"),
    "when": ("Hvornår", "When"),
    "where": ("Hvor", "Where"),
    "group": ("Fra jeres gruppe kommer også", "Also coming from your group"),
    "host": ("vært", "host"),
    "yes": ("Jeg kommer", "I'll come"),
    "no": ("Jeg kan ikke", "I can't"),
    "recorded_yes": ("Tak, vi har noteret, at du kommer.",
                     "Thank you, we have noted that you are coming."),
    "recorded_no": ("Tak for besked. Vi finder en anden workshop til jeres gruppe og sender en "
                    "ny invitation.",
                    "Thank you for letting us know. We will find another workshop for your "
                    "group and send a new invitation."),
    "already": ("Dit svar er allerede registreret:", "Your answer is already recorded:"),
    "answer_yes": ("du kommer", "you are coming"),
    "answer_no": ("du kan ikke", "you cannot come"),
    "closed": ("Denne invitation er ikke længere åben.", "This invitation is no longer open."),
    "moved": ("Jeres gruppe er flyttet til en anden workshop; se den nye invitation.",
              "Your group has been moved to another workshop; see the new invitation."),
    "cancelled": ("Workshoppen er aflyst for jeres gruppe. Koordinatorerne kontakter jer.",
                  "The workshop is cancelled for your group. The coordinators will contact "
                  "you."),
    "invalid": ("Vælg venligst, om du kommer.", "Please choose whether you are coming."),
    "expired": ("Dit svar blev ikke gemt, fordi siden var udløbet. Vælg venligst igen.",
                "Your answer was not saved because the page had expired. Please choose "
                "again."),
}
TEXTS = {language: {key: pair[index] for key, pair in _TEXT_PAIRS.items()}
         for index, language in enumerate(("da", "en"))}


def _problem(code: int) -> None:
    abort(make_response(render_template("link_problem.html", code=code, kind="rsvp"), code))


def _invitation(token: str) -> tuple[Invitation, str]:
    try:
        invitation_id, person = read_person_token("workshop-rsvp", token)
    except LinkError as exc:
        _problem(410 if exc.expired else 403)
    invitation = db.session().get(Invitation, invitation_id)
    if invitation is None or not rsvp.is_member(db.session(), invitation, person):
        _problem(404)
    return invitation, person


def _page(invitation: Invitation, person: str, outcome: str | None = None,
          status: int = 200) -> ResponseReturnValue:
    session = db.session()
    language = str(get_locale() or "da")
    people = invitations.group_people(session, invitation)
    context: dict[str, Any] = {
        "t": TEXTS.get(language, TEXTS["da"]), "invitation": invitation, "outcome": outcome,
        "workshop": session.get(WorkshopSession, invitation.session_id),
        "host": session.get(Host, invitation.host_id),
        "start": invitations.START.strftime("%H:%M"), "end": invitations.END.strftime("%H:%M"),
        "others": [p for p in people if p.key != person],
        "reply": rsvp.replies(session, invitation.id).get(person)}
    return render_template("rsvp/respond.html", **context), status


@bp.errorhandler(CSRFError)
def _form_expired(exc: CSRFError) -> ResponseReturnValue:
    # The form's CSRF token no longer matches the session: a phone's browser that was closed
    # in the background drops the session cookie while the page stays open. Nothing was
    # recorded; the page again, with a fresh token and a plain request to choose again, is
    # what that participant needs (not a bare 400 page).
    try:
        invitation, person = _invitation(str((request.view_args or {}).get("token", "")))
    except HTTPException as problem:  # a bad link says so, as on a GET
        return problem.get_response()
    return _page(invitation, person, "expired")


@bp.get("/<token>")
def show(token: str) -> ResponseReturnValue:
    return _page(*_invitation(token))


@bp.post("/<token>")
def answer(token: str) -> ResponseReturnValue:
    invitation, person = _invitation(token)
    choice = request.form.get("answer")
    if choice not in ("yes", "no"):
        return _page(invitation, person, "invalid", 400)
    outcome = rsvp.answer(db.session(), invitation, person, choice == "yes")
    db.session().commit()
    return _page(invitation, person, outcome, 200 if outcome == "recorded" else 409)
