"""Pure helpers of the matching pages: comparing two runs, sorting, reading pairs from a form."""

from __future__ import annotations

from types import SimpleNamespace

from coordinator.dashboard.matching_queries import Row, compare_rows, parse_pairs, sort_rows


def _row(app: int, host: int, week: str | None, rank: int | None, km: int) -> Row:
    return Row(app, host, f"visitor {app}", "Odense Kommune", f"host {host}", week, rank, km)


def test_compare_sorts_every_visitor_into_one_bucket_with_deltas() -> None:
    before = [_row(1, 10, None, 1, 5), _row(2, 11, "2027-W37", 2, 7),
              _row(3, 12, "2027-W37", 1, 1), _row(5, 14, "2027-W37", 1, 3)]
    after = [_row(1, 13, None, 3, 9), _row(2, 11, "2027-W38", 2, 8),
             _row(4, 12, "2027-W37", 1, 1), _row(5, 14, "2027-W37", 1, 3)]
    result = compare_rows(before, after)
    assert [(a.application_id, b.host_id) for a, b in result.moved] == [(1, 13)]
    assert [(a.week, b.week) for a, b in result.week_changed] == [("2027-W37", "2027-W38")]
    assert [r.application_id for r, _ in result.added] == [4]
    assert [r.application_id for r, _ in result.removed] == [3]
    assert result.unchanged == 1
    # Only visitors placed in both runs count: +2 ranks and +4 +1 km.
    assert (result.rank_delta, result.km_delta) == (2, 5)


def test_sort_rows_keeps_empty_values_last_both_ways() -> None:
    rows = [_row(1, 1, None, None, 30), _row(2, 1, "2027-W37", 2, 10),
            _row(3, 1, "2027-W36", 1, 20)]
    assert [r.application_id for r in sort_rows(rows, "rank", False)] == [3, 2, 1]
    assert [r.application_id for r in sort_rows(rows, "rank", True)] == [2, 3, 1]
    assert [r.application_id for r in sort_rows(rows, "km", True)] == [1, 3, 2]
    assert [r.application_id for r in sort_rows(rows, "no such column", False)] == [1, 2, 3]


def test_parse_pairs_accepts_only_this_rounds_visitors_and_hosts() -> None:
    apps, hosts = {1: SimpleNamespace(), 2: SimpleNamespace()}, {7: SimpleNamespace()}
    errors: dict[str, list[str]] = {}
    pairs = parse_pairs(["1:7", "1:7", "2:7", "3:7", "1:8", "x", "1:-7"], "fixed", apps, hosts,
                        errors, "bad {value}")
    assert pairs == [[1, 7], [2, 7]]
    assert errors == {"fixed": ["bad 3:7", "bad 1:8", "bad x", "bad 1:-7"]}
