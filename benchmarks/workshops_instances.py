"""Realistic synthetic workshop instances (internship-workshops/1) for benchmarks and demos.

Placement groups of 2-4 people (a host contact and its visitors, who live within 250 km of the
host) around Denmark, weeks 2027-W36..W39 (mostly W37); sessions in regional towns, preps in the
second half of August, follow-ups in October; a few English-speaking groups and sessions; about
one person in ten unavailable on a couple of session dates.

    python benchmarks/workshops_instances.py 5000 60 --slack 1.15 -o inst.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

import numpy as np

from solver.geo import haversine_km_array

# (name, lat, lon, weight ~ population in thousands)
TOWNS = [
    ("Copenhagen", 55.6761, 12.5683, 650), ("Aarhus", 56.1567, 10.2108, 360), ("Odense", 55.3959, 10.3883, 205),
    ("Aalborg", 57.0488, 9.9217, 220), ("Esbjerg", 55.4765, 8.4594, 115), ("Vejle", 55.7093, 9.5357, 118),
    ("Randers", 56.4607, 10.0364, 98), ("Kolding", 55.4904, 9.4722, 94), ("Horsens", 55.8607, 9.8503, 96),
    ("Herning", 56.1393, 8.9738, 90), ("Roskilde", 55.6419, 12.0878, 90), ("Hellerup", 55.7310, 12.5700, 75),
    ("Silkeborg", 56.1697, 9.5451, 96), ("Naestved", 55.2299, 11.7609, 84), ("Viborg", 56.4532, 9.4020, 97),
    ("Holbaek", 55.7175, 11.7128, 72), ("Slagelse", 55.4028, 11.3546, 79), ("Hjoerring", 57.4642, 9.9823, 64),
    ("Sonderborg", 54.9138, 9.7922, 74), ("Svendborg", 55.0598, 10.6068, 58), ("Thisted", 56.9552, 8.6946, 43),
    ("Frederikshavn", 57.4407, 10.5366, 59), ("Hillerod", 55.9267, 12.3109, 52), ("Ringkobing", 56.0897, 8.2440, 56),
]
VENUES = ["Aarhus", "Vejle", "Hellerup", "Odense", "Aalborg", "Roskilde", "Esbjerg", "Herning", "Kolding",
          "Naestved"]


def _places(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    weight = np.array([t[3] for t in TOWNS], dtype=float)
    town = rng.choice(len(TOWNS), size=count, p=weight / weight.sum())
    lat = np.array([t[1] for t in TOWNS])[town] + rng.normal(0, 0.08, count)
    lon = np.array([t[2] for t in TOWNS])[town] + rng.normal(0, 0.13, count)
    return np.clip(lat, 54.6, 57.7), np.clip(lon, 8.1, 12.7)


def _weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = (end - start).days + 1
    return [d for d in (start + dt.timedelta(k) for k in range(days)) if d.weekday() < 5]


def make_instance(
    n_groups: int, n_sessions: int, *, seed: int = 0, slack: float = 1.15, english: float = 0.08,
    unavailable: float = 0.1, min_fill: int = 0,
) -> dict[str, Any]:
    """``slack`` = seats per half / people; below 1 not every group can be scheduled."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([2, 3, 4], size=n_groups, p=[0.45, 0.35, 0.2])
    hlat, hlon = _places(rng, n_groups)
    prep_days = _weekdays(dt.date(2027, 8, 16), dt.date(2027, 8, 31))
    follow_days = _weekdays(dt.date(2027, 10, 4), dt.date(2027, 10, 29))
    weeks = rng.choice([36, 37, 38, 39], size=n_groups, p=[0.1, 0.7, 0.15, 0.05])
    groups = []
    for g in range(n_groups):
        vlat, vlon = _places(rng, 4 * int(sizes[g]))
        near = haversine_km_array(vlat, vlon, hlat[g], hlon[g]) <= 250
        vlat, vlon = vlat[near][: sizes[g] - 1], vlon[near][: sizes[g] - 1]
        people = [(f"h{g}", hlat[g], hlon[g])] + [(f"v{g}.{k}", a, b) for k, (a, b) in enumerate(zip(vlat, vlon, strict=True))]
        out = []
        for pid, lat, lon in people:
            off = []
            if rng.random() < unavailable:
                off = sorted({d.isoformat() for d in rng.choice(prep_days + follow_days, size=2)})
            out.append({"id": pid, "lat": round(float(lat), 5), "lon": round(float(lon), 5), "unavailable": off})
        groups.append({"id": f"h{g}@2027-W{weeks[g]}", "host": f"h{g}", "week": f"2027-W{weeks[g]}",
                       "people": out, "language": "en" if rng.random() < english else "da"})
    people = sum(len(g["people"]) for g in groups)
    sessions = []
    town = {t[0]: t for t in TOWNS}
    for kind, days in (("prep", prep_days), ("followup", follow_days)):
        count = n_sessions // 2
        seats = rng.uniform(0.7, 1.3, count)
        seats = np.maximum(1, np.floor(seats / seats.sum() * people * slack)).astype(int)
        for s in range(count):
            name, lat, lon, _ = town[VENUES[s % len(VENUES)]]
            language = "en" if s % 10 == 9 else ("da" if s % 3 else None)
            session = {"id": f"{kind}-{name.lower()}-{s}", "kind": kind, "date": days[(s * 7) % len(days)].isoformat(),
                       "lat": lat, "lon": lon, "capacity": int(seats[s]), "language": language}
            if min_fill:
                session["min_fill"] = min(min_fill, int(seats[s]))
            sessions.append(session)
    return {"format": "internship-workshops/1", "groups": groups, "sessions": sessions,
            "settings": {"min_days_before": 7, "min_days_after": 7}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("groups", type=int)
    parser.add_argument("sessions", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slack", type=float, default=1.15)
    parser.add_argument("--min-fill", type=int, default=0)
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    doc = make_instance(args.groups, args.sessions, seed=args.seed, slack=args.slack, min_fill=args.min_fill)
    text = json.dumps(doc)
    if args.output == "-":
        print(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
