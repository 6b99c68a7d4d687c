"""Shared helpers of the workshop tests: random tiny instances and a brute-force optimum."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

from solver.workshops.check import _km, _pair_problems
from solver.workshops.codec import parse_problem
from solver.workshops.model import FOLLOWUP, PREP

TOWNS = [
    ("aarhus", 56.1567, 10.2108), ("vejle", 55.7093, 9.5357), ("hellerup", 55.7310, 12.5700),
    ("odense", 55.3959, 10.3883), ("aalborg", 57.0488, 9.9217), ("roskilde", 55.6419, 12.0878),
    ("esbjerg", 55.4765, 8.4594),
]


def random_instance(
    seed: int, n_groups: int = 4, n_prep: int = 2, n_follow: int = 2, *, capacity: tuple[int, int] = (3, 8),
    min_fill: bool = False, max_km: bool = False, keep: bool = False, places: int = len(TOWNS),
) -> dict[str, Any]:
    """Groups of 1-4 people around Denmark, weeks 36-38, awkward dates, languages, capacities.

    ``places`` < 7 puts several sessions in one town (pooled by the solver).
    """
    rnd = random.Random(seed)
    groups = []
    for k in range(n_groups):
        week = rnd.choice([36, 37, 38])
        people = []
        for i in range(rnd.randint(1, 4)):
            off = [f"2027-08-{d:02d}" for d in rnd.sample(range(16, 31), rnd.choice([0, 0, 1, 3]))]
            off += [f"2027-10-{d:02d}" for d in rnd.sample(range(1, 20), rnd.choice([0, 0, 1, 3]))]
            person = {"id": f"p{k}.{i}", "lat": round(rnd.uniform(54.6, 57.7), 4),
                      "lon": round(rnd.uniform(8.1, 12.7), 4), "unavailable": off}
            if max_km and rnd.random() < 0.3:
                person["max_km"] = rnd.choice([80, 150, 250])
            people.append(person)
        groups.append({"id": f"g{k}", "host": f"h{k}", "week": f"2027-W{week}", "people": people,
                       "language": rnd.choice(["da", "da", "en", None])})
    sessions = []
    for kind, count, base in ((PREP, n_prep, dt.date(2027, 8, 20)), (FOLLOWUP, n_follow, dt.date(2027, 9, 22))):
        for s in range(count):
            _, lat, lon = rnd.choice(TOWNS[:places])
            session = {"id": f"{kind}{s}", "kind": kind,
                       "date": (base + dt.timedelta(days=rnd.randint(0, 14))).isoformat(),
                       "lat": lat, "lon": lon, "capacity": rnd.randint(*capacity),
                       "language": rnd.choice(["da", "da", "en", None])}
            if min_fill and rnd.random() < 0.5:
                session["min_fill"] = rnd.randint(1, session["capacity"])
            sessions.append(session)
    settings: dict[str, Any] = {"min_days_before": rnd.choice([0, 7, 14]),
                                "min_days_after": rnd.choice([0, 7]), "workers": 1}
    if max_km:
        settings["max_km"] = rnd.choice([150, 300])
    instance = {"format": "internship-workshops/1", "groups": groups, "sessions": sessions,
                "settings": settings}
    if keep:
        settings["keep"] = True
        instance["previous"] = [
            {"group": g["id"], "prep": rnd.choice(sessions[:n_prep])["id"],
             "followup": rnd.choice(sessions[n_prep:])["id"]}
            for g in groups if rnd.random() < 0.7 and n_prep and n_follow
        ]
    return instance


def brute_force(instance: dict[str, Any]) -> dict[str, int]:
    """Lexicographic optimum by enumerating every group's (prep, follow-up) or nothing."""
    problem = parse_problem(instance)
    options = []
    for group in problem.groups:
        ok = {kind: [s for s in problem.sessions if s.kind == kind and not _pair_problems(problem, group, s, kind)]
              for kind in (PREP, FOLLOWUP)}
        pairs = [(p, f, _km(group, p) + _km(group, f)) for p in ok[PREP] for f in ok[FOLLOWUP]]
        options.append([None, *pairs])
    previous = {p.group: (p.prep, p.followup) for p in problem.previous} if problem.settings.keep else {}
    best = None
    for combo in itertools.product(*options):
        load: dict[str, int] = {}
        for group, pick in zip(problem.groups, combo, strict=True):
            if pick:
                for s in pick[:2]:
                    load[s.id] = load.get(s.id, 0) + group.size
        sessions = {s.id: s for s in problem.sessions}
        if any(v > sessions[k].capacity or v < sessions[k].min_fill for k, v in load.items()):
            continue
        scheduled = sum(1 for pick in combo if pick)
        kept = sum(1 for g, pick in zip(problem.groups, combo, strict=True)
                   if pick and previous.get(g.id) == (pick[0].id, pick[1].id))
        km = sum(pick[2] for pick in combo if pick)
        key = (-scheduled, -kept, km)
        if best is None or key < best:
            best = key
    out = {"scheduled": -best[0], "total_km": best[2]}
    if problem.settings.keep:
        out["kept"] = -best[1]
    return out
