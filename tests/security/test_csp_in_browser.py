"""Chromium enforces our Content-Security-Policy: no page a person can open reports a violation.

Every GET route that renders a page for someone (public, signed link, coordinator) is opened
with round A's objects, as the round's coordinator where it needs sign-in; Chromium logs
"Refused to ..." for each script, style or attribute the policy blocks.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from route_table import RULES, classify, url_for_rule, url_values
from security_world import World

# The Swagger UI comes from a CDN this machine may not reach; its policy has its own test.
NOT_PAGES = {"api-docs.openapi_swagger_ui", "static"}

pytestmark = pytest.mark.browser


def _browser_fixtures() -> ModuleType:
    """tests/browser/conftest.py under a name of its own: its live server and Chromium."""
    path = Path(__file__).resolve().parents[1] / "browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("browser_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Re-exported so pytest finds them here: a PostgreSQL app served on loopback, and Chromium.
_BROWSER_FIXTURES = _browser_fixtures()
database_url = _BROWSER_FIXTURES.database_url
live_server = _BROWSER_FIXTURES.live_server
browser = _BROWSER_FIXTURES.browser


def _page_urls(world: World) -> list[str]:
    urls = []
    for rule in RULES:
        kind = classify(rule)
        if ("GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api/")
                or kind is None or kind.name not in ("public", "link", "coordinator")):
            continue
        token = world.a.tokens.get(kind.purpose or "")
        urls.append(url_for_rule(rule, url_values(rule, world.a, token)))
    return urls


def test_no_page_violates_the_policy(live_server: str, browser: object, world: World) -> None:
    server = live_server
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    user = world.users["coord_a"]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", user["email"])
    page.fill("input[name=password]", user["password"])
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()
    urls = _page_urls(world)
    assert any(url.startswith("/coordinator") for url in urls)
    for url in urls:
        # Exports and JSON progress are not pages; a browser would download or show them raw.
        probe = page.request.get(server + url, max_redirects=0)
        if "text/html" not in probe.headers.get("content-type", ""):
            continue
        response = page.goto(server + url)
        page.wait_for_load_state("load")
        assert url == "/login" or "/login" not in page.url, f"{url} sent the coordinator to sign in"
        assert response is not None and response.status < 500, (url, response)
    context.close()
    assert not refused, "\n".join(refused)
