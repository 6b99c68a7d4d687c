"""Turn chosen sessions into the result: schedule, reasons for every unscheduled group, load."""

from __future__ import annotations

import numpy as np

from solver.workshops.eligibility import Arcs, wording
from solver.workshops.model import (
    KINDS,
    PREP,
    Levels,
    ScheduledGroup,
    Unscheduled,
    WorkshopProblem,
    WorkshopResult,
)


def _loads(arcs: Arcs, choice: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for kind in KINDS:
        load = np.zeros(len(arcs.halves[kind].capacity), dtype=np.int64)
        on = choice[kind] >= 0
        np.add.at(load, choice[kind][on], arcs.sizes[on])
        out[kind] = load
    return out


def _capacity_reasons(problem, arcs, gi, loads, proven) -> list[str]:
    """Why a group with eligible sessions in both halves still is not scheduled."""
    settings, size, reasons = problem.settings, int(arcs.sizes[gi]), []
    for kind in KINDS:
        half = arcs.halves[kind]
        fits = half.j[half.g == gi]
        word, _, enough = wording(kind, settings.min_days_before, settings.min_days_after)
        room = fits[loads[kind][fits] + size <= half.capacity[fits]]
        runnable = room[(loads[kind][room] > 0) | (half.min_fill[room] <= size)]
        if not len(room):
            reasons.append(f"every {word} session that is {enough} is full")
        elif not len(runnable):
            need = int(half.min_fill[room].min())
            reasons.append(
                f"every {word} session {enough} with room is cancelled: it needs at least {need} people"
            )
    if not reasons:
        reasons.append(
            "scheduling it would unschedule another group"
            if proven
            else "not scheduled within the time limit although sessions with room exist"
        )
    return reasons


def build_result(
    problem: WorkshopProblem, arcs: Arcs, choice: dict[str, np.ndarray], status: str,
    objective: Levels, bound: Levels, seconds: float, method: str,
) -> WorkshopResult:
    loads = _loads(arcs, choice)
    session_ids = {kind: [problem.sessions[k].id for k in arcs.halves[kind].sessions] for kind in KINDS}
    cost = {}
    for kind in KINDS:
        half = arcs.halves[kind]
        on = choice[kind][half.g] == half.j
        cost[kind] = dict(zip(half.g[on].tolist(), half.cost[on].tolist(), strict=True))
    schedule, unscheduled = [], []
    for gi, group in enumerate(problem.groups):
        p, f = int(choice[PREP][gi]), int(choice[KINDS[1]][gi])
        if p >= 0 and f >= 0:
            km = cost[PREP][gi] + cost[KINDS[1]][gi]
            schedule.append(ScheduledGroup(group.id, session_ids[PREP][p], session_ids[KINDS[1]][f], km))
        else:
            why = arcs.reasons.get(gi) or _capacity_reasons(problem, arcs, gi, loads, status == "OPTIMAL")
            unscheduled.append(Unscheduled(group.id, tuple(why)))
    load = {}
    for kind in KINDS:
        load.update(zip(session_ids[kind], (int(v) for v in loads[kind]), strict=True))
    cancelled = tuple(s.id for s in problem.sessions if s.min_fill > 0 and load[s.id] == 0)
    stats = {
        "groups": len(problem.groups),
        "sessions": len(problem.sessions),
        "arcs": int(sum(len(arcs.halves[k].g) for k in KINDS)),
        "seconds": round(seconds, 3),
        "method": method,
    }
    return WorkshopResult(status, tuple(schedule), tuple(unscheduled), objective, bound, load, cancelled, stats)
