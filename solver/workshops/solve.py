"""Orchestration: eligibility, then the decomposed halves (or the joint model), then reasons.

Why the decomposition is exact: a group can only be scheduled if it has an eligible session in
both halves; call those the candidates. If every candidate fits in both halves at once, the
scheduled level is at its obvious maximum (all candidates), and with the scheduled set fixed the
travel objective is a sum of two independent half problems, each solved and bounded on its own
(:mod:`solver.workshops.half`, which pools the sessions of one venue first). Only when a half
cannot take all candidates (proven by its LP or by CP-SAT) do we solve one joint model: the
pooled one (:mod:`solver.workshops.joint_pooled`), or, with ``keep`` (which links prep and
follow-up sessions) or when that finds nothing, the session-level one
(:mod:`solver.workshops.joint`).
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import numpy as np

from solver.progress import Progress, ProgressCallback, no_progress
from solver.status import Status
from solver.workshops.eligibility import Arcs, build_arcs
from solver.workshops.greedy import greedy_schedule
from solver.workshops.half import solve_half
from solver.workshops.joint import JointSolution, solve_joint
from solver.workshops.joint_cpsat import solve_joint_cpsat
from solver.workshops.joint_lp import lp_start
from solver.workshops.joint_pooled import solve_joint_pooled
from solver.workshops.lp import price
from solver.workshops.model import FOLLOWUP, KINDS, PREP, Levels, WorkshopProblem, WorkshopResult
from solver.workshops.report import build_result


def _previous_choices(problem: WorkshopProblem, arcs: Arcs) -> dict[int, tuple[int, int]]:
    group_index = {g.id: k for k, g in enumerate(problem.groups)}
    local = {}
    for kind in KINDS:
        for sj, global_index in enumerate(arcs.halves[kind].sessions.tolist()):
            local[problem.sessions[global_index].id] = (kind, sj)
    out = {}
    for prev in problem.previous:  # entries naming vanished groups or sessions cannot be kept
        gi, p, f = group_index.get(prev.group), local.get(prev.prep), local.get(prev.followup)
        if gi is not None and p and f and p[0] == PREP and f[0] == FOLLOWUP:
            out[gi] = (p[1], f[1])
    return out


def _levels(arcs: Arcs, choice: dict[str, np.ndarray], previous) -> tuple[int, int, int | None]:
    on = choice[PREP] >= 0
    km = 0
    for kind in KINDS:
        half = arcs.halves[kind]
        hit = on[half.g] & (choice[kind][half.g] == half.j)
        km += int(half.cost[hit].sum())
    kept = None
    if previous is not None:
        kept = sum(1 for gi, (p, f) in previous.items() if choice[PREP][gi] == p and choice[FOLLOWUP][gi] == f)
    return int(on.sum()), km, kept


_PARALLEL_ARCS = 100_000  # below this, starting a second process costs more than it saves (pooled halves of 600-2,000 groups take ~1 s)


def _decomposed(arcs, candidates, deadline, workers, progress, started, start=None):
    """Both halves with all candidates required; None when a half cannot take them all.

    The halves are independent, so with two workers each runs in its own process (HiGHS is
    single-threaded and holds the GIL) and gets the whole time limit.
    """
    n = len(arcs.sizes)
    remap = np.full(n, -1, dtype=np.int64)
    remap[candidates] = np.arange(len(candidates))
    jobs = {}
    for kind in KINDS:
        half = arcs.halves[kind]
        mask = remap[half.g] >= 0
        jobs[kind] = (remap[half.g[mask]], half.j[mask], half.cost[mask], arcs.sizes[candidates],
                      half.capacity, half.min_fill, len(candidates))
    first = {kind: None if start is None else start[kind][candidates] for kind in KINDS}
    places = {kind: arcs.halves[kind].place for kind in KINDS}
    parallel = (  # starting a process costs ~0.5-1 s: only worth it for big halves and budgets
        workers >= 2 and sum(len(job[0]) for job in jobs.values()) >= _PARALLEL_ARCS
        and deadline - time.monotonic() >= 3.0
    )
    solutions = {}
    if not parallel:
        # One half after the other: first make sure each can take every candidate (its LP is
        # feasible, ~0.1 s at 600 groups), so that a coupled instance does not spend seconds
        # proving one half optimal before the other turns out infeasible.
        for g, j, cost, sizes, capacity, _, count in jobs.values():
            if count and not price(g, j, cost, sizes, capacity, count, max(0.1, deadline - time.monotonic())).feasible:
                return None
    if parallel:
        try:
            with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
                futures = {kind: pool.submit(solve_half, *job, deadline, None, first[kind], places[kind])
                           for kind, job in jobs.items()}
                solutions = {kind: future.result() for kind, future in futures.items()}
        except (AssertionError, OSError, BrokenProcessPool):
            # A daemonic caller cannot start processes, and a __main__ without an import guard
            # breaks spawn: solve the halves one after the other instead.
            parallel, solutions = False, {}
    choice, statuses, bound_km, methods = {}, [], 0, []
    for index, kind in enumerate(KINDS):
        if kind in solutions:
            sol = solutions[kind]
        else:
            now = time.monotonic()
            sol = solve_half(*jobs[kind], now + (deadline - now) * (0.5 if index == 0 else 1.0), None, first[kind],
                             places[kind])
        progress(Progress(f"{kind}:{sol.status.lower()}", time.monotonic() - started,
                          {"total_km": sol.cost}, {"total_km": sol.bound}))
        if sol.status not in ("OPTIMAL", "FEASIBLE"):
            return None
        full = np.full(n, -1, dtype=np.int64)
        full[candidates] = sol.choice
        choice[kind] = full
        statuses.append(sol.status)
        bound_km += sol.bound
        methods.append(f"{kind}: {sol.method}")
    method = "; ".join(methods) + ("; halves in 2 processes" if parallel else "")
    return choice, all(s == "OPTIMAL" for s in statuses), bound_km, method


def solve_workshops(
    problem: WorkshopProblem, *, time_limit_s: float | None = None, workers: int | None = None,
    progress: ProgressCallback = no_progress,
) -> WorkshopResult:
    started = time.monotonic()
    settings = problem.settings
    limit = time_limit_s if time_limit_s is not None else settings.time_limit_s
    workers = workers if workers is not None else settings.workers
    deadline = started + limit
    arcs = build_arcs(problem)
    n = len(problem.groups)
    has = {kind: np.bincount(arcs.halves[kind].g, minlength=n) > 0 for kind in KINDS}
    candidates = np.nonzero(has[PREP] & has[FOLLOWUP])[0]
    previous = _previous_choices(problem, arcs) if settings.keep else None
    progress(Progress("eligibility", time.monotonic() - started, detail={"candidates": len(candidates)}))
    greedy = greedy_schedule(arcs)
    outcome = None
    if previous is None:
        outcome = _decomposed(arcs, candidates, deadline, workers, progress, started)
    if outcome is None and previous is None and time.monotonic() > started + 0.8 * limit:
        # A half ran out of time (not proven infeasible): no time is left for the joint model.
        outcome = (greedy, False, 0, "halves timed out; greedy schedule")
    if outcome is not None:
        choice, proven, bound_km, method = outcome
        bound = Levels(len(candidates), bound_km, None)
    else:
        choice, proven, bound, method = _coupled(arcs, candidates, previous, greedy, deadline, workers, started, settings.seed)
    found = _levels(arcs, choice, previous)
    floor = _levels(arcs, greedy, previous)
    if _lex_key(floor) < _lex_key(found):  # never worse than the baseline
        choice, found, proven, method = greedy, floor, False, method + "; greedy/LP start kept (better)"
    scheduled, km, kept = found
    objective = Levels(scheduled, km, kept)
    if proven:
        bound = objective
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    if scheduled == 0 and n > 0 and (proven or bound.scheduled == 0):
        status = Status.INFEASIBLE
    progress(Progress("done", time.monotonic() - started, objective.as_dict(), bound.as_dict()))
    return build_result(problem, arcs, choice, status, objective, bound, time.monotonic() - started, method)


def _coupled(arcs: Arcs, candidates: np.ndarray, previous, greedy: dict[str, np.ndarray], deadline: float,
             workers: int, started: float, seed: int):
    """Not every candidate fits in both halves (or ``keep``): the halves are coupled.

    The pooled joint model (:mod:`solver.workshops.joint_pooled`) proves the usual case; the
    session-level chain (LP rounding, joint HiGHS MIP, CP-SAT, exact halves) is the fallback
    that always has a schedule to return.
    """
    pooled_bound = len(candidates)
    if previous is None:
        now = time.monotonic()
        pooled, pooled_bound = solve_joint_pooled(arcs, candidates, now + 0.95 * max(0.0, deadline - now))
        if pooled is not None:  # its scheduled level is proven, its km level proven or bounded
            bound = Levels(pooled.bound_scheduled, pooled.bound_km, None)
            method = "joint pooled-venue LP-priced HiGHS MIP, lexicographic (halves coupled)"
            return pooled.choice, pooled.proven, bound, method
    now = time.monotonic()
    lp_bound, lp_choice = lp_start(arcs, candidates, now + 0.2 * max(0.0, deadline - now))
    if lp_choice is not None and _better(arcs, previous, lp_choice, greedy):
        greedy = lp_choice  # the floor from here on: LP rounding beat the input order
    now = time.monotonic()
    if previous is None and deadline - now < 0.2 * (deadline - started):
        # The pooled model used its time: HiGHS overruns short limits by seconds on the big
        # session-level joint model, so only the anytime CP-SAT runs, from the LP rounding.
        joint = solve_joint_cpsat(arcs, candidates, None, greedy, deadline, workers, seed)
        bound = Levels(min(joint.bound_scheduled, lp_bound, pooled_bound), joint.bound_km, None)
        return joint.choice, joint.proven, bound, "pooled joint model out of time; CP-SAT from the LP rounding"
    joint_deadline = now + 0.5 * max(0.0, deadline - now)

    def improve(choice: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        now = time.monotonic()
        return _fixed_set(arcs, choice, now + 0.4 * (joint_deadline - now), workers, started)

    joint = solve_joint(arcs, candidates, previous, greedy, joint_deadline, improve)
    method = "joint HiGHS MIP, lexicographic (halves coupled)"
    if not joint.proven:
        best = joint.choice if _better(arcs, previous, joint.choice, greedy) else greedy
        now = time.monotonic()
        cp_deadline = deadline if previous is not None else now + 0.55 * max(0.0, deadline - now)
        anytime = solve_joint_cpsat(arcs, candidates, previous, best, cp_deadline, workers, seed)
        method += " + CP-SAT (anytime)"
        joint = _tighter(arcs, previous, joint, anytime)
        polished = _fixed_set(arcs, joint.choice, deadline, workers, started) if previous is None else None
        if polished is not None and _better(arcs, previous, polished, joint.choice):
            joint = JointSolution(polished, False, joint.bound_scheduled, None, joint.bound_km)
            method += " + exact halves for its groups"
    choice, proven = joint.choice, joint.proven
    bound = Levels(min(joint.bound_scheduled, lp_bound, pooled_bound), joint.bound_km, joint.bound_kept)
    return choice, proven, bound, method


def _lex_key(levels: tuple[int, int, int | None]) -> tuple[int, int, int]:
    scheduled, km, kept = levels
    return (-scheduled, -(kept or 0), km)


def _tighter(arcs: Arcs, previous, a: JointSolution, b: JointSolution) -> JointSolution:
    """The better schedule of two runs, with the tighter of their (each valid) bounds."""
    better = a if _lex_key(_levels(arcs, a.choice, previous)) <= _lex_key(_levels(arcs, b.choice, previous)) else b
    kept = None if a.bound_kept is None else min(a.bound_kept, b.bound_kept)
    return JointSolution(
        better.choice, a.proven or b.proven, min(a.bound_scheduled, b.bound_scheduled), kept,
        max(a.bound_km, b.bound_km),
    )


def _better(arcs: Arcs, previous, a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return _lex_key(_levels(arcs, a, previous)) < _lex_key(_levels(arcs, b, previous))


def _fixed_set(arcs: Arcs, choice: dict[str, np.ndarray], deadline: float, workers: int, started: float):
    """With the scheduled set fixed, the halves separate again: solve them for least travel."""
    if time.monotonic() >= deadline - 0.05:
        return None
    chosen = np.nonzero(choice[PREP] >= 0)[0]
    out = _decomposed(arcs, chosen, deadline, workers, no_progress, started, choice)
    return out[0] if out is not None else None
