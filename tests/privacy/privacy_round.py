"""A whole round with one known person in it, run through the real services and RQ jobs:
intake (over the API, with an Idempotency-Key) -> solve -> publish -> everyone accepts ->
confirmed -> workshops. Then a few leaks of the kind erasure must also find are planted:
a bounce event and an undeliverable address, an attachment, and Redis values of every type
(a failed job whose exception names the person, a job result, a limiter-style key)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from coordinator import db
from coordinator.demo import seed_demo_round
from coordinator.demo_round import solve_and_publish
from coordinator.models import (
    Application,
    Consent,
    Host,
    Message,
    MessageAttachment,
    MessageEvent,
    Placement,
    Round,
    RoundStatus,
    UndeliverableAddress,
)
from coordinator.services import intake, offers
from coordinator.services.calendar import invitation_ics
from coordinator.services.privacy import subject_hash
from workers.drive import drain

EMAIL = "xenia.oerbaek@erase.example"
NAME = "Xenia Ørbæk-Testesen"
PHONE = "+45 31 41 59 26"
OTHER_HOST_EMAIL = "bent.vaert@kept.example"


@dataclass
class PlayedRound:
    round_id: int
    application_id: int
    host_id: int


def _host(round_id: int, contact_name: str, contact_email: str, phone: str | None) -> dict[str, Any]:
    return {"organisation": "Testby Kommune", "org_level": "municipality",
            "municipality_code": "101", "lat": 55.68, "lon": 12.57,
            "innovation_title": "Borgerrådgivning på video",
            "innovation_description": "Videomøder med borgerne.", "topics": ["digitalisering"],
            "language": "da", "capacity": 3, "min_visitors": 1,
            "weeks": ["2027-W36", "2027-W37", "2027-W38"], "visit_days": 3,
            "contact_name": contact_name, "contact_email": contact_email,
            "contact_phone": phone}


def play_round(app: Flask, client: FlaskClient, redis_conn: Redis) -> PlayedRound:
    with app.app_context():
        session = db.session()
        round_id = seed_demo_round(session, applications=14, hosts=8).round_id
        own_host = intake.submit_host_offer(session, round_id, _host(round_id, NAME, EMAIL, PHONE))
        to_visit = intake.submit_host_offer(session, round_id, _host(
            round_id, "Bent Værtsen", OTHER_HOST_EMAIL, None))
        session.commit()
        own_host_id, visit_id = own_host.id, to_visit.id
    submitted = client.post(f"/api/public/rounds/{round_id}/applications", headers={
        "Idempotency-Key": "privacy-test-1"}, json={
        "name": NAME, "email": EMAIL, "organisation": "Vestby Kommune",
        "org_level": "municipality", "municipality_code": "461",
        "learning_goal": f"Lære af Bent; skriv til {EMAIL}.", "topics": ["digitalisering"],
        "host_choices": [visit_id], "weeks": ["2027-W36", "2027-W37", "2027-W38"],
        "max_km": 400, "language": "da", "manager_name": "Manfred Lederberg",
        "manager_email": "manfred.leder@erase.example"})
    assert submitted.status_code == 201, submitted.json
    application_id = submitted.json["id"]
    solve_and_publish(app, redis_conn, round_id, time_limit_s=3)
    with app.app_context():
        session = db.session()
        for consent in session.scalars(select(Consent).order_by(Consent.id)):
            offers.respond(session, consent, True)
        session.commit()
    drain(app, redis_conn)
    with app.app_context():
        assert db.session().get(Round, round_id).status == RoundStatus.WORKSHOPS
    _plant_database_leaks(app)
    _plant_redis_leaks(app, redis_conn)
    return PlayedRound(round_id, application_id, own_host_id)


def _plant_database_leaks(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        message = session.scalars(select(Message).where(Message.recipient == EMAIL)
                                  .order_by(Message.id)).first()
        ics = invitation_ics("privacy-test@example.org", 0, "Workshop",
                             dt.datetime(2027, 9, 1, 10), dt.datetime(2027, 9, 1, 15),
                             "Aarhus", "praktik@example.org", [EMAIL, OTHER_HOST_EMAIL])
        session.add(MessageAttachment(message_id=message.id, filename="invitation.ics",
                                      mimetype="text/calendar", content=ics))
        message.provider_id = "sg-privacy-1"
        session.add(MessageEvent(sg_message_id="sg-privacy-1.x", event="bounce", timestamp=1,
                                 message_id=message.id,
                                 reason=f"550 5.1.1 <{EMAIL}>: mailbox full ({NAME})"))
        session.add(UndeliverableAddress(email=EMAIL, event="bounce", message_id=message.id,
                                         reason=f"550 <{EMAIL}>"))
        session.commit()


def fail_naming(text: str) -> None:
    """A job whose exception text names someone (what a careless job could leak)."""
    raise ValueError(f"could not reach {text}")


def return_naming(text: str) -> str:
    return f"done for {text}"


def _plant_redis_leaks(app: Flask, redis_conn: Redis) -> None:
    queue = Queue("default", connection=redis_conn, serializer=JSONSerializer)
    queue.enqueue(f"{__name__}.fail_naming", EMAIL, job_id="leaky-fail")
    job = queue.enqueue(f"{__name__}.return_naming", NAME, job_id="leaky-result")
    job.meta["who"] = NAME
    job.save_meta()
    SimpleWorker([queue], connection=redis_conn, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING")
    with app.app_context():
        digest = subject_hash(EMAIL)
    redis_conn.set(f"LIMITER/account:{digest}/login/5/1/minute", 3, ex=600)
    redis_conn.set(f"cache:{EMAIL}", "1")
    redis_conn.rpush("leaky:list", "first", f"to {NAME}")
    redis_conn.sadd("leaky:set", f"{EMAIL}", "other@kept.example")
    redis_conn.zadd("leaky:zset", {f"{NAME}|{EMAIL}": 2.0, "kept": 1.0})
    redis_conn.hset("leaky:hash", mapping={"who": NAME, EMAIL: "x", "kept": "y"})
    redis_conn.xadd("leaky:stream", {"email": EMAIL})
    redis_conn.xadd("leaky:stream", {"email": "kept@kept.example"})


def statistics(app: Flask, round_id: int) -> dict[str, Any]:
    """What must survive an erasure: counts, statuses, ranks and distances."""
    with app.app_context():
        session = db.session()
        placements = list(session.scalars(select(Placement).where(
            Placement.round_id == round_id).order_by(Placement.id)))
        return {
            "placements": Counter(p.status for p in placements),
            "ranks": [p.rank for p in placements],
            "km": [p.km for p in placements],
            "applications": Counter(a.status for a in session.scalars(select(Application).where(
                Application.round_id == round_id))),
            "hosts": len(list(session.scalars(select(Host.id).where(
                Host.round_id == round_id)))),
            "messages": Counter(session.scalars(select(Message.template).where(
                Message.round_id == round_id))),
        }
