"""Database rows -> solver input (spec/solver-v1.md section 1) and solver ids -> row ids.

Solver ids are "a<application id>" and "h<host id>". Teams: two applications that name
each other as team_mate_email. open_to_any: the spec's allow_unranked is global, so we
keep ``allow_unranked: true`` (anyone may be placed unranked at ``unranked_cost``); an
applicant who is not open to any host is protected by forbidding every host they did not
rank, which is exact and keeps the spec's semantics for everyone else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import Application, Host, Round


def visitor_id(application_id: int) -> str:
    return f"a{application_id}"


def host_id(host_id_: int) -> str:
    return f"h{host_id_}"


def decode_id(solver_id: str) -> int:
    return int(solver_id[1:])


def build_match_instance(session: Session, round_: Round, *,
                         fixed: list[tuple[int, int]] = (),  # type: ignore[assignment]
                         forbidden: list[tuple[int, int]] = (),  # type: ignore[assignment]
                         objective: str = "canonical",
                         time_limit_s: float = 30) -> dict[str, Any]:
    hosts = list(session.scalars(select(Host).where(
        Host.round_id == round_.id, Host.status == "active").order_by(Host.id)))
    apps = list(session.scalars(select(Application).where(
        Application.round_id == round_.id, Application.status != "withdrawn")
        .order_by(Application.id)))
    host_ids = {h.id for h in hosts}
    by_email = {a.email: a for a in apps}
    visitors = []
    forbid = {(visitor_id(a), host_id(h)) for a, h in forbidden}
    for app in apps:
        mate = by_email.get(app.team_mate_email or "")
        team = None
        if mate is not None and mate.team_mate_email == app.email and mate.id != app.id:
            team = f"t{min(app.id, mate.id)}"
        ranking = [host_id(h) for h in app.ranked_host_ids if h in host_ids]
        if not app.open_to_any:
            ranked = set(ranking)
            forbid.update((visitor_id(app.id), host_id(h.id)) for h in hosts
                          if host_id(h.id) not in ranked)
        visitors.append({"id": visitor_id(app.id), "organisation": app.organisation,
                         "org_level": app.org_level, "lat": app.lat, "lon": app.lon,
                         "max_km": app.max_km, "weeks": list(app.weeks or []),
                         "ranking": ranking, "team": team})
    fixed_pairs = [[visitor_id(a), host_id(h)] for a, h in fixed]
    forbid -= {tuple(p) for p in fixed_pairs}
    return {
        "format": "internship-match/1",
        "hosts": [{"id": host_id(h.id), "organisation": h.organisation,
                   "org_level": h.org_level, "lat": h.lat, "lon": h.lon,
                   "capacity": h.capacity, "min_visitors": h.min_visitors,
                   "weeks": list(h.weeks or []), "ranking": []} for h in hosts],
        "visitors": visitors,
        "forbidden": sorted([list(p) for p in forbid]),
        "fixed": fixed_pairs,
        "settings": {"default_max_km": round_.default_max_km, "allow_unranked": True,
                     "unranked_cost": 10, "time_limit_s": time_limit_s, "workers": 1,
                     "seed": 0, "objective": objective},
    }
