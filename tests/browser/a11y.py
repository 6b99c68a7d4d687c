"""axe-core in the page under test: fail on serious or critical WCAG 2.1 A/AA violations.

axe.min.js comes bundled with axe-playwright-python (no network). Moderate and minor findings
are reported by axe too but do not fail a test: the bar is issue 7's "no serious or critical".
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

FAILING_IMPACTS = ("serious", "critical")
# WCAG 2.0/2.1 levels A and AA plus axe's best practices (landmarks, headings, regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
NODES_SHOWN = 5

_axe = Axe()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every violation axe finds on the page as it is now (all impacts)."""
    results = _axe.run(page, options={"resultTypes": ["violations"],
                                      "runOnly": {"type": "tag", "values": AXE_TAGS}})
    return list(results.response["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """Rule, impact, help text and URL, then the first few offending nodes of each."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} "
                     f"<{violation['helpUrl']}>")
        for node in violation["nodes"][:NODES_SHOWN]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}: {summary}")
        if len(violation["nodes"]) > NODES_SHOWN:
            lines.append(f"    ... and {len(violation['nodes']) - NODES_SHOWN} more")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str | None = None) -> None:
    """Fail with a readable list when axe finds a serious or critical violation."""
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    if failing:
        label = where or page.url
        raise AssertionError(f"accessibility violations on {label}:\n{describe(failing)}")
