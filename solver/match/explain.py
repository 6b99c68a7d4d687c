"""Computed reasons why each unplaced visitor is unplaced, with the smallest change that helps."""

from __future__ import annotations

import math

import numpy as np

from solver.match.arcs import common_week, pair_km, team_hosts
from solver.match.index import Index, in_sorted, lookup_rank


def hosts_phrase(n: int) -> str:
    """``n`` hosts as words: "1 host", "3 hosts"."""
    return f"{n} host" if n == 1 else f"{n} hosts"


def ordinal(k: int) -> str:
    """``k`` as an English ordinal: "1st", "2nd", "11th", "23rd"."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _wider_reach(km: np.ndarray, ok: np.ndarray, max_km: float, what: str) -> str | None:
    """The smallest max_km that opens a host otherwise usable, and how many it opens."""
    far = km[ok & (km > max_km)]
    if len(far) == 0:
        return None
    need = math.ceil(float(far.min()))
    opened = int((far <= need).sum())
    return f"a max travel of {need} km would open {hosts_phrase(opened)}{what}"


def _host_tests(ix: Index, v: int, hosts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per host of ``hosts`` for visitor ``v``: km, and whether it is within reach, shares a
    week, is another organisation, and is not a forbidden pair."""
    vs = np.full(len(hosts), v, dtype=np.int64)
    km = pair_km(ix, vs, hosts)
    reach = km <= ix.inst.visitors[v].max_km
    week = common_week(ix, vs, hosts) != -1
    other = ix.v_org[v] != ix.h_org[hosts]
    allowed = ~in_sorted(ix.codes(vs, hosts), ix.forbidden_code)
    return km, reach, week, other, allowed


def ranked_only_reasons(ix: Index, v: int) -> list[str] | None:
    """Every usable host is forbidden for a visitor who ranked some hosts: typically an
    applicant not open to other hosts, whose unranked hosts the coordinator passes as forbidden
    pairs. The binding constraint is then why the hosts they ranked are unusable, so name that
    (and what would open one), not the forbidden pairs. None when the visitor ranked nothing."""
    visitor = ix.inst.visitors[v]
    if not visitor.ranking or not ix.inst.settings.allow_unranked:
        return None
    hosts = np.array([ix.hid[h] for h in visitor.ranking], dtype=np.int64)
    km, reach, week, other, allowed = _host_tests(ix, v, hosts)
    mk = f"{visitor.max_km:g}"
    why = [(int((~reach).sum()), f"beyond {mk} km"), (int((reach & ~week).sum()), "no shared week"),
           (int((reach & week & ~other).sum()), "own organisation"),
           (int((reach & week & other & ~allowed).sum()), "forbidden")]
    detail = ", ".join(f"{n} {what}" for n, what in why if n)
    n = len(hosts)
    reasons = [f"none of the {n} host{'s' if n != 1 else ''} the visitor ranked is usable ({detail}), "
               f"and every other host within {mk} km that shares a week is forbidden for them "
               "(they are not open to hosts they did not rank)"]
    hint = _wider_reach(km, week & other & allowed, visitor.max_km, " they ranked")
    if hint:
        reasons.append(hint)
    return reasons


def _individual(ix: Index, v: int) -> tuple[list[str], np.ndarray]:
    """Reasons when no host passes the visitor's own hard constraints; else the usable hosts."""
    s = ix.inst.settings
    visitor = ix.inst.visitors[v]
    if s.allow_unranked:
        hosts = np.arange(ix.n_hosts, dtype=np.int64)
        scope = ""
    else:
        hosts = np.array([ix.hid[h] for h in visitor.ranking], dtype=np.int64)
        scope = " ranked"
        if len(hosts) == 0:
            return ["ranked no host, and allow_unranked is false"], hosts
    km, reach, week, other, allowed = _host_tests(ix, v, hosts)
    usable = reach & week & other & allowed
    if usable.any():
        return [], hosts[usable]
    mk = f"{visitor.max_km:g}"
    if not reach.any():
        reasons = [f"no{scope} host within {mk} km (max travel)"]
        hint = _wider_reach(km, week & other & allowed, visitor.max_km, "")
    elif not (reach & week).any():
        reasons = [f"no{scope} host within {mk} km shares a week with the visitor"]
        hint = _wider_reach(km, week & other & allowed, visitor.max_km, " that share a week")
    elif not (reach & week & other).any():
        reasons = [f"the only{scope} hosts within {mk} km that share a week are the visitor's own "
                   f"organisation ({visitor.organisation})"]
        hint = _wider_reach(km, week & other & allowed, visitor.max_km, " of another organisation")
    else:
        ranked_only = ranked_only_reasons(ix, v)
        if ranked_only:
            return ranked_only, hosts[:0]
        reasons = [f"every{scope} host within {mk} km that shares a week is forbidden for the visitor"]
        hint = None
    if hint:
        reasons.append(hint)
    return reasons, hosts[:0]


