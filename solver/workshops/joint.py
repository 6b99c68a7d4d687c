"""Both halves in one MIP, for when they are coupled through the scheduled level.

Needed when not every candidate group fits in both halves (then *which* groups get scheduled
matters to both) or when ``keep`` counts groups whose prep AND follow-up stay unchanged.
Lexicographic levels are solved one after another (HiGHS, :mod:`solver.workshops.mip`), each
fixing the level above at the value found. Bounds stay honest: a level's bound is reported only
when the constraint it was proven under contains the lexicographic optimum; otherwise the
trivial bound (all candidates, all previous groups, 0 km) is reported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.workshops.eligibility import Arcs
from solver.workshops.mip import LinearModel, add_sessions, valid
from solver.workshops.model import FOLLOWUP, KINDS, PREP


@dataclass(frozen=True)
class JointSolution:
    choice: dict[str, np.ndarray]
    proven: bool
    bound_scheduled: int
    bound_kept: int | None
    bound_km: int


class LevelBounds:
    """The bounds of a lexicographic solve (scheduled, then kept, then km), level by level,
    kept honest: a level's own bound is reported only when the floors it ran under contain
    the lexicographic optimum, otherwise the trivial one. Shared by the MIP and CP-SAT."""

    def __init__(self, levels: int, candidates: int, kept: int, with_previous: bool,
                 km_under_kept: bool) -> None:
        self.levels, self.candidates, self.kept = levels, candidates, kept
        self.with_previous, self.km_under_kept = with_previous, km_under_kept
        self.bounds: dict[str, int] = {}
        self.proven_above, self.scheduled_proven = True, False

    def unsolved(self) -> None:
        """A level found nothing: no bound from here on is proven."""
        self.proven_above = False

    def record(self, name: str, bound: float, maximise: bool, optimal: bool) -> None:
        self.bounds[name] = math.floor(bound + 1e-6) if maximise else math.ceil(bound - 1e-6)
        if name == "kept" and not self.proven_above:
            self.bounds[name] = self.kept  # a kept bound under an unproven scheduled level
        if name == "km" and self.km_under_kept and not self.scheduled_proven:
            self.bounds[name] = 0  # the kept floor it ran under may exclude the lex optimum
        self.proven_above = self.proven_above and optimal
        self.scheduled_proven = self.scheduled_proven or (
            name == "scheduled" and self.proven_above)

    def solution(self, choice: dict[str, np.ndarray]) -> JointSolution:
        return JointSolution(
            choice,
            self.proven_above and len(self.bounds) == self.levels,
            self.bounds.get("scheduled", self.candidates),
            self.bounds.get("kept", self.kept) if self.with_previous else None,
            self.bounds.get("km", 0),
        )


def build_joint(lm: LinearModel, arcs: Arcs, candidates: np.ndarray) -> tuple[np.ndarray, dict]:
    """y per group (-1: not a candidate) and per half (g, j, cost, x, HalfArcs) of the arcs."""
    y = np.full(len(arcs.sizes), -1, dtype=np.int64)
    y[candidates] = lm.add_binaries(len(candidates))
    halves = {}
    for kind in KINDS:
        half = arcs.halves[kind]
        mask = y[half.g] >= 0
        g, j, cost = half.g[mask], half.j[mask], half.cost[mask]
        x = lm.add_binaries(len(g))
        order = np.argsort(g, kind="stable")
        start = np.searchsorted(g[order], candidates)
        stop = np.searchsorted(g[order], candidates, side="right")
        for gi, a, b in zip(candidates.tolist(), start.tolist(), stop.tolist(), strict=True):
            lm.add_row([*x[order[a:b]], y[gi]], [*np.ones(b - a), -1.0], 0.0, 0.0)
        add_sessions(lm, x, g, j, arcs.sizes, half.capacity, half.min_fill)
        halves[kind] = (g, j, cost, x, half)
    return y, halves


def solve_joint(
    arcs: Arcs, candidates: np.ndarray, previous: dict[int, tuple[int, int]] | None,
    fallback: dict[str, np.ndarray], deadline: float,
    improve: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray] | None] | None = None,
) -> JointSolution:
    """Lexicographic optimum over candidates; ``fallback`` is returned if nothing better is found.

    ``improve`` (without keep) re-optimises the travel of a schedule for its scheduled set; its
    result becomes the incumbent of the km level and a cut-off row for the MIP, so the km level
    is won even when HiGHS runs out of time there.
    """
    n = len(arcs.sizes)
    lm = LinearModel()
    y, halves = build_joint(lm, arcs, candidates)
    kept_vars = []
    for gi, (p, f) in (previous or {}).items():
        hits = []
        for kind, sj in ((PREP, p), (FOLLOWUP, f)):
            g, j, _, x, _ = halves[kind]
            hit = np.nonzero((g == gi) & (j == sj))[0]
            hits.extend(x[hit[:1]].tolist())
        if len(hits) == 2:
            k = int(lm.add_binaries(1)[0])
            kept_vars.append(k)
            for var in hits:
                lm.add_row([k, var], [1.0, -1.0], upper=0.0)

    def read(values: np.ndarray) -> dict[str, np.ndarray] | None:
        out = {}
        attend = np.zeros(n, dtype=np.int64)
        attend[candidates] = values[y[candidates]]
        for kind in KINDS:
            g, j, _, x, half = halves[kind]
            on = values[x]
            if not valid(on, g, j, arcs.sizes, half.capacity, half.min_fill, n, attend=attend):
                return None
            out[kind] = np.full(n, -1, dtype=np.int64)
            out[kind][g[on]] = j[on]
        return out

    def km_of(choice: dict[str, np.ndarray]) -> int:
        total = 0
        for kind in KINDS:
            g, j, cost, _, _ = halves[kind]
            total += int(cost[choice[kind][g] == j].sum())
        return total

    km_index = np.concatenate([halves[k][3] for k in KINDS])
    km_cost = np.concatenate([halves[k][2] for k in KINDS])
    levels = [("scheduled", y[candidates], np.ones(len(candidates)), True)]
    if kept_vars:
        levels.append(("kept", np.array(kept_vars), np.ones(len(kept_vars)), True))
    levels.append(("km", km_index, km_cost, False))
    choice = fallback
    bounds = LevelBounds(len(levels), len(candidates), len(kept_vars), previous is not None,
                         km_under_kept=bool(kept_vars))
    for index, (name, idx, coef, maximise) in enumerate(levels):
        if name == "km" and improve is not None and not kept_vars:
            better = improve(choice)
            if better is not None and km_of(better) <= km_of(choice):
                choice = better
                lm.add_row(idx, coef, upper=km_of(better))
        lm.set_objective(idx, coef, maximise)
        now = time.monotonic()
        share = (deadline - now) * (0.5 if index < len(levels) - 1 else 1.0)
        run = lm.solve(now + share)
        found = read(run.values) if run.values is not None else None
        if found is None:
            bounds.unsolved()
            break
        choice = found
        value = int(round(float(coef @ run.values[idx])))
        optimal = run.status == "OPTIMAL"
        bounds.record(name, value if optimal else run.bound, maximise, optimal)
        if maximise:
            lm.add_row(idx, coef, lower=value)
        else:
            lm.add_row(idx, coef, upper=value)
    return bounds.solution(choice)
