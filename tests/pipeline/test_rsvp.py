"""Workshop RSVPs behind signed links: GET shows, only a POST answers; "I can't" moves that
group only (updated .ics: same UID, SEQUENCE + 1), every other invitation stays as it was."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from helpers import drain
from icalendar import Calendar
from redis import Redis
from sqlalchemy import select
from test_offers import _published

from coordinator import db
from coordinator.models import (
    Consent,
    Invitation,
    Message,
    MessageAttachment,
    Placement,
    Round,
    WorkshopSession,
)
from coordinator.services import invitations, offers
from coordinator.services.links import make_token


def _workshops_round(app: Flask, client: FlaskClient, redis_conn: Redis) -> int:
    """A round whose every offer was accepted: confirmed, workshops scheduled, invited."""
    round_id = _published(app, client, redis_conn)
    with app.app_context():
        session = db.session()
        for consent in session.scalars(select(Consent).join(Placement).where(
                Placement.round_id == round_id).order_by(Consent.id)):
            offers.respond(session, consent, True)
        session.commit()
    drain(app, redis_conn)
    with app.app_context():
        assert db.session().get(Round, round_id).status == "workshops"
    return round_id


def _link(app: Flask, invitation_id: int, person: str) -> str:
    with app.test_request_context():
        return f"/rsvp/{make_token('workshop-rsvp', invitation_id, person)}"


def _a_group_with_visitors(app: Flask, round_id: int) -> tuple[int, list[str]]:
    with app.app_context():
        session = db.session()
        for invitation in session.scalars(select(Invitation).where(
                Invitation.round_id == round_id).order_by(Invitation.id)):
            people = invitations.group_people(session, invitation)
            if len(people) >= 2:
                return invitation.id, [p.key for p in people]
    raise AssertionError("no group with a visitor")


def _snapshot(app: Flask) -> dict[int, tuple[int, str]]:
    with app.app_context():
        return {i.id: (i.session_id, i.rsvp)
                for i in db.session().scalars(select(Invitation))}


def _calendar(app: Flask, message_id: int) -> Calendar:
    with app.app_context():
        attachment = db.session().scalars(select(MessageAttachment).where(
            MessageAttachment.message_id == message_id)).one()
        return Calendar.from_ical(attachment.content)


def _messages(app: Flask, template: str) -> list[Message]:
    with app.app_context():
        return list(db.session().scalars(select(Message).where(Message.template == template)
                                         .order_by(Message.id)))


def test_get_shows_the_session_and_post_answers_once(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _workshops_round(app, coordinator_client, redis_conn)
    invitation_id, people = _a_group_with_visitors(app, round_id)
    # Every person of every group got an invitation with an .ics and their own link.
    invited = _messages(app, "workshop_invitation")
    assert invited and all("/rsvp/" in m.body_text for m in invited)
    event = _calendar(app, invited[0].id).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 0
    url = _link(app, invitation_id, people[1])
    page = coordinator_client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Jeg kommer" in text and "Jeg kan ikke" in text
    with app.app_context():
        ws = db.session().get(WorkshopSession, db.session().get(Invitation, invitation_id)
                              .session_id)
        assert ws.date.isoformat() in text and ws.venue in text
        others = [p.name for p in invitations.group_people(
            db.session(), db.session().get(Invitation, invitation_id)) if p.key != people[1]]
    assert all(name in text for name in others)
    before = _snapshot(app)
    assert coordinator_client.get(url).status_code == 200
    assert _snapshot(app) == before  # a GET never answers
    assert coordinator_client.post(url, data={"answer": "maybe"}).status_code == 400
    assert coordinator_client.post(url, data={"answer": "yes"}).status_code == 200
    again = coordinator_client.post(url, data={"answer": "no"})
    assert again.status_code == 409
    assert _snapshot(app)[invitation_id] == before[invitation_id]


def test_bad_links_change_nothing(app: Flask, coordinator_client: FlaskClient,
                                  redis_conn: Redis) -> None:
    round_id = _workshops_round(app, coordinator_client, redis_conn)
    invitation_id, people = _a_group_with_visitors(app, round_id)
    url = _link(app, invitation_id, people[0])
    before = _snapshot(app)
    assert coordinator_client.post(url[:-2] + "xx", data={"answer": "no"}).status_code == 403
    with app.test_request_context():
        wrong = make_token("offer-response", invitation_id)
    assert coordinator_client.post(f"/rsvp/{wrong}", data={"answer": "no"}).status_code == 403
    stranger = _link(app, invitation_id, "a999999")
    assert coordinator_client.post(stranger, data={"answer": "no"}).status_code == 404
    assert _snapshot(app) == before


def test_decline_moves_that_group_only_with_an_updated_ics(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _workshops_round(app, coordinator_client, redis_conn)
    invitation_id, people = _a_group_with_visitors(app, round_id)
    before = _snapshot(app)
    first_ics = {m.recipient: _calendar(app, m.id).walk("VEVENT")[0]
                 for m in _messages(app, "workshop_invitation")
                 if f"-{invitation_id}-" in m.dedup_key}
    url = _link(app, invitation_id, people[1])
    assert coordinator_client.post(url, data={"answer": "no"}).status_code == 200
    drain(app, redis_conn)
    after = _snapshot(app)
    # Every other invitation is exactly as it was.
    assert {k: v for k, v in after.items() if k != invitation_id} == \
        {k: v for k, v in before.items() if k != invitation_id} | {
            k: v for k, v in after.items() if k not in before}
    new = [k for k in after if k not in before]
    assert len(new) == 1 and after[invitation_id] == (before[invitation_id][0], "moved")
    assert after[new[0]][0] != before[invitation_id][0] and after[new[0]][1] == "pending"
    with app.app_context():
        session = db.session()
        old_ws = session.get(WorkshopSession, before[invitation_id][0])
        new_ws = session.get(WorkshopSession, after[new[0]][0])
        assert new_ws.kind == old_ws.kind and new_ws.id != old_ws.id
        # Capacities hold after the move.
        for ws in session.scalars(select(WorkshopSession)):
            load = sum(i.people for i in session.scalars(select(Invitation).where(
                Invitation.session_id == ws.id, Invitation.rsvp.in_(("pending", "accepted")))))
            assert load <= ws.capacity
    changed = _messages(app, "workshop_changed")
    assert len(changed) == len(people)
    for message in changed:
        event = _calendar(app, message.id).walk("VEVENT")[0]
        old = first_ics[message.recipient]
        assert str(event["UID"]) == str(old["UID"])
        assert int(event["SEQUENCE"]) == int(old["SEQUENCE"]) + 1
        assert event.decoded("DTSTART").date() == new_ws.date
    # The old link is closed; the new one works.
    closed = coordinator_client.post(_link(app, invitation_id, people[0]), data={"answer": "yes"})
    assert closed.status_code == 409
    fresh = _link(app, new[0], people[0])
    assert coordinator_client.post(fresh, data={"answer": "yes"}).status_code == 200
    # A repeated re-schedule job changes nothing more.
    drain(app, redis_conn)
    assert len(_snapshot(app)) == len(after)


def test_decline_with_no_other_session_cancels_with_the_next_sequence(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _workshops_round(app, coordinator_client, redis_conn)
    invitation_id, people = _a_group_with_visitors(app, round_id)
    with app.app_context():
        session = db.session()
        mine = session.get(WorkshopSession, session.get(Invitation, invitation_id).session_id)
        # Every other session of that kind is full.
        for ws in session.scalars(select(WorkshopSession).where(
                WorkshopSession.kind == mine.kind, WorkshopSession.id != mine.id)):
            ws.capacity = sum(i.people for i in session.scalars(select(Invitation).where(
                Invitation.session_id == ws.id)))
        session.commit()
    before = _snapshot(app)
    url = _link(app, invitation_id, people[0])
    assert coordinator_client.post(url, data={"answer": "no"}).status_code == 200
    drain(app, redis_conn)
    after = _snapshot(app)
    assert after[invitation_id] == (before[invitation_id][0], "cancelled")
    assert {k: v for k, v in after.items() if k != invitation_id} == \
        {k: v for k, v in before.items() if k != invitation_id}
    changed = _messages(app, "workshop_changed")
    assert len(changed) == len(people)
    for message in changed:
        calendar = _calendar(app, message.id)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert int(calendar.walk("VEVENT")[0]["SEQUENCE"]) == 1