def _capacity(ix: Index, v: int, hosts: np.ndarray, load: np.ndarray, worst_cost: np.ndarray,
              size: int) -> list[str]:
    """Everything usable is taken: say by whom, and which extra seat would help most."""
    s = ix.inst.settings
    vs = np.full(len(hosts), v, dtype=np.int64)
    my_rank = lookup_rank(ix, ix.codes(vs, hosts))
    my_cost = np.where(my_rank > 0, my_rank - 1, s.unranked_cost)
    free = ix.cap[hosts] - load[hosts]
    full = free < size
    closed = (load[hosts] == 0) & (ix.min_visitors[hosts] > size)
    reasons = []
    if full.any():
        # A full host whose occupants all have rank cost <= ours there: they ranked it higher.
        worst = worst_cost[hosts[full]]
        better = int((worst <= my_cost[full]).sum())
        n = int(full.sum())
        scope = "hosts the visitor ranked and can use" if not s.allow_unranked else "usable hosts"
        if better == n:
            reasons.append(f"all {n} {scope} are full with visitors who ranked them at least as high")
        else:
            reasons.append(f"all {n} {scope} are full ({better} with visitors who ranked them "
                           "at least as high; moving the others would place fewer or cost more)")
    if closed.any():
        need = int(ix.min_visitors[hosts[closed]].min())
        n = int(closed.sum())
        reasons.append(f"{hosts_phrase(n)} with free seats {'stays' if n == 1 else 'stay'} "
                       f"closed: each needs at least {need} visitors and not enough others can "
                       "go there")
    if (~full & ~closed).any():
        reasons.append(f"{hosts_phrase(int((~full & ~closed).sum()))} still had room; placing "
                       "the visitor there would break another hard constraint or was not found "
                       "within the time limit")
    if full.any():
        pick = np.flatnonzero(full)[np.argmin(my_cost[full])]
        h = ix.inst.hosts[int(hosts[pick])]
        which = f"their {ordinal(int(my_rank[pick]))} choice" if my_rank[pick] else "unranked"
        seats = "one more seat" if size == 1 else f"{size - int(free[pick])} more seats"
        reasons.append(f"{seats} at {h.id} ({which}) would place them")
    return reasons


def explain_unassigned(ix: Index, place) -> dict[int, list[str]]:
    """Reasons for every unplaced visitor (lone visitors in one batch, team members here)."""
    out: dict[int, list[str]] = {}
    on = np.flatnonzero(place.host >= 0)
    load = np.bincount(place.host[on], minlength=ix.n_hosts)
    worst_cost = np.zeros(ix.n_hosts, dtype=np.int64)
    np.maximum.at(worst_cost, place.host[on], place.cost[on])
    from solver.match.explain_batch import explain_singles

    unplaced = np.flatnonzero(place.host < 0)
    out.update(explain_singles(ix, unplaced[ix.team_of[unplaced] < 0], load, worst_cost))
    for v in unplaced[ix.team_of[unplaced] >= 0].tolist():
        reasons, usable = _individual(ix, v)
        if reasons:
            out[v] = reasons
            continue
        t = int(ix.team_of[v])
        size = 1
        if t >= 0:
            members = ix.teams[t]
            size = len(members)
            name = ix.inst.visitors[v].team
            mates = [_individual(ix, int(m))[1] for m in members.tolist()]
            if any(len(m) == 0 for m in mates):
                out[v] = [f"team {name} could not fit: a team mate has no usable host"]
                continue
            usable = team_hosts(ix, t, np.concatenate(mates))
            if len(usable) == 0:
                out[v] = [f"team {name} could not fit: no host is usable by all {size} members "
                          f"in a shared week with {size} seats"]
                continue
        out[v] = _capacity(ix, v, usable, load, worst_cost, size)
        if t >= 0:
            out[v].insert(0, f"team {ix.inst.visitors[v].team} ({size} members) could not fit "
                             "together")
    return out
