"""The pages behind the signed links, measured on a phone (375×667, touch).

Clear on a phone means: nothing to scroll sideways, buttons at least 44 px tall (WCAG 2.5.5's
target size), running text at least 16 px. Measured in Chromium on every state of each page.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
MIN_TARGET_PX = 44
MIN_TEXT_PX = 16

# What is wrong with the page as laid out now: sideways scroll, small buttons, small text.
MEASURE = """([minTarget, minText]) => {
  const problems = [];
  const visible = el => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden'
      && !el.closest('.visually-hidden, .skip-link');
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + ' "' + (el.innerText || el.value || '').trim().slice(0, 40) + '"';
  const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (overflow > 0) problems.push('scrolls sideways by ' + overflow + ' px');
  for (const el of document.querySelectorAll(
      'button, .button, input[type=submit], input[type=button]')) {
    if (!visible(el)) continue;
    const height = el.getBoundingClientRect().height;
    if (height < minTarget) problems.push(name(el) + ' is ' + height.toFixed(1) + ' px tall');
  }
  for (const el of document.body.querySelectorAll('*')) {
    const hasText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!hasText || !visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minText) problems.push(name(el) + ' has ' + size + ' px text');
  }
  return problems;
}"""


def _problems(page: Any) -> list[str]:
    return page.evaluate(MEASURE, [MIN_TARGET_PX, MIN_TEXT_PX])


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    # Generous: the live server shares two cores with the rest of the suite in CI.
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).tap()


def _assert_clear(page: Any, state: str, found: dict[str, list[str]]) -> None:
    problems = _problems(page)
    if problems:
        found[state] = problems


def _answer(page: Any, url: str, state: str, button: str, found: dict[str, list[str]]) -> None:
    """Open an answer page (offer, RSVP), measure it, answer, and measure the answered page."""
    page.goto(url)
    _assert_clear(page, state, found)
    _submit(page, button)
    expect(page.locator("[role=status]")).to_be_visible()
    _assert_clear(page, f"{state} answered", found)


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{state}:\n  " + "\n  ".join(problems) for state, problems in found.items())


@pytest.mark.parametrize("language", ["da", "en"])
def test_signed_link_pages_are_clear_on_a_phone(
        live_server: str, phone: Any, participant_links: dict[str, str], language: str) -> None:
    phone.goto(f"{live_server}/?lang={language}")
    found: dict[str, list[str]] = {}

    _answer(phone, live_server + participant_links["offer"], "offer", "button[value=accept]",
            found)

    for kind in ("application", "host"):
        link = live_server + participant_links[f"{kind}_link"]
        phone.goto(link)
        _assert_clear(phone, f"{kind} link", found)
        # Sent with a required field emptied: the errors must fit the phone too.
        phone.locator("main form").first.locator("input[type=email]").first.fill("")
        _submit(phone, "main form >> nth=0 >> button[type=submit] >> nth=0")
        expect(phone.locator(".error-summary")).to_be_visible()
        _assert_clear(phone, f"{kind} link with errors", found)
        phone.goto(link)
        _submit(phone, "form[action$='/withdraw'] button[type=submit]")
        _assert_clear(phone, f"{kind} withdraw confirmation", found)
        _submit(phone, "form[action$='/withdraw'] button[type=submit]")
        assert phone.locator("form[action$='/withdraw']").count() == 0
        _assert_clear(phone, f"{kind} withdrawn", found)
    assert not found, _report(found)


@pytest.mark.parametrize("language", ["da", "en"])
def test_rsvp_page_is_clear_on_a_phone(live_server: str, phone: Any,
                                       participant_links: dict[str, str], language: str) -> None:
    phone.goto(f"{live_server}/?lang={language}")
    found: dict[str, list[str]] = {}
    _answer(phone, live_server + participant_links["rsvp"], "rsvp",
            "main form button[value=yes]", found)
    assert not found, _report(found)


def test_rsvp_after_the_phone_lost_its_session_asks_again(
        live_server: str, phone: Any, participant_links: dict[str, str]) -> None:
    # A phone's browser closed in the background drops the session cookie (and with it the
    # CSRF token's partner) while the page stays open: the tap must lead to a plain page that
    # asks again, and the next tap must record the answer. (In Danish: the remembered
    # language goes with the cookie.)
    phone.goto(live_server + participant_links["rsvp"])
    phone.context.clear_cookies()
    _submit(phone, "main form button[value=no]")
    expect(phone.locator("[role=alert]")).to_contain_text("ikke gemt")
    expect(phone.locator("[role=status]")).to_have_count(0)
    found: dict[str, list[str]] = {}
    _assert_clear(phone, "rsvp expired", found)
    _submit(phone, "main form button[value=yes]")
    expect(phone.locator("[role=status]")).to_contain_text("at du kommer")
    assert not found, _report(found)


def test_the_measure_catches_a_cramped_page(phone: Any) -> None:
    phone.set_content("<html><head><meta name='viewport' content='width=device-width, initial-scale=1'></head>"
                      "<body><div style='width:600px'><p style='font-size:12px'>tiny</p>"
                      "<button style='height:30px'>Go</button></div></body></html>")
    problems = "\n".join(_problems(phone))
    assert "scrolls sideways" in problems
    assert 'button "Go" is 30.0 px tall' in problems
    assert 'p "tiny" has 12 px text' in problems
