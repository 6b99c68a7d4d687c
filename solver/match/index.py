"""Integer indices and numpy arrays for an instance: the solver's view of the data."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from solver.match.model import MatchInstance

_SPACE = re.compile(r"\s+")


def norm_org(name: str) -> str:
    """Organisations compare case- and whitespace-insensitively (hard constraint 5)."""
    return _SPACE.sub(" ", name).strip().casefold()


@dataclass
class Index:
    inst: MatchInstance
    vid: dict[str, int]
    hid: dict[str, int]
    v_lat: np.ndarray
    v_lon: np.ndarray
    v_maxkm: np.ndarray
    v_org: np.ndarray  # int codes of normalised organisations, shared with hosts
    h_lat: np.ndarray
    h_lon: np.ndarray
    h_org: np.ndarray
    cap: np.ndarray
    min_visitors: np.ndarray
    weeks: list[str]  # the week universe, sorted; masks below index into it
    v_mask: np.ndarray  # (V, W) uint64 words; all ones when the visitor gives no weeks
    h_mask: np.ndarray
    v_any_week: np.ndarray  # bool: the visitor gave no weeks
    h_any_week: np.ndarray
    ranked_code: np.ndarray  # sorted codes v*H+h of visitor rankings
    ranked_pos: np.ndarray  # 1-based position matching ranked_code
    forbidden_code: np.ndarray  # sorted codes
    previous_code: np.ndarray
    team_of: np.ndarray  # team number per visitor, -1 when alone
    teams: list[np.ndarray]  # member visitor indices per team (only teams of >= 2)
    team_names: list[str]
    fixed_host: np.ndarray  # host index per visitor, -1 when not fixed

    @property
    def n_visitors(self) -> int:
        return len(self.vid)

    @property
    def n_hosts(self) -> int:
        return len(self.hid)

    def codes(self, vi: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return vi.astype(np.int64) * max(self.n_hosts, 1) + hi


def _masks(week_lists: list[tuple[str, ...]], pos: dict[str, int], words: int) -> np.ndarray:
    # Built once per distinct week list (an instance has a handful; per row: 0.15 s at 150k).
    distinct: dict[tuple[str, ...], int] = {}
    rows = np.array([distinct.setdefault(weeks, len(distinct)) for weeks in week_lists],
                    dtype=np.int64)
    table = np.zeros((len(distinct), words), dtype=np.uint64)
    for i, weeks in enumerate(distinct):
        if not weeks:
            table[i, :] = np.uint64(0xFFFFFFFFFFFFFFFF)
            continue
        for week in weeks:
            b = pos[week]
            table[i, b // 64] |= np.uint64(1) << np.uint64(b % 64)
    return table[rows]


def _sorted_codes(pairs: list[tuple[int, int]], n_hosts: int) -> np.ndarray:
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    arr = np.array(pairs, dtype=np.int64)
    return np.unique(arr[:, 0] * max(n_hosts, 1) + arr[:, 1])


def build_index(inst: MatchInstance) -> Index:
    vid = {v.id: i for i, v in enumerate(inst.visitors)}
    hid = {h.id: i for i, h in enumerate(inst.hosts)}
    # Normalised once per distinct name (instances repeat a few hundred names 150k times).
    names = {x.organisation for x in (*inst.visitors, *inst.hosts)}
    orgs: dict[str, int] = {}
    code = {name: orgs.setdefault(norm_org(name), len(orgs)) for name in sorted(names)}
    v_org = np.array([code[v.organisation] for v in inst.visitors], dtype=np.int64)
    h_org = np.array([code[h.organisation] for h in inst.hosts], dtype=np.int64)
    universe = sorted({w for x in (*inst.visitors, *inst.hosts) for w in x.weeks})
    pos = {w: i for i, w in enumerate(universe)}
    words = max(1, (len(universe) + 63) // 64)
    n_h = len(inst.hosts)
    # Rankings flattened in one pass (a dict per pair cost 0.5 s at 100k visitors).
    lengths = np.array([len(v.ranking) for v in inst.visitors], dtype=np.int64)
    flat_h = np.array([hid[h] for v in inst.visitors for h in v.ranking], dtype=np.int64)
    owner = np.repeat(np.arange(len(inst.visitors), dtype=np.int64), lengths)
    position = np.arange(len(flat_h)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    order = np.argsort(owner * max(n_h, 1) + flat_h, kind="stable")
    rc = (owner * max(n_h, 1) + flat_h)[order]
    rp = position[order].astype(np.int64)
    team_members: dict[str, list[int]] = {}
    for i, v in enumerate(inst.visitors):
        if v.team is not None:
            team_members.setdefault(v.team, []).append(i)
    team_of = np.full(len(inst.visitors), -1, dtype=np.int64)
    teams, names = [], []
    for name, members in team_members.items():
        if len(members) >= 2:  # a "team" of one is just a visitor
            team_of[members] = len(teams)
            teams.append(np.array(members, dtype=np.int64))
            names.append(name)
    fixed_host = np.full(len(inst.visitors), -1, dtype=np.int64)
    for v, h in inst.fixed:
        fixed_host[vid[v]] = hid[h]
    f64 = np.float64
    return Index(
        inst=inst, vid=vid, hid=hid,
        v_lat=np.array([v.lat for v in inst.visitors], dtype=f64),
        v_lon=np.array([v.lon for v in inst.visitors], dtype=f64),
        v_maxkm=np.array([v.max_km for v in inst.visitors], dtype=f64), v_org=v_org,
        h_lat=np.array([h.lat for h in inst.hosts], dtype=f64),
        h_lon=np.array([h.lon for h in inst.hosts], dtype=f64), h_org=h_org,
        cap=np.array([h.capacity for h in inst.hosts], dtype=np.int64),
        min_visitors=np.array([h.min_visitors for h in inst.hosts], dtype=np.int64),
        weeks=universe,
        v_mask=_masks([v.weeks for v in inst.visitors], pos, words),
        h_mask=_masks([h.weeks for h in inst.hosts], pos, words),
        v_any_week=np.array([not v.weeks for v in inst.visitors], dtype=bool),
        h_any_week=np.array([not h.weeks for h in inst.hosts], dtype=bool),
        ranked_code=rc, ranked_pos=rp,
        forbidden_code=_sorted_codes([(vid[v], hid[h]) for v, h in inst.forbidden], n_h),
        previous_code=_sorted_codes([(vid[v], hid[h]) for v, h in inst.previous], n_h),
        team_of=team_of, teams=teams, team_names=names, fixed_host=fixed_host,
    )


def first_week(mask: np.ndarray) -> np.ndarray:
    """Index of the lowest set bit of each (n, W) mask row; -1 when the row is empty."""
    out = np.full(mask.shape[0], -1, dtype=np.int64)
    for w in range(mask.shape[1] - 1, -1, -1):
        word = mask[:, w]
        nz = word != 0
        low = word[nz] & (~word[nz] + np.uint64(1))  # isolate the lowest bit
        out[nz] = np.log2(low.astype(np.float64)).astype(np.int64) + 64 * w
    return out


def first_in_groups(group: np.ndarray, keys: tuple[np.ndarray, ...], k: int) -> np.ndarray:
    """Indices of the first ``k`` rows of each ``group`` value, rows ordered by ``keys`` (the
    last key first, as in ``np.lexsort``; ties by index), grouped by ascending group."""
    order = np.lexsort((*keys, group))
    g = group[order]
    return order[np.arange(len(g)) - np.searchsorted(g, g) < k]


def in_sorted(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Membership of each code in a sorted code table."""
    if len(table) == 0:
        return np.zeros(len(codes), dtype=bool)
    pos = np.minimum(np.searchsorted(table, codes), len(table) - 1)
    return table[pos] == codes


def lookup_rank(ix: Index, codes: np.ndarray) -> np.ndarray:
    """1-based rank of each pair in the visitor's ranking, 0 when unranked."""
    if len(ix.ranked_code) == 0:
        return np.zeros(len(codes), dtype=np.int64)
    pos = np.minimum(np.searchsorted(ix.ranked_code, codes), len(ix.ranked_code) - 1)
    return np.where(ix.ranked_code[pos] == codes, ix.ranked_pos[pos], 0)
