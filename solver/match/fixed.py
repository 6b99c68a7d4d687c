"""Fixed pairs must satisfy hard constraints 2-5 (and 6-8); a breach is an input error."""

from __future__ import annotations

import numpy as np

from solver.errors import Problems
from solver.match.arcs import common_week, pair_km, team_week
from solver.match.index import Index, in_sorted, lookup_rank


def _pair_faults(ix: Index, vi: int, hi: int) -> list[str]:
    s = ix.inst.settings
    v, h = np.array([vi]), np.array([hi])
    visitor, host = ix.inst.visitors[vi], ix.inst.hosts[hi]
    faults = []
    km = float(pair_km(ix, v, h)[0])
    if km > visitor.max_km:
        faults.append(f"{host.id!r} is {km:.1f} km away, beyond max_km {visitor.max_km:g} of {visitor.id!r}")
    if int(common_week(ix, v, h)[0]) == -1:
        faults.append(f"{visitor.id!r} and {host.id!r} share no week")
    if ix.v_org[vi] == ix.h_org[hi]:
        faults.append(f"{host.id!r} is {visitor.id!r}'s own organisation")
    code = ix.codes(v, h)
    if in_sorted(code, ix.forbidden_code)[0]:
        faults.append(f"[{visitor.id!r}, {host.id!r}] is also forbidden")
    if not s.allow_unranked and lookup_rank(ix, code)[0] == 0:
        faults.append(f"allow_unranked is false and {visitor.id!r} did not rank {host.id!r}")
    return faults


def check_fixed(ix: Index) -> None:
    """Raise InvalidInput when a fixed pair breaks a hard constraint by itself."""
    p = Problems()
    load = np.zeros(ix.n_hosts, dtype=np.int64)
    team_at: dict[int, tuple[int, int]] = {}
    for i, (v_id, h_id) in enumerate(ix.inst.fixed):
        vi, hi = ix.vid[v_id], ix.hid[h_id]
        for fault in _pair_faults(ix, vi, hi):
            p.add(f"fixed[{i}]", fault)
        t = int(ix.team_of[vi])
        if t < 0:
            load[hi] += 1
            continue
        if t in team_at:
            first, first_h = team_at[t]
            if first_h != hi:
                p.add(f"fixed[{i}]", f"team {ix.team_names[t]!r} is also fixed at "
                      f"{ix.inst.hosts[first_h].id!r} (fixed[{first}]); a team stays together")
            continue
        team_at[t] = (i, hi)
        load[hi] += len(ix.teams[t])
        for m in ix.teams[t].tolist():
            if m != vi:
                for fault in _pair_faults(ix, m, hi):
                    p.add(f"fixed[{i}]", f"team mate {ix.inst.visitors[m].id!r} must follow: {fault}")
        if int(team_week(ix, t, np.array([hi]))[0]) == -1:
            p.add(f"fixed[{i}]", f"team {ix.team_names[t]!r} and {h_id!r} share no week")
    for hi in np.flatnonzero(load > ix.cap).tolist():
        host = ix.inst.hosts[hi]
        p.add("fixed", f"{load[hi]} visitors fixed at {host.id!r} exceed its capacity {host.capacity}")
    p.raise_if_any()
