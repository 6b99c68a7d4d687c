"""Which group may attend which session, and at what travel cost (numpy, all pairs at once).

A pair is an *arc* when it passes every per-pair hard constraint of spec section 2 (timing,
availability, language) and the ``max_km`` option. Groups left without any arc in a half get
their reason here; capacity reasons come later, from the solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.geo import haversine_km, haversine_km_array, whole_km
from solver.workshops.model import FOLLOWUP, PREP, WorkshopProblem

_EDGE = 1e-7  # distances this close to a rounding or max_km edge are recomputed by the scalar code


@dataclass(frozen=True)
class HalfArcs:
    """Arcs of one half (all prep sessions, or all follow-up sessions)."""

    kind: str
    sessions: np.ndarray  # global session index per local session
    g: np.ndarray  # group index per arc
    j: np.ndarray  # local session index per arc
    cost: np.ndarray  # group's summed whole km per arc
    capacity: np.ndarray  # per local session
    min_fill: np.ndarray  # per local session
    place: np.ndarray | None = None  # per local session: sessions at one location share a label


@dataclass(frozen=True)
class Arcs:
    sizes: np.ndarray
    halves: dict[str, HalfArcs]
    reasons: dict[int, list[str]]  # group index -> reasons it cannot attend some half at all


def wording(kind: str, before: int, after: int) -> tuple[str, str, str]:
    """(name of the half, its timing rule, "early/late enough") for human-readable reasons."""
    if kind == PREP:
        return "prep", f"at least {before} days before the visit week", "early enough"
    return "follow-up", f"at least {after} days after the visit week", "late enough"


def build_arcs(problem: WorkshopProblem) -> Arcs:
    settings = problem.settings
    groups, people = problem.groups, [p for g in problem.groups for p in g.people]
    sizes = np.array([g.size for g in groups], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    plat = np.array([p.lat for p in people], dtype=float)
    plon = np.array([p.lon for p in people], dtype=float)
    default_limit = settings.max_km if settings.max_km is not None else np.inf
    plimit = np.array([p.max_km if p.max_km is not None else default_limit for p in people], dtype=float)
    languages = {lang: k for k, lang in enumerate(sorted({x.language for x in (*groups, *problem.sessions) if x.language}))}
    glang = np.array([languages.get(g.language, -1) for g in groups], dtype=np.int64)
    monday = np.array([g.monday.toordinal() for g in groups], dtype=np.int64)
    sunday = np.array([g.sunday.toordinal() for g in groups], dtype=np.int64)
    halves: dict[str, HalfArcs] = {}
    reasons: dict[int, list[str]] = {}
    for kind in (PREP, FOLLOWUP):
        sidx = np.array([k for k, s in enumerate(problem.sessions) if s.kind == kind], dtype=np.int64)
        sess = [problem.sessions[k] for k in sidx]
        m = len(sess)
        sdate = np.array([s.date.toordinal() for s in sess], dtype=np.int64)
        if kind == PREP:
            timing = (monday[:, None] - sdate[None, :]) >= settings.min_days_before
        else:
            timing = (sdate[None, :] - sunday[:, None]) >= settings.min_days_after
        slang = np.array([languages.get(s.language, -1) for s in sess], dtype=np.int64)
        lang_ok = (glang[:, None] < 0) | (slang[None, :] < 0) | (glang[:, None] == slang[None, :])
        avail = np.ones((len(groups), m), dtype=bool)
        for gi, g in enumerate(groups):
            off = [d.toordinal() for p in g.people for d in p.unavailable]
            if off:
                avail[gi] = ~np.isin(sdate, off)
        if people and m:
            slat = np.array([s.lat for s in sess], dtype=float)
            slon = np.array([s.lon for s in sess], dtype=float)
            dist = haversine_km_array(plat[:, None], plon[:, None], slat[None, :], slon[None, :])
            km = np.floor(dist + 0.5)
            within = dist <= plimit[:, None]
            # Keep the checker's scalar arithmetic authoritative at the edges.
            edge = (np.abs(dist - np.floor(dist) - 0.5) < _EDGE) | (np.abs(dist - plimit[:, None]) < _EDGE)
            for pi, sj in zip(*np.nonzero(edge), strict=True):
                exact = haversine_km(plat[pi], plon[pi], sess[sj].lat, sess[sj].lon)
                km[pi, sj] = whole_km(exact)
                within[pi, sj] = exact <= plimit[pi]
            cost = np.add.reduceat(km, starts, axis=0).astype(np.int64) if len(groups) else km
            near = np.minimum.reduceat(within.astype(np.int8), starts, axis=0).astype(bool)
        else:
            within = np.zeros((len(people), m), dtype=bool)
            cost = np.zeros((len(groups), m), dtype=np.int64)
            near = np.zeros((len(groups), m), dtype=bool)
        ok = timing & lang_ok & avail & near
        gi, lj = np.nonzero(ok)
        halves[kind] = HalfArcs(
            kind,
            sidx,
            gi.astype(np.int64),
            lj.astype(np.int64),
            cost[gi, lj].astype(np.int64),
            np.array([s.capacity for s in sess], dtype=np.int64),
            np.array([s.min_fill for s in sess], dtype=np.int64),
            np.unique(np.array([(s.lat, s.lon) for s in sess], dtype=float).reshape(m, 2), axis=0,
                      return_inverse=True)[1].reshape(m).astype(np.int64),
        )
        word, when, enough = wording(kind, settings.min_days_before, settings.min_days_after)
        for g in np.nonzero(~ok.any(axis=1))[0]:
            group = groups[g]
            if not timing[g].any():
                why = f"no {word} session is {when} {group.week}"
            elif not (timing[g] & lang_ok[g]).any():
                why = f"no {word} session {enough} is in language {group.language!r}"
            elif not (timing[g] & lang_ok[g] & avail[g]).any():
                dates = {int(d) for d in sdate[timing[g] & lang_ok[g]]}
                who = [p.id for p in group.people if any(d.toordinal() in dates for d in p.unavailable)]
                why = f"a member is unavailable on every {word} date that fits ({', '.join(who)})"
            else:
                fits = timing[g] & lang_ok[g] & avail[g]
                rows = range(starts[g], starts[g] + sizes[g])
                who = [people[r].id for r in rows if not within[r, fits].all()]
                why = f"every {word} session that fits is farther than max_km for {', '.join(who)}"
            reasons.setdefault(int(g), []).append(why)
    return Arcs(sizes, halves, reasons)
