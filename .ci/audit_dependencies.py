"""pip-audit over the installed environment: a known vulnerability fails, an unreachable
vulnerability service does not.

pip-audit asks a service on the internet (PyPI's JSON API by default) about every installed
distribution. Where that service cannot be reached, or answers "not found" for every package
(a registry mirror without the JSON API), nothing was audited: that is printed with the reason
and the exit status is 0, so CI does not fail for the network alone. Any reported
vulnerability exits 1. Our own editable package is skipped (it is not on PyPI).

Usage: .venv/bin/python .ci/audit_dependencies.py  (from the repository root)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
TIMEOUT_S = 600


def main() -> int:
    command = [str(PIP_AUDIT), "--skip-editable", "--progress-spinner", "off",
               "--format", "json", "--desc", "off"]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        print(f"pip-audit: no answer from the vulnerability service in {TIMEOUT_S} s; "
              "nothing audited (not a failure of this build)")
        return 0
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit could not run its audit (exit {done.returncode}): {reason}\n"
              "nothing audited: the vulnerability service is probably unreachable from here "
              "(not a failure of this build)")
        return 0
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} "
                  f"({', '.join(vuln.get('aliases') or [])}) fixed in {fixes}")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} vulnerable distribution(s) of {audited} audited")
        return 1
    if audited == 0 and skipped:
        print(f"pip-audit: nothing audited; the vulnerability service knew none of the "
              f"{len(skipped)} distributions (first: {skipped[0]['skip_reason']}). The registry "
              "reachable from here is probably a mirror without PyPI's JSON API "
              "(not a failure of this build)")
        return 0
    print(f"pip-audit: no known vulnerabilities in {audited} distributions"
          + (f" ({len(skipped)} could not be audited)" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
