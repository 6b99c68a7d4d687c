"""A realistic demo round: hosts and applicants spread over Denmark by population.

Everything goes through the same services as the API and forms, so the demo exercises
the real validation, events and queued emails.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from coordinator.models import Round, RoundStatus
from coordinator.municipalities import Municipality, all_municipalities
from coordinator.services import intake
from solver.geo import haversine_km

WEEKS = ["2027-W36", "2027-W37", "2027-W38"]
# (title, topics) of innovations that Danish public workplaces have actually spread.
INNOVATIONS = [
    ("Skærmbesøg i hjemmeplejen", ["velfærdsteknologi", "ældre"]),
    ("Sensorer mod fald på plejecentre", ["velfærdsteknologi", "ældre", "sundhed"]),
    ("Udeskole i dagtilbud", ["dagtilbud", "børn"]),
    ("Sprogkufferter til tosprogede børn", ["dagtilbud", "børn", "integration"]),
    ("Digital selvbetjening af byggesager", ["digitalisering", "borgerservice"]),
    ("Robotstøvsugere i kommunale bygninger", ["teknik", "drift"]),
    ("Rehabilitering før hjemmehjælp", ["sundhed", "ældre"]),
    ("Chatbot i borgerservice", ["digitalisering", "borgerservice"]),
    ("Tidlig opsporing af mistrivsel i skolen", ["skole", "børn", "trivsel"]),
    ("Grønne indkøb med livscyklusberegning", ["klima", "indkøb"]),
    ("Jobcenter med virksomhedsrettet indsats", ["beskæftigelse"]),
    ("Borgerbudgetter i lokalsamfund", ["demokrati", "borgerinddragelse"]),
    ("Telemedicin for KOL-patienter", ["sundhed", "velfærdsteknologi"]),
    ("Affaldssortering med sensorer", ["klima", "teknik"]),
    ("Samskabelse med frivillige foreninger", ["borgerinddragelse", "kultur"]),
    ("Hjemmebehandling af børn med kræft", ["sundhed", "børn"]),
]
FIRST = ["Anne", "Mette", "Karen", "Hanne", "Camilla", "Louise", "Sofie", "Ida", "Mads",
         "Peter", "Jens", "Lars", "Michael", "Søren", "Rasmus", "Henrik", "Amira", "Ahmad",
         "Freja", "Emil", "Maja", "Noah", "Signe", "Troels"]
LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
        "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
        "Thomsen", "Poulsen", "Khan", "Holm", "Møller", "Lund"]
GOALS = [
    "Hvordan man får medarbejderne med, når en ny teknologi skal tages i brug.",
    "Konkrete erfaringer med at afprøve og tilpasse løsningen til en mindre kommune.",
    "Hvad der skal fjernes af gamle arbejdsgange, før det nye kan implementeres.",
    "Hvordan gevinsterne måles og høstes efter implementeringen.",
]


@dataclass
class DemoSummary:
    round_id: int
    hosts: int = 0
    seats: int = 0
    applications: int = 0
    open_to_any: int = 0
    teams: int = 0
    by_region: Counter[str] = field(default_factory=Counter)
    choices: Counter[int] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [
            f"demo round #{self.round_id}: {self.hosts} hosts with {self.seats} seats, "
            f"{self.applications} applications ({self.open_to_any} open to any host, "
            f"{self.teams} in teams of two)",
            "applications by region: " + ", ".join(
                f"{region.removeprefix('Region ')} {count}"
                for region, count in sorted(self.by_region.items())),
            "ranked choices per application: " + ", ".join(
                f"{n}: {count}" for n, count in sorted(self.choices.items())),
        ]
        return out


def _weighted_places(rng: random.Random, k: int) -> list[Municipality]:
    places = list(all_municipalities())
    return rng.choices(places, weights=[p.population for p in places], k=k)


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return first, last


def seed_demo_round(session: Session, *, applications: int = 120, hosts: int = 60,
                    random_seed: int = 37, name: str | None = None) -> DemoSummary:
    """Create an open round with ``hosts`` host offers and ``applications`` applications."""
    rng = random.Random(random_seed)
    round_ = Round(name=name or "Innovationspraktik 2027 (demo)", status=RoundStatus.OPEN,
                   weeks=WEEKS, response_days=5, default_max_km=250)
    session.add(round_)
    session.flush()
    summary = DemoSummary(round_id=round_.id)

    host_rows = []
    for index, place in enumerate(_weighted_places(rng, hosts)):
        title, topics = INNOVATIONS[index % len(INNOVATIONS)]
        first, last = _person(rng)
        capacity = rng.choices([1, 2, 3], weights=[3, 4, 3])[0]
        weeks = rng.sample(WEEKS, rng.choice([1, 2, 3]))
        host = intake.submit_host_offer(session, round_.id, {
            "organisation": f"{place.name} Kommune", "org_level": "municipality",
            "municipality_code": place.code, "lat": place.lat, "lon": place.lon,
            "innovation_title": title,
            "innovation_description": f"{title} — erfaringer fra {place.name}.",
            "topics": topics, "language": "da", "capacity": capacity,
            "min_visitors": 2 if capacity == 3 and rng.random() < 0.3 else 1,
            "weeks": sorted(weeks), "visit_days": rng.choice([2, 3, 3, 4, 5]),
            "contact_name": f"{first} {last}",
            "contact_email": f"vaert{index + 1}@{place.code}.demo.example",
        })
        host_rows.append(host)
        summary.hosts += 1
        summary.seats += capacity

    team_left = 0
    previous = None
    for index, place in enumerate(_weighted_places(rng, applications)):
        first, last = _person(rng)
        email = f"ansoeger{index + 1}@{place.code}.demo.example"
        interests = set(rng.choice(INNOVATIONS)[1])
        open_to_any = rng.random() < 0.12
        # Rank hosts the way people do: shared topics first, then nearer, with some noise.
        candidates = [h for h in host_rows if h.municipality_code != place.code]
        candidates.sort(key=lambda h: (
            -len(interests & set(h.topics)),
            haversine_km(place.lat, place.lon, h.lat, h.lon) * rng.uniform(0.6, 1.6)))
        ranked = [] if open_to_any else [h.id for h in candidates[: rng.choice([3, 4, 5, 5])]]
        team_mate = None
        if team_left and previous is not None:
            team_mate, team_left = previous.email, 0
        elif rng.random() < 0.05 and index + 1 < applications:
            team_left = 1
        application = intake.submit_application(session, round_.id, {
            "name": f"{first} {last}", "email": email,
            "organisation": f"{place.name} Kommune", "org_level": "municipality",
            "municipality_code": place.code, "lat": place.lat, "lon": place.lon,
            "learning_goal": rng.choice(GOALS), "topics": sorted(interests),
            "host_choices": ranked, "open_to_any": open_to_any,
            "weeks": sorted(rng.sample(WEEKS, rng.choice([1, 2, 3]))),
            "max_km": rng.choice([100, 150, 200, 250, 300, 400]),
            "language": "da" if rng.random() < 0.9 else "en",
            "team_mate_email": team_mate,
            "manager_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "manager_email": f"leder{index + 1}@{place.code}.demo.example",
        })
        if team_mate and previous is not None:
            # Teams are mutual: each names the other (the first could not know the address yet).
            previous.team_mate_email = application.email
        previous = application
        summary.applications += 1
        summary.open_to_any += open_to_any
        summary.teams += 1 if team_mate else 0  # counted once per pair
        summary.by_region[place.region] += 1
        summary.choices[len(ranked)] += 1
    return summary


def run_demo(*, random_seed: int = 37, database_url: str | None = None,
             applications: int = 120, hosts: int = 60) -> list[str]:
    """The main job of `make demo`; returns the lines to print.

    The round is played in a sandbox (``coordinator.demo_sandbox``): its own SQLite file
    (or ``database_url``) and its own Redis database number, with an in-process relay and RQ
    worker, so a running `make up` or a test session on the same Redis is not disturbed.
    """
    import time
    from pathlib import Path

    from flask import current_app
    from redis import Redis
    from sqlalchemy import func, select

    from coordinator import create_app, db
    from coordinator.demo_round import play_round
    from coordinator.demo_sandbox import demo_redis_url, fresh_demo_database
    from coordinator.models import Event, Message
    from workers.context import set_app

    started = time.monotonic()
    instance = Path(current_app.config.get("INSTANCE_PATH") or current_app.instance_path)
    url = database_url or fresh_demo_database(instance)
    with demo_redis_url(current_app.config["REDIS_URL"]) as redis_url:
        app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url,
                          "INSTANCE_PATH": str(instance), "EMAIL_BACKEND": "outbox",
                          "SECRET_KEY": current_app.config["SECRET_KEY"]})
        redis_conn = Redis.from_url(redis_url)
        try:
            with app.app_context():
                session = db.session()
                summary = seed_demo_round(session, applications=applications, hosts=hosts,
                                          random_seed=random_seed)
                session.commit()
                events = session.scalar(select(func.count()).select_from(Event).where(
                    Event.round_id == summary.round_id))
                messages = session.scalar(select(func.count()).select_from(Message).where(
                    Message.round_id == summary.round_id))
            played = play_round(app, redis_conn, summary.round_id, random_seed=random_seed)
        finally:
            set_app(None)
            redis_conn.close()
            app.extensions["db_engine"].dispose()
        redis_db = redis_url.rsplit("/", 1)[-1]
    return [
        f"database: {url.split('://', 1)[0]} ({url.rsplit('/', 1)[-1]}); "
        f"redis database {redis_db} (claimed for the demo, emptied after)",
        *summary.lines(),
        f"stored {events} events and {messages} queued emails at intake (backend: outbox)",
        *played,
        f"demo finished in {time.monotonic() - started:.1f} s",
    ]
