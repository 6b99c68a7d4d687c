"""Independent checker: every hard constraint and every claimed number, recomputed from scratch.

Deliberately scalar and simple (no numpy, no shared solver code beyond the codec and the spec's
distance functions), so a bug in the solver's vectorised eligibility cannot hide itself here.
"""

from __future__ import annotations

from typing import Any

from solver.geo import haversine_km, whole_km
from solver.workshops.codec import RESULT_FORMAT, parse_problem
from solver.workshops.model import FOLLOWUP, PREP, Group, Session, WorkshopProblem

_STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE")


def _pair_problems(problem: WorkshopProblem, group: Group, session: Session, kind: str) -> list[str]:
    s = problem.settings
    out = []
    if session.kind != kind:
        out.append(f"{session.id} is a {session.kind} session, not {kind}")
    if kind == PREP and (group.monday - session.date).days < s.min_days_before:
        out.append(f"{session.id} ({session.date}) is less than {s.min_days_before} days before {group.monday}")
    if kind == FOLLOWUP and (session.date - group.sunday).days < s.min_days_after:
        out.append(f"{session.id} ({session.date}) is less than {s.min_days_after} days after {group.sunday}")
    if group.language and session.language and group.language != session.language:
        out.append(f"{session.id} is in {session.language!r}, the group speaks {group.language!r}")
    for person in group.people:
        if session.date in person.unavailable:
            out.append(f"{person.id} is unavailable on {session.date} ({session.id})")
        limit = person.max_km if person.max_km is not None else s.max_km
        km = haversine_km(person.lat, person.lon, session.lat, session.lon)
        if limit is not None and km > limit:
            out.append(f"{person.id} would travel {km:.1f} km > max_km {limit:g} to {session.id}")
    return out


def _km(group: Group, session: Session) -> int:
    return sum(whole_km(haversine_km(p.lat, p.lon, session.lat, session.lon)) for p in group.people)


def check_workshops_json(instance: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Problems with ``result`` as a solution of ``instance``; empty when all is well."""
    problem = parse_problem(instance)  # an invalid instance raises InvalidInput (exit 2)
    if not isinstance(result, dict):
        return ["$: result must be a JSON object"]
    bad: list[str] = []
    if result.get("format") != RESULT_FORMAT:
        bad.append(f"format: expected {RESULT_FORMAT!r}")
    if result.get("status") not in _STATUSES:
        bad.append(f"status: {result.get('status')!r} is not one of {', '.join(_STATUSES)}")
    groups = {g.id: g for g in problem.groups}
    sessions = {s.id: s for s in problem.sessions}
    load = dict.fromkeys(sessions, 0)
    seen: set[str] = set()
    total_km = 0
    chosen: dict[str, tuple[str, str]] = {}
    for k, entry in enumerate(result.get("schedule") or []):
        path = f"schedule[{k}]"
        gid = entry.get("group") if isinstance(entry, dict) else None
        if gid not in groups:
            bad.append(f"{path}.group: unknown group {gid!r}")
            continue
        if gid in seen:
            bad.append(f"{path}.group: {gid} is scheduled twice")
        seen.add(gid)
        group, km = groups[gid], 0
        for kind in (PREP, FOLLOWUP):
            sid = entry.get(kind)
            if sid not in sessions:
                bad.append(f"{path}.{kind}: unknown session {sid!r}")
                continue
            bad.extend(f"{path}.{kind}: {p}" for p in _pair_problems(problem, group, sessions[sid], kind))
            load[sid] += group.size
            km += _km(group, sessions[sid])
        chosen[gid] = (entry.get(PREP), entry.get(FOLLOWUP))
        if entry.get("km") != km:
            bad.append(f"{path}.km: claims {entry.get('km')!r}, recomputed {km}")
        total_km += km
    for sid, people in load.items():
        s = sessions[sid]
        if people > s.capacity:
            bad.append(f"load.{sid}: {people} people exceed capacity {s.capacity}")
        if 0 < people < s.min_fill:
            bad.append(f"load.{sid}: {people} people is below min_fill {s.min_fill}; run or cancel")
    if result.get("load") != load:
        bad.append("load: does not match the schedule (expected every session's people count)")
    cancelled = [s.id for s in problem.sessions if s.min_fill > 0 and load[s.id] == 0]
    if "cancelled" in result and result["cancelled"] != cancelled:
        bad.append(f"cancelled: expected {cancelled!r} (sessions with min_fill left empty)")
    unscheduled = {}
    for k, entry in enumerate(result.get("unscheduled") or []):
        gid = entry.get("group") if isinstance(entry, dict) else None
        reasons = entry.get("reasons") if isinstance(entry, dict) else None
        if gid not in groups or gid in seen or gid in unscheduled:
            bad.append(f"unscheduled[{k}].group: {gid!r} is unknown, scheduled or listed twice")
        elif not isinstance(reasons, list) or not reasons or not all(isinstance(r, str) and r for r in reasons):
            bad.append(f"unscheduled[{k}].reasons: at least one reason is required")
        unscheduled[gid] = True
    for gid in groups:
        if gid not in seen and gid not in unscheduled:
            bad.append(f"unscheduled: group {gid} is neither scheduled nor listed with a reason")
    expected = {"scheduled": len(seen), "total_km": total_km}
    if problem.settings.keep:
        expected["kept"] = sum(1 for p in problem.previous if chosen.get(p.group) == (p.prep, p.followup))
    objective, bound = result.get("objective"), result.get("bound")
    if objective != expected:
        bad.append(f"objective: claims {objective!r}, recomputed {expected!r}")
    if not isinstance(bound, dict) or set(bound) != set(expected):
        bad.append(f"bound: must have the keys {sorted(expected)}")
    else:
        bad.extend(_bound_problems(expected, bound, result.get("status")))
    return bad


def _bound_problems(expected: dict[str, int], bound: dict[str, Any], status: Any) -> list[str]:
    """The bound must not be beaten by the solution, and must equal it when OPTIMAL."""
    out = []
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in bound.values()):
        return ["bound: values must be integers"]
    if status == "OPTIMAL" and bound != expected:
        out.append(f"bound: an OPTIMAL result must have bound == objective, got {bound!r}")
    for level in ("scheduled", "kept"):
        if level in expected and bound[level] < expected[level] and bound.get("scheduled") == expected["scheduled"]:
            out.append(f"bound.{level}: {bound[level]} is below the solution's {expected[level]}")
    if bound["scheduled"] < expected["scheduled"]:
        out.append(f"bound.scheduled: {bound['scheduled']} is below the solution's {expected['scheduled']}")
    tied = bound["scheduled"] == expected["scheduled"] and bound.get("kept") == expected.get("kept")
    if tied and bound["total_km"] > expected["total_km"]:
        out.append(f"bound.total_km: {bound['total_km']} is above the solution's {expected['total_km']}")
    return out
