"""Propose workshop sessions when the coordinator has not fixed them yet (facility location).

Given the groups, candidate venues (municipalities: id, name, lat, lon) and the allowed dates
per kind, choose at most ``k`` sessions (venue + date) per kind, each seating ``capacity``
people, so that every group that can attend some candidate at all is seated and the total
travel is least. Per kind this is a capacitated k-median problem; it is solved as a MIP
(HiGHS, open flag per candidate, at most k open) started from nothing, and when the MIP does
not finish in time a greedy k-median (add the candidate that saves the most km, k times) is
used instead. The result's ``sessions`` are ready to put into an ``internship-workshops/1``
instance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from solver.errors import Problems
from solver.workshops.codec import FORMAT, parse_problem
from solver.workshops.eligibility import HalfArcs, build_arcs
from solver.workshops.half import solve_half
from solver.workshops.mip import solve_assignment
from solver.workshops.model import KINDS


@dataclass(frozen=True)
class Proposal:
    sessions: tuple[dict[str, Any], ...]
    status: str  # OPTIMAL when both kinds were solved to optimality, else FEASIBLE
    total_km: int  # travel of the groups that can be seated, to both proposed sessions
    unseated: tuple[str, ...]  # groups no candidate can serve (timing, availability, max_km)


def _validate_venues(venues: Any, dates: Any, k: int, capacity: int) -> None:
    bad = Problems()
    if not isinstance(venues, list) or not venues:
        bad.add("venues", "must be a non-empty list")
        venues = []
    seen = set()
    for n, venue in enumerate(venues):
        if not isinstance(venue, dict) or not isinstance(venue.get("id"), str) or not venue["id"]:
            bad.add(f"venues[{n}].id", "must be a non-empty string")
            continue
        if venue["id"] in seen:
            bad.add(f"venues[{n}].id", f"duplicate id {venue['id']!r}")
        seen.add(venue["id"])
    if not isinstance(dates, dict) or set(dates) - set(KINDS):
        bad.add("dates", "must be an object with 'prep' and 'followup' lists of dates")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        bad.add("k", "must be an integer >= 1")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        bad.add("capacity", "must be an integer >= 1")
    bad.raise_if_any()


def _greedy_open(half: HalfArcs, n: int, k: int) -> np.ndarray:
    """Greedy k-median, capacity ignored: repeatedly open the candidate that saves most km."""
    m = len(half.capacity)
    far = 1e12  # stands for "cannot attend"; finite so that differences stay well defined
    cost = np.full((n, m), far)
    cost[half.g, half.j] = half.cost
    best = np.full(n, far)
    opened: list[int] = []
    for _ in range(min(k, m)):
        served = best < far
        gain = [
            (int(np.sum(~served & (cost[:, sj] < far))),
             float(np.sum(np.where(served, np.maximum(best - cost[:, sj], 0), 0))), -sj)
            for sj in range(m) if sj not in opened
        ]
        pick = -max(gain)[2]
        opened.append(pick)
        best = np.minimum(best, cost[:, pick])
    return np.array(sorted(opened), dtype=np.int64)


def propose_sessions(
    groups: list[dict[str, Any]], venues: list[dict[str, Any]], dates: dict[str, list[str]],
    k: int, capacity: int, *, settings: dict[str, Any] | None = None, language: str | None = None,
    time_limit_s: float = 30.0,
) -> Proposal:
    """Choose at most ``k`` sessions per kind among venue x date candidates (see module doc).

    ``groups`` and ``settings`` are as in ``internship-workshops/1``; invalid input raises
    InvalidInput with JSON paths; a ``k`` and ``capacity`` too small to seat every group that
    has a candidate raise ValueError.
    """
    _validate_venues(venues, dates, k, capacity)
    deadline = time.monotonic() + time_limit_s
    candidates = [
        {"id": f"{kind}-{venue['id']}-{day}", "kind": kind, "date": day, "lat": venue.get("lat"),
         "lon": venue.get("lon"), "capacity": capacity, "language": language,
         **({"venue": venue.get("name", venue["id"])} if venue.get("name") else {})}
        for kind in KINDS for day in dates.get(kind, []) for venue in venues
    ]
    instance = {"format": FORMAT, "groups": groups, "sessions": candidates, "settings": settings or {}}
    problem = parse_problem(instance)  # validates groups, settings, dates and coordinates
    arcs = build_arcs(problem)
    n = len(problem.groups)
    has = [np.bincount(arcs.halves[kind].g, minlength=n) > 0 for kind in KINDS]
    seated = np.nonzero(has[0] & has[1])[0]
    remap = np.full(n, -1, dtype=np.int64)
    remap[seated] = np.arange(len(seated))
    chosen, total, proven = [], 0, True
    for index, kind in enumerate(KINDS):
        half = arcs.halves[kind]
        mask = remap[half.g] >= 0
        g, j, cost = remap[half.g[mask]], half.j[mask], half.cost[mask]
        sizes = arcs.sizes[seated]
        now = time.monotonic()
        share = now + (deadline - now) * (0.5 if index == 0 else 1.0)
        out = solve_assignment(
            g, j, cost, sizes, half.capacity, np.zeros_like(half.capacity), len(seated),
            now + 0.7 * (share - now), max_open=k,
        )
        if out.choice is not None:
            picks, km, proven = out.choice, out.value, proven and out.status == "OPTIMAL"
        else:
            proven = False
            keep = np.isin(j, _greedy_open(HalfArcs(kind, half.sessions, g, j, cost, half.capacity,
                                                    half.min_fill), len(seated), k))
            sol = solve_half(g[keep], j[keep], cost[keep], sizes, half.capacity, half.min_fill,
                             len(seated), share)
            if sol.status not in ("OPTIMAL", "FEASIBLE") or np.any(np.bincount(g[keep], minlength=len(seated)) == 0):
                raise ValueError(f"cannot seat every group in {k} {kind} sessions of {capacity}; raise k or capacity")
            picks, km = sol.choice, sol.cost
        total += km
        for sj in sorted(set(picks.tolist())):
            chosen.append(problem.sessions[int(half.sessions[sj])].id)
    by_id = {c["id"]: c for c in candidates}
    unseated = tuple(problem.groups[gi].id for gi in range(n) if not (has[0][gi] and has[1][gi]))
    return Proposal(tuple(by_id[sid] for sid in chosen), "OPTIMAL" if proven else "FEASIBLE",
                    int(total), unseated)




def main(argv: list[str] | None = None) -> int:
    """``python -m solver.workshops.propose REQUEST.json [-o INSTANCE.json]``.

    REQUEST is an ``internship-workshops/1`` instance without sessions plus ``venues``,
    ``dates`` ({"prep": [...], "followup": [...]}), ``k`` and ``capacity`` (optional
    ``language``); the output is the same instance with the proposed ``sessions``, ready for
    ``python -m solver workshops``. Exit codes as the main CLI: 0, 2 invalid input, 3 no session.
    """
    import argparse
    import json
    import sys
    from pathlib import Path

    from solver.cli import load_json
    from solver.errors import InvalidInput

    parser = argparse.ArgumentParser(prog="python -m solver.workshops.propose")
    parser.add_argument("request")
    parser.add_argument("-o", "--output")
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        request = load_json(args.request)
        if not isinstance(request, dict):
            raise InvalidInput(["$: must be a JSON object"])
        known = {key: request.get(key) for key in ("venues", "dates", "k", "capacity")}
        proposal = propose_sessions(
            request.get("groups"), known["venues"], known["dates"], known["k"], known["capacity"],
            settings=request.get("settings"), language=request.get("language"),
            time_limit_s=args.time_limit,
        )
    except InvalidInput as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    instance = {key: value for key, value in request.items() if key not in ("venues", "dates", "k", "capacity", "language")}
    instance["sessions"] = list(proposal.sessions)
    print(json.dumps({"status": proposal.status, "total_km": proposal.total_km,
                      "unseated": list(proposal.unseated)}), file=sys.stderr)
    text = json.dumps(instance, ensure_ascii=False, indent=1) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0 if proposal.sessions else 3


if __name__ == "__main__":
    raise SystemExit(main())
