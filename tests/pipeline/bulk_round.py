"""A big round stored straight into the tables (thousands of rows in a second or two), for
tests that need a solve that runs long enough to be watched; the demo seeder goes through
the intake services and is too slow for that."""

from __future__ import annotations

import random

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from coordinator.models import Application, ApplicationChoice, Event, Host, Round, RoundStatus
from coordinator.services.rounds import transition_round

WEEKS = ["2027-W36", "2027-W37", "2027-W38"]


def _spot(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(54.9, 57.4), rng.uniform(8.3, 12.5)


def bulk_matching_round(session: Session, *, applications: int, hosts: int,
                        time_limit_s: float, seed: int = 7) -> int:
    """A round in ``matching`` whose solve (event ``round.matching``) is waiting; its id.

    Everyone is open to any host, so the solve gets every host within reach as an arc (the
    large-instance path); with a mix, the encoder writes a forbidden pair per unranked host
    within reach of each applicant who is not open to other hosts. Either way encoding
    1,500 x 600 takes 0.23-1.6 s of CPU (docs/performance.md, "Encoding a round"), so the
    time a test watches is the solver's.
    """
    rng = random.Random(seed)
    round_ = Round(name="Bulk round", status=RoundStatus.OPEN, weeks=WEEKS)
    session.add(round_)
    session.flush()
    host_rows = []
    for index in range(hosts):
        lat, lon = _spot(rng)
        host_rows.append({
            "round_id": round_.id, "organisation": f"Vært {index}", "org_level": "municipality",
            "lat": lat, "lon": lon, "innovation_title": f"Innovation {index}",
            "innovation_description": "-", "topics": ["digitalisering"], "language": "da",
            "capacity": rng.choice([1, 2, 3]), "min_visitors": 1,
            "weeks": sorted(rng.sample(WEEKS, rng.choice([1, 2, 3]))), "visit_days": 3,
            "contact_name": f"Kontakt {index}", "contact_email": f"host{index}@bulk.example"})
    session.execute(insert(Host), host_rows)
    host_ids = list(session.scalars(select(Host.id).where(Host.round_id == round_.id)))
    app_rows = []
    for index in range(applications):
        lat, lon = _spot(rng)
        app_rows.append({
            "round_id": round_.id, "name": f"Ansøger {index}",
            "email": f"visitor{index}@bulk.example", "organisation": "Kommune",
            "org_level": "municipality", "lat": lat, "lon": lon, "learning_goal": "-",
            "topics": ["digitalisering"], "open_to_any": True,
            "weeks": sorted(rng.sample(WEEKS, rng.choice([1, 2, 3]))),
            "max_km": rng.choice([150, 250, 400]), "language": "da",
            "manager_name": "Leder", "manager_email": f"manager{index}@bulk.example"})
    session.execute(insert(Application), app_rows)
    app_ids = list(session.scalars(select(Application.id).where(
        Application.round_id == round_.id)))
    session.execute(insert(ApplicationChoice), [
        {"application_id": app_id, "rank": rank + 1, "host_id": host_id}
        for app_id in app_ids for rank, host_id in enumerate(rng.sample(host_ids, 5))])
    transition_round(session, round_, RoundStatus.CLOSED, None)
    transition_round(session, round_, RoundStatus.MATCHING, None)
    session.flush()
    event = session.scalars(select(Event).where(Event.round_id == round_.id,
                                                Event.kind == "round.matching")).one()
    event.payload = {**event.payload, "time_limit_s": time_limit_s}
    session.commit()
    return round_.id
