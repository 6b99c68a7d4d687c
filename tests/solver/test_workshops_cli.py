"""``python -m solver workshops`` / ``check`` end to end, through a subprocess (exit 0/1/2/3)."""

from __future__ import annotations

import json
from pathlib import Path

from solver_cli_support import run, write
from test_workshops_input import spec_example
from test_workshops_support import random_instance


def test_workshops_then_check(tmp_path: Path) -> None:
    inst = write(tmp_path, "in.json", random_instance(3, n_groups=12, n_prep=3, n_follow=3, capacity=(8, 20)))
    out = tmp_path / "out.json"
    done = run("workshops", inst, "-o", str(out), "--time-limit", "10", "--workers", "1")
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["format"] == "internship-workshops-result/1"
    assert '"phase": "done"' in done.stderr  # progress goes to stderr
    checked = run("check", inst, str(out))
    assert checked.returncode == 0, checked.stderr


def test_stdout_carries_only_the_result(tmp_path: Path) -> None:
    done = run("workshops", write(tmp_path, "in.json", spec_example()), "--time-limit", "5")
    assert done.returncode == 0
    assert json.loads(done.stdout)["status"] == "OPTIMAL"


def test_invalid_input_exits_2_naming_the_path(tmp_path: Path) -> None:
    doc = spec_example()
    doc["sessions"][0]["capacity"] = -1
    doc["settings"]["speed"] = 1
    done = run("workshops", write(tmp_path, "in.json", doc))
    assert done.returncode == 2
    assert "sessions[0].capacity: must be an integer >= 0" in done.stderr
    assert "settings.speed: unknown setting" in done.stderr
    nan = json.dumps(spec_example()).replace('"lat": 56.15', '"lat": NaN', 1)
    assert run("workshops", write(tmp_path, "nan.json", nan)).returncode == 2
    assert run("check", write(tmp_path, "bad.json", doc), write(tmp_path, "r.json", {})).returncode == 2


def test_nothing_schedulable_exits_3_with_reasons(tmp_path: Path) -> None:
    doc = spec_example()
    doc["settings"]["min_days_before"] = 60
    out = tmp_path / "out.json"
    done = run("workshops", write(tmp_path, "in.json", doc), "-o", str(out))
    assert done.returncode == 3
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["status"] == "INFEASIBLE" and result["unscheduled"][0]["reasons"]


def test_check_rejects_a_tampered_result(tmp_path: Path) -> None:
    inst = write(tmp_path, "in.json", spec_example())
    out = tmp_path / "out.json"
    assert run("workshops", inst, "-o", str(out)).returncode == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    result["schedule"][0]["km"] -= 1
    result["objective"]["total_km"] -= 1
    done = run("check", inst, write(tmp_path, "bad.json", result))
    assert done.returncode == 1
    assert "schedule[0].km: claims" in done.stderr


def test_propose_then_schedule_then_check(tmp_path: Path) -> None:
    request = spec_example()
    del request["sessions"]
    request.update(
        venues=[{"id": "aarhus", "name": "Aarhus", "lat": 56.1567, "lon": 10.2108},
                {"id": "odense", "name": "Odense", "lat": 55.3959, "lon": 10.3883}],
        dates={"prep": ["2027-08-26"], "followup": ["2027-10-07"]}, k=1, capacity=30,
    )
    inst = tmp_path / "inst.json"
    done = run(write(tmp_path, "req.json", request), "-o", str(inst), "--time-limit", "10",
               module="solver.workshops.propose")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(inst.read_text(encoding="utf-8"))["sessions"]) == 2
    out = tmp_path / "out.json"
    assert run("workshops", str(inst), "-o", str(out)).returncode == 0
    assert run("check", str(inst), str(out)).returncode == 0
    request["k"] = 0
    bad = run(write(tmp_path, "bad.json", request), module="solver.workshops.propose")
    assert bad.returncode == 2 and "k: must be an integer >= 1" in bad.stderr
