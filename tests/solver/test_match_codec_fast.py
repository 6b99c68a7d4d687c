"""The codec's fast path (a few type and range checks per record) accepts exactly the records
the field-by-field path accepts, and decodes them to the same values; anything else falls
back to the path that names each problem."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from solver.errors import Problems
from solver.match.codec import _host_checked, _host_fast, _visitor_checked, _visitor_fast

KNOWN = {"a": 0, "b": 1, "c": 2}
MISSING = object()  # the key is left out

odd = st.sampled_from([MISSING, None, True, False, "x", "", " ", [], {}, ["a"], 1.5, 2.0, 0, -1,
                       91, -181, math.nan, math.inf, -math.inf, 10**20, "2027-37",
                       ["2027-W37", "2027-W37"], ["2027-W53"], ["2026-W53"], ["d"], ["a", "a"],
                       ["a", None], [["a"]], [37]])
ranking = st.lists(st.sampled_from(list(KNOWN)), max_size=3, unique=True)
weeks = st.lists(st.sampled_from(["2027-W37", "2027-W38", "2026-W53"]), max_size=3)
# Mostly valid values with their edges and a little beyond (the range checks' boundaries).
place = {"organisation": st.sampled_from(["Aarhus Kommune", "Region Syd"]),
         "lat": st.one_of(st.integers(-92, 92), st.floats(-91, 91)),
         "lon": st.one_of(st.integers(-182, 182), st.floats(-181, 181)),
         "weeks": weeks, "ranking": ranking,
         "org_level": st.sampled_from([None, "municipality"])}


def record(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """Valid records with up to three fields replaced by odd values or left out."""
    def spoil(pair: tuple[dict, list[tuple[str, object]]]) -> dict:
        raw, changes = pair
        for key, value in changes:
            if value is MISSING:
                raw.pop(key, None)
            else:
                raw[key] = value
        return raw
    changes = st.lists(st.tuples(st.sampled_from(sorted(fields)), odd), max_size=3)
    return st.tuples(st.fixed_dictionaries(fields), changes).map(spoil)


visitors = record({**place, "max_km": st.one_of(st.integers(-1, 300), st.floats(-1, 300)),
                   "team": st.sampled_from([None, "t1"])})
hosts = record({**place, "capacity": st.integers(-1, 4), "min_visitors": st.integers(-1, 5)})


@settings(max_examples=600, deadline=None)
@given(visitors, st.sampled_from([250.0, 100]))
def test_visitor_fast_path_agrees(raw: dict, default_km: float) -> None:
    raw = {"id": "v", **raw}
    p = Problems()
    checked = _visitor_checked(raw, "visitors[0]", p, KNOWN, default_km)
    fast = _visitor_fast(raw, KNOWN, default_km)
    assert (checked is None) == bool(p.items)
    if fast is not None:
        assert fast == checked  # accepted by both, decoded alike


@settings(max_examples=600, deadline=None)
@given(hosts)
def test_host_fast_path_agrees(raw: dict) -> None:
    raw = {"id": "h", **raw}
    p = Problems()
    checked = _host_checked(raw, "hosts[0]", p, KNOWN)
    fast = _host_fast(raw, KNOWN)
    assert (checked is None) == bool(p.items)
    if fast is not None:
        assert fast == checked


def test_fast_path_takes_the_usual_records() -> None:
    """The common shape does go the fast way (else the 100k decode is slow again)."""
    v = {"id": "v", "organisation": "Odense Kommune", "lat": 55.4, "lon": 10.39, "max_km": 120,
         "weeks": ["2027-W38", "2027-W37", "2027-W37"], "ranking": ["b", "a"], "team": None}
    h = {"id": "h", "organisation": "Vejle Kommune", "lat": 55.71, "lon": 9.53, "capacity": 3,
         "min_visitors": 2, "ranking": ["a"], "org_level": "municipality"}
    fast_v, fast_h = _visitor_fast(v, KNOWN, 250.0), _host_fast(h, KNOWN)
    assert fast_v is not None and fast_v.weeks == ("2027-W37", "2027-W38")
    assert fast_v.ranking == ("b", "a")
    assert fast_h is not None and fast_h.min_visitors == 2
    assert _visitor_fast({**v, "max_km": True}, KNOWN, 250.0) is None
    assert _visitor_fast({**v, "ranking": ["a", "a"]}, KNOWN, 250.0) is None
    assert _host_fast({**h, "capacity": 2.0}, KNOWN) is None  # the checked path takes 2.0
