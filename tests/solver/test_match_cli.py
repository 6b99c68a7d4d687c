"""``python -m solver match`` / ``check`` end to end, through a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from solver_cli_support import run, write
from test_match_support import random_instance


def test_match_then_check(tmp_path: Path) -> None:
    inst = write(tmp_path, "in.json", random_instance(7, n_visitors=8, n_hosts=4))
    out = tmp_path / "out.json"
    done = run("match", inst, "-o", str(out), "--time-limit", "10", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert lines[-1]["phase"] == "done" and "elapsed_s" in lines[-1]
    result = json.loads(out.read_text())
    assert result["format"] == "internship-match-result/1"
    checked = run("check", inst, str(out))
    assert checked.returncode == 0 and "check: ok" in checked.stderr


def test_result_on_stdout_when_no_output_file(tmp_path: Path) -> None:
    inst = write(tmp_path, "in.json", random_instance(3, n_visitors=4, n_hosts=2, teams=False))
    done = run("match", inst)
    assert done.returncode in (0, 3)
    assert json.loads(done.stdout)["status"] in ("OPTIMAL", "INFEASIBLE")


def test_check_finds_a_hand_edited_breach(tmp_path: Path) -> None:
    doc = random_instance(11, n_visitors=6, n_hosts=3, teams=False, min_visitors=False, extras=False)
    doc["settings"]["allow_unranked"] = True
    for h in doc["hosts"]:
        h["capacity"] = 1
    inst = write(tmp_path, "in.json", doc)
    out = tmp_path / "out.json"
    assert run("match", inst, "-o", str(out)).returncode in (0, 3)
    result = json.loads(out.read_text())
    result["assignments"].append({"visitor": "nobody", "host": "h0", "week": None, "rank": None, "km": 0})
    result["objective"]["placed"] += 5
    bad = write(tmp_path, "bad.json", result)
    checked = run("check", inst, bad)
    assert checked.returncode == 1
    assert "objective.placed" in checked.stderr


def test_invalid_input_exit_2_names_paths(tmp_path: Path) -> None:
    doc = random_instance(1, n_visitors=3, n_hosts=2)
    doc["visitors"][2]["lat"] = 123
    doc["hosts"][1]["capacity"] = 0
    done = run("match", write(tmp_path, "in.json", doc))
    assert done.returncode == 2
    assert "visitors[2].lat: must be between -90 and 90" in done.stderr
    assert "hosts[1].capacity: must be >= 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_not_json_and_nan(tmp_path: Path) -> None:
    for text in ("{not json", '{"format": "internship-match/1", "hosts": [], "visitors": [], "x": NaN}'):
        done = run("match", write(tmp_path, "in.json", text))
        assert done.returncode == 2 and "$:" in done.stderr and "Traceback" not in done.stderr


def test_nobody_can_be_placed_exit_3(tmp_path: Path) -> None:
    doc = random_instance(5, n_visitors=3, n_hosts=2, teams=False, extras=False)
    for v in doc["visitors"]:
        v["max_km"] = 0.001
    out = tmp_path / "out.json"
    done = run("match", write(tmp_path, "in.json", doc), "-o", str(out))
    assert done.returncode == 3
    result = json.loads(out.read_text())
    assert result["status"] == "INFEASIBLE"
    assert all("max travel" in u["reasons"][0] for u in result["unassigned"])
