"""The web app as a person meets it: the real server (`unknot serve`) on a free port, driven by
Debian's Chromium through Playwright, with the real voice, figures and history database. What
needs no browser (the JSON twins, errors, records, headers, the --lan token) is
tests/test_web_http.py's, in process.

Nothing here waits for a time to pass: a test waits for the page's own state (an attribute, a
text, the outbox), with `GUARD` only against hanging; where a step must not end on its own
(keys, pause, back), the page's clock stands still and moves only when the test moves it.

Screenshots of each page at 360 and 1280 pixels, light and dark, are written on every run to
tests/artifacts/web/ (not kept in git: docs/screenshots/ holds a set that was looked at).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    expect,
)

from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, GUARD, QUERY, UNKNOT, Server

PHONE = {"width": 360, "height": 780}
LAPTOP = {"width": 1280, "height": 860}
GUARD_MS = 60_000  # every Playwright wait (clicks, expect, wait_for_*) gives up only then
CLOCK_START = datetime(2026, 5, 4, 7, 30)  # a morning after a long run

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/test installs it)"
)
expect.set_options(timeout=GUARD_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("web"), "--voice", "espeak")
    yield running
    running.stop()


class Tab:
    """A page in its own browser context, with every console error and failed request kept."""

    def __init__(self, browser: Browser, size: dict[str, int], scheme: str = "light") -> None:
        self.context: BrowserContext = browser.new_context(viewport=size, color_scheme=scheme)  # type: ignore[arg-type]
        self.context.set_default_timeout(GUARD_MS)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: self.errors.append(f"dialog: {dialog.message}"))
        self.failed: list[str] = []  # the address of each request that failed, to say which
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Tab]:
    tab = Tab(browser, PHONE)
    yield tab
    tab.context.close()
    assert tab.errors == []


def until(page: Page, condition: str) -> None:
    """Wait until a JavaScript expression about the page's state is true (checked by Playwright
    in the page on every frame; `GUARD` only against hanging)."""
    page.wait_for_function(f"() => {condition}")


def until_resolved(page: Page, promise: str) -> None:
    """Wait until a JavaScript expression's promise (the service worker's caches) resolves
    true, asked again in the page until then; `GUARD` only against hanging."""
    settled = page.evaluate(
        f"""async () => {{
          const giveUp = performance.now() + {GUARD_MS};
          while (!(await ({promise}))) {{
            if (performance.now() > giveUp) return false;
            await new Promise((wake) => setTimeout(wake, 50));
          }}
          return true;
        }}"""
    )
    assert settled, f"still false after {GUARD:g} s: {promise}"


def stop_the_clock(page: Page) -> None:
    """From here on, the page's clock (Date, performance.now, its timers) stands still, and
    moves only by `page.clock.run_for`: a step ends when the test says, never because the
    machine was slow to press the next key."""
    page.clock.install(time=CLOCK_START)
    page.clock.pause_at(CLOCK_START + timedelta(hours=1))


def chip(page: Page, label: str) -> Locator:
    """An area's (or group's) chip in the start page's list."""
    return page.locator("label.chip", has_text=re.compile(f"^{label}$"))


def twin(server: Server, path: str) -> Any:
    """A page's JSON twin, asked of the server."""
    response = httpx.get(server.url + path, timeout=GUARD)
    assert response.status_code == 200, response.text
    return response.json()


def play_data(server: Server, query: str = QUERY) -> dict[str, Any]:
    return twin(server, f"api/play?{query}")  # type: ignore[no-any-return]


def shown_sequence(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['name']}|{e['side_label'].upper()}" for e in entries]


def finished(page: Page) -> None:
    """Wait for the session to end on the page (the player marks itself finished)."""
    expect(page.locator("#player")).to_have_attribute("data-finished", "1")
    expect(page.locator("#done")).to_be_visible()


def outbox_empty(page: Page) -> None:
    """Wait until the server has every record the page made."""
    until(page, "localStorage.getItem('unknot.outbox') === '[]'")


EVERY_FIGURE_DRAWN = "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
WATCH_SEQUENCE = """() => {
  window.seen = [];
  const note = () => {
    const now = document.getElementById('pose').textContent + '|' +
      document.getElementById('side').textContent;
    if (window.seen[window.seen.length - 1] !== now) window.seen.push(now);
  };
  new MutationObserver(note).observe(document.getElementById('guide'),
    {subtree: true, childList: true, characterData: true});
}"""


# -- the person's path -------------------------------------------------------------------------
def test_hips_hamstrings_12_minutes_from_the_start_page_to_the_voice(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    page.goto(server.url)
    chip(page, "Hips").click()
    chip(page, "Hamstrings").click()
    page.get_by_label("Other number of minutes").fill("12")
    page.screenshot(path=ARTIFACTS / "web-start-360.png", full_page=True)
    page.get_by_role("button", name="See the plan").click()

    expected = twin(server, f"api/plan?{QUERY}")
    assert 11 * 60 < expected["total_seconds"] <= 12 * 60  # the minutes given, and used
    expect(page.locator(".lead strong")).to_have_text(expected["total"])
    cards = page.locator(".steps li")
    expect(cards).to_have_count(len(expected["cards"]))
    assert cards.first.locator("strong").text_content() == expected["cards"][0]["pose"]
    page.locator(".steps li").last.scroll_into_view_if_needed()
    until(page, EVERY_FIGURE_DRAWN)
    page.screenshot(path=ARTIFACTS / "web-plan-360.png", full_page=True)

    stop_the_clock(page)  # the player's countdown is checked against the seconds it is given
    page.get_by_role("link", name="Start the session").first.click()
    page.wait_for_url(re.compile(r"/play\?"))
    # Every clip fetched and decoded (espeak makes them on the server as the page asks).
    expect(page.locator("#loading")).to_have_text("Voice ready")
    page.get_by_role("button", name="Start").click()
    data = play_data(server)
    first = data["entries"][0]
    expect(page.locator("#pose")).to_have_text(first["name"])
    expect(page.locator("#step")).to_have_text(f"Step 1 of {len(data['entries'])}")
    # The voice clip of step 1 plays from its start, with the timer.
    expect(page.locator("#player")).to_have_attribute("data-sound", "0@0.0")
    until(page, EVERY_FIGURE_DRAWN)
    assert page.locator("#live").text_content().startswith("Step 1 of")  # type: ignore[union-attr]
    # 2.5 s on the page's clock: the ring counts the phase down by as much.
    page.clock.run_for(2500)
    move, hold = first["transition_seconds"], first["hold_seconds"]
    left = move - 2.5 if move > 2.5 else hold - (2.5 - move)
    expect(page.locator("#count")).to_have_text(str(math.ceil(left)))
    page.screenshot(path=ARTIFACTS / "web-player-360.png")
    # The screen is kept on: on 127.0.0.1 (a secure context) by the Wake Lock API itself.
    expect(page.locator("#player")).to_have_attribute("data-awake", "wake lock")
    # Skip: the next step's clip starts from its beginning, with the screen.
    page.get_by_role("button", name="Skip").click()
    expect(page.locator("#player")).to_have_attribute("data-sound", "1@0.0")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#phase")).to_have_text("PAUSED")
    expect(page.locator("#player")).to_have_attribute("data-sound", "")  # silent while paused


def test_without_the_wake_lock_api_a_silent_video_keeps_the_screen_on(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    page.add_init_script("delete Navigator.prototype.wakeLock")  # as over plain http on a LAN
    page.goto(f"{server.url}play?{QUERY}&speed=5")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#player")).to_have_attribute("data-awake", "video")
    assert page.evaluate("!document.querySelector('video.keep-awake').paused")
    assert page.evaluate("document.querySelector('video.keep-awake').muted")


def test_the_player_by_keyboard_and_screen_reader(server: Server, phone: Tab) -> None:
    page = phone.page
    data = play_data(server)
    stop_the_clock(page)  # only the keys move the session
    page.goto(f"{server.url}play?{QUERY}&speed=2")
    page.get_by_role("button", name="Start").focus()
    page.keyboard.press("Enter")
    # Focus goes to Pause; Tab walks Pause, Skip; Shift+Tab back to Back.
    assert page.evaluate("document.activeElement.id") == "pause"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "back"
    # The current pose is announced in a polite live region.
    live = page.locator("#live")
    expect(live).to_have_attribute("aria-live", "polite")
    first = data["entries"][0]
    expect(live).to_have_text(
        f"Step 1 of {len(data['entries'])}: {first['name']}. Hold {first['hold_seconds']} seconds."
    )
    page.keyboard.press("n")  # the terminal's keys work here too
    expect(live).to_have_text(re.compile(f"^Step 2 of {len(data['entries'])}: "))
    page.keyboard.press("ArrowLeft")
    expect(live).to_have_text(re.compile("^Step 1 of"))
    page.keyboard.press("p")
    expect(page.locator("#phase")).to_have_text("PAUSED")
    expect(page.get_by_role("img", name=first["name"])).to_be_visible()  # the figure's name


def test_whole_session_plays_in_order_and_is_recorded(server: Server, phone: Tab) -> None:
    page = phone.page
    data = play_data(server)
    page.goto(f"{server.url}play?{QUERY}&speed=60")
    page.get_by_role("button", name="Start").click()
    page.evaluate(WATCH_SEQUENCE)
    finished(page)
    expected = shown_sequence(data["entries"])
    assert page.evaluate("window.seen") in (expected, expected[1:])  # step 1 shown before watching
    expect(page.locator("#summary")).to_have_text(
        f"Session complete: {len(data['entries'])} steps, {data['total']}."
    )
    page.screenshot(path=ARTIFACTS / "web-done-360.png")
    page.locator("#after").get_by_label("Hips").fill("2")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    outbox_empty(page)
    sessions = server.rows("SELECT id, finished, ended_at FROM sessions ORDER BY id DESC")
    session_id, done, ended = sessions[0]
    assert done == 1 and ended is not None
    steps = server.rows(
        "SELECT pose, side, outcome FROM steps WHERE session_id = ? ORDER BY position", session_id
    )
    assert [(p, s) for p, s, _ in steps] == [(e["name"], e["side"]) for e in data["entries"]]
    assert {o for _, _, o in steps} == {"done"}
    ratings = server.rows(
        "SELECT moment, area, value FROM ratings WHERE session_id = ?", session_id
    )
    assert ("after", "hip-flexors", 2) in ratings  # "hips" stands for its areas, as at the CLI


def test_pause_skip_and_back(server: Server, phone: Tab) -> None:
    page = phone.page
    data = play_data(server)
    stop_the_clock(page)
    page.goto(f"{server.url}play?{QUERY}&speed=5")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Pause").click()
    frozen = page.locator("#count").text_content()
    page.clock.run_for(1000)  # 5 session seconds at this speed, every paused redraw run
    expect(page.locator("#count")).to_have_text(frozen or "")
    expect(page.locator("#phase")).to_have_text("PAUSED")
    expect(page.get_by_role("button", name="Resume")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Resume").click()
    page.clock.run_for(1000)  # and the same second once resumed does count
    assert int(page.locator("#count").text_content() or 0) <= int(frozen or 0) - 4
    page.get_by_role("button", name="Skip").click()
    expect(page.locator("#pose")).to_have_text(data["entries"][1]["name"])
    expect(page.locator("#next")).to_have_text(
        re.compile(f"^Next: {re.escape(data['entries'][2]['name'])}")
    )
    page.get_by_role("button", name="Back").click()  # just begun: back to step 1
    expect(page.locator("#step")).to_have_text(f"Step 1 of {len(data['entries'])}")
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="End the session").click()
    expect(page.locator("#summary")).to_have_text(f"Stopped at step 1 of {len(data['entries'])}.")
    outbox_empty(page)
    session_id, done = server.rows("SELECT id, finished FROM sessions ORDER BY id DESC LIMIT 1")[0]
    assert done == 0
    outcomes = server.rows(
        "SELECT pose, outcome FROM steps WHERE session_id = ? ORDER BY position", session_id
    )
    # Step 1 cut short (1 s held), then (after "back") ended at once: two records, both short.
    first = data["entries"][0]["name"]
    assert [pose for pose, _ in outcomes] == [first, first]
    assert {outcome for _, outcome in outcomes} <= {"cut short", "skipped"}


def test_a_reload_mid_session_carries_on_where_it_was_as_one_session(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    data = play_data(server)
    entries = data["entries"]
    stop_the_clock(page)
    page.goto(f"{server.url}play?{QUERY}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Skip").click()
    page.get_by_role("button", name="Skip").click()
    third = entries[2]
    # Half a second off a whole one: the count shows the same number at every redraw near it.
    page.clock.run_for(round((third["transition_seconds"] + 5.5) * 1000))
    expect(page.locator("#pose")).to_have_text(third["name"])
    left = str(third["hold_seconds"] - 5)
    expect(page.locator("#count")).to_have_text(left)
    outbox_empty(page)

    page.reload()  # a phone that slept and dropped the tab, or a tab closed and opened again
    page.clock.pause_at(CLOCK_START + timedelta(hours=2))  # and came back later
    side = f", {third['side_label']}" if third["side_label"] else ""
    expect(page.locator("#resume-where")).to_have_text(f"Carry on from {third['name']}{side}?")
    expect(page.locator("#resume-detail")).to_contain_text(f"Step 3 of {len(entries)}")
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_hidden()
    page.screenshot(path=ARTIFACTS / "web-resume-360.png")
    page.get_by_role("button", name="Carry on").click()
    expect(page.locator("#pose")).to_have_text(third["name"])
    expect(page.locator("#phase")).to_have_text("HOLD")
    expect(page.locator("#count")).to_have_text(left)  # the same second of the same hold
    expect(page.locator("#player")).to_have_attribute("data-resumed", "1")
    for _ in entries[2:]:
        page.get_by_role("button", name="Skip").click()
    finished(page)
    outbox_empty(page)
    # One session, started once, its steps numbered on from before the reload, and finished.
    rows = server.rows("SELECT id, finished FROM sessions ORDER BY id DESC LIMIT 1")
    session_id, done = rows[0]
    assert done == 1
    steps = server.rows(
        "SELECT position, pose, outcome FROM steps WHERE session_id = ? ORDER BY position",
        session_id,
    )
    assert [p for p, _, _ in steps] == list(range(1, len(entries) + 1))
    assert [pose for _, pose, _ in steps] == [e["name"] for e in entries]
    assert steps[2][2] == "cut short"  # its 5 s held before the reload, then skipped
    # The next visit starts afresh: nothing is left to carry on with.
    page.reload()
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible()
    expect(page.locator("#resume")).to_be_hidden()


def test_start_again_after_a_reload_closes_the_session_left_and_begins_a_new_one(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    stop_the_clock(page)
    page.goto(f"{server.url}play?{QUERY}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Skip").click()
    outbox_empty(page)
    left = server.rows("SELECT id FROM sessions ORDER BY id DESC LIMIT 1")[0][0]
    page.reload()
    page.get_by_role("button", name="Start again").click()
    page.get_by_role("button", name="Start", exact=True).click()
    outbox_empty(page)
    ((ended, finished_left),) = server.rows(
        "SELECT ended_at, finished FROM sessions WHERE id = ?", left
    )
    assert ended is not None and finished_left == 0  # stopped, with the one step it had
    newest = server.rows("SELECT id, ended_at FROM sessions ORDER BY id DESC LIMIT 1")[0]
    assert newest[0] != left and newest[1] is None  # the new one, under way


def test_after_one_visit_the_session_plays_offline_from_a_reload(
    server: Server, browser: Browser
) -> None:
    tab = Tab(browser, PHONE)
    page, context = tab.page, tab.context
    url = f"{server.url}play?{QUERY}&speed=60"
    page.goto(url)  # the first visit: no service worker yet when the page was fetched
    expect(page.locator("#player")).to_have_attribute("data-offline", "kept")
    data = play_data(server)
    expect(page.locator("#offline")).to_have_text(
        f"Kept on this device for use offline: the page and its {len(data['entries'])} steps: "
        f"{len({e[k] for e in data['entries'] for k in ('figure', 'move_figure') if e[k]})} "
        f"figures, {len(data['entries'])} voice clips"
    )
    context.set_offline(True)
    # The start page and this plan's page open with no network too, with their figures.
    for address in (server.url, f"{server.url}plan?{QUERY}"):
        page.goto(address)
        expect(page.locator("h1").first).to_be_visible()
        until(page, EVERY_FIGURE_DRAWN)
    page.goto(url)  # from the service worker's cache: the network is gone
    expect(page.locator("#loading")).to_have_text("Voice ready")
    page.get_by_role("button", name="Start").click()
    page.evaluate(WATCH_SEQUENCE)
    finished(page)
    expected = shown_sequence(data["entries"])
    assert page.evaluate("window.seen") in (expected, expected[1:])  # step 1 shown before watching
    expect(page.locator("#saved")).to_have_text(
        "Kept on this phone: it reaches your history when the server can be reached again."
    )
    waiting = json.loads(page.evaluate("localStorage.getItem('unknot.outbox')"))
    assert len(waiting) == 1 + len(data["entries"]) + 1  # start, each step, finish
    before = server.rows("SELECT COUNT(*) FROM sessions")[0][0]

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    outbox_empty(page)
    assert server.rows("SELECT COUNT(*) FROM sessions")[0][0] == before + 1
    session_id, done = server.rows("SELECT id, finished FROM sessions ORDER BY id DESC LIMIT 1")[0]
    assert done == 1
    held = server.rows("SELECT COUNT(*) FROM steps WHERE session_id = ?", session_id)[0][0]
    assert held == len(data["entries"])
    context.close()
    assert [e for e in tab.errors if "ERR_INTERNET_DISCONNECTED" not in e] == [], tab.failed


def test_records_wait_while_the_server_is_killed_and_go_in_when_it_is_back(
    tmp_path: Path, browser: Browser
) -> None:
    first = Server(tmp_path, "--voice", "none")
    tab = Tab(browser, PHONE)
    page = tab.page
    stop_the_clock(page)  # no step ends on its own while the server is down: three records
    try:
        page.goto(f"{first.url}play?{QUERY}&speed=20")
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="Skip").click()
        outbox_empty(page)  # start and step 1 are in
        first.process.kill()  # mid-session, with no chance to clean up
        first.process.wait()
        page.get_by_role("button", name="Skip").click()
        page.get_by_role("button", name="Skip").click()
        until(page, "JSON.parse(localStorage.getItem('unknot.outbox')).length === 2")
        second = Server(tmp_path, "--voice", "none", "--port", str(first.port))
    finally:
        first.stop()
    try:
        page.evaluate("window.dispatchEvent(new Event('online'))")
        outbox_empty(page)
        ((session_id, ended),) = second.rows("SELECT id, ended_at FROM sessions")
        assert ended is None  # still going on the phone
        positions = second.rows("SELECT position FROM steps WHERE session_id = ?", session_id)
        assert positions == [(1,), (2,), (3,)]
    finally:
        second.stop()
    tab.context.close()
    assert [e for e in tab.errors if "ERR_CONNECTION_REFUSED" not in e] == []


def test_each_page_at_phone_and_laptop_sizes_in_light_and_dark(
    server: Server, browser: Browser
) -> None:
    for size, scheme in ((PHONE, "dark"), (LAPTOP, "light"), (LAPTOP, "dark")):
        tab = Tab(browser, size, scheme)
        page = tab.page
        width = size["width"]
        for name, path in (("start", ""), ("plan", f"plan?{QUERY}"), ("history", "history")):
            page.goto(server.url + path)
            # Every picture drawn (the plan's figures load as they come near the screen).
            pictures = page.locator("img")
            if pictures.count():
                pictures.last.scroll_into_view_if_needed()
            until(page, EVERY_FIGURE_DRAWN)
            # Nothing wider than the screen: no sideways scrolling on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=ARTIFACTS / f"web-{name}-{width}-{scheme}.png", full_page=True)
        page.goto(f"{server.url}play?{QUERY}")
        page.get_by_role("button", name="Start").click()
        until(page, "document.getElementById('figure').naturalWidth > 0")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Pause, skip and back stay in reach without scrolling, as large targets.
        for button in ("Back", "Pause", "Skip"):
            box = page.get_by_role("button", name=button).bounding_box()
            assert box is not None and box["height"] >= 48 and box["y"] + box["height"] <= 860
        page.screenshot(path=ARTIFACTS / f"web-player-{width}-{scheme}.png")
        tab.context.close()
        assert tab.errors == []


def test_history_page_shows_sessions_and_the_chart(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(f"{server.url}play?{QUERY}&speed=200")
    page.get_by_role("button", name="Start").click()
    finished(page)
    outbox_empty(page)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="See your history").click()
    history = twin(server, "api/history")
    assert history["sessions"][0]["status"] == "finished"
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(len(history["sessions"]))
    expect(rows.first).to_contain_text("finished")
    until(page, "document.querySelector('img.chart').naturalWidth > 0")
    page.screenshot(path=ARTIFACTS / "web-history-360.png", full_page=True)


def test_the_end_screen_and_the_history_say_what_happened(tmp_path: Path, browser: Browser) -> None:
    server = Server(tmp_path, "--voice", "none")
    tab = Tab(browser, PHONE)
    page = tab.page
    try:
        data = play_data(server)
        first = data["entries"][0]
        stop_the_clock(page)
        # A session left before its first step was recorded, then started again: the one left
        # is closed with nothing in it.
        page.goto(f"{server.url}play?{QUERY}")
        page.get_by_role("button", name="Start").click()
        outbox_empty(page)
        page.reload()
        page.get_by_role("button", name="Start again").click()
        # The new one: rated before, 10 s of step 1, step 2 skipped, then ended.
        page.locator("#before").get_by_label("Hips").fill("7")
        page.get_by_role("button", name="Start", exact=True).click()
        page.clock.run_for((first["transition_seconds"] + 10) * 1000)
        page.get_by_role("button", name="Skip").click()
        page.get_by_role("button", name="Skip").click()
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="End the session").click()
        expect(page.locator("#done-title")).to_have_text("Session ended")  # not "Well done"
        expect(page.locator("#tally-held")).to_have_text(f"0:10 of {data['total']} planned")
        steps = len(data["entries"])
        expect(page.locator("#tally-steps")).to_have_text(f"1 cut short, 2 skipped (of {steps})")
        expect(page.locator("#tally-rated")).to_have_text("Hips 7")
        page.locator("#after").get_by_label("Hips").fill("3")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#tally-rated")).to_have_text("Hips 7 → 3")
        page.screenshot(path=ARTIFACTS / "web-done-stopped-360.png", full_page=True)
        outbox_empty(page)

        page.get_by_role("link", name="See your history").click()
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(1)  # the empty one is not listed...
        expect(rows.first).to_contain_text("After a long run")  # by its title
        expect(rows.first).to_contain_text("stopped")
        notice = page.locator("form.empty")
        expect(notice).to_contain_text("1 session was stopped before any step")  # ...but said
        until(page, "document.querySelector('img.chart').naturalWidth > 0")
        page.screenshot(path=ARTIFACTS / "web-history-empty-360.png", full_page=True)
        assert server.rows("SELECT COUNT(*) FROM sessions") == [(2,)]
        with page.expect_navigation():
            page.get_by_role("button", name="Remove it").click()
        assert page.url == f"{server.url}history", page.content()[:500]
        expect(page.locator("form.empty")).to_have_count(0)
        expect(rows).to_have_count(1)
        assert server.rows("SELECT COUNT(*) FROM sessions") == [(1,)]
        tab.context.close()
        assert tab.errors == []
    finally:
        server.stop()


def test_tapping_the_body_outline_ticks_the_areas(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    hamstrings = page.locator('.body-map .region[data-area="hamstrings"]')
    hamstrings.locator("rect").first.click()  # the left leg's
    expect(page.locator('input[name="tight"][value="hamstrings"]')).to_be_checked()
    expect(hamstrings).to_have_class(re.compile(r"\bon\b"))
    chip(page, "Hips").click()  # a group lights up all of its areas
    for area in ("glutes", "outer-hips", "hip-flexors"):
        expect(page.locator(f'.region[data-area="{area}"]').first).to_have_class(
            re.compile(r"\bon\b")
        )
    page.locator('.region[data-area="glutes"] ellipse').first.click()  # all of hips but glutes
    expect(page.locator('input[name="tight"][value="hips"]')).not_to_be_checked()
    expect(page.locator('input[name="tight"][value="hip-flexors"]')).to_be_checked()
    expect(page.locator('input[name="tight"][value="glutes"]')).not_to_be_checked()
    page.screenshot(path=ARTIFACTS / "web-start-body-360.png")
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_url(re.compile(r"/plan\?"))
    tight = [v for k, v in parse_qsl(page.url.split("?", 1)[1]) if k == "tight"]
    assert "hamstrings" in tight and "hip-flexors" in tight and "glutes" not in tight


def test_a_tap_beside_a_thin_part_of_the_outline_ticks_that_part(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    page.goto(server.url)
    page.evaluate("document.querySelector('.body-map').scrollIntoView({block: 'center'})")
    calf = page.locator('.body-map .region[data-area="calves"] > ellipse').first.bounding_box()
    assert calf is not None and calf["width"] < 44  # too thin a target on its own
    # 15 px out from its outer edge, in the empty space beside the leg.
    page.mouse.click(calf["x"] - 15, calf["y"] + calf["height"] / 2)
    expect(page.locator('input[name="tight"][value="calves"]')).to_be_checked()
    page.mouse.click(calf["x"] + calf["width"] / 2, calf["y"] + calf["height"] / 2)
    expect(page.locator('input[name="tight"][value="calves"]')).not_to_be_checked()
    page.mouse.click(5, 5)  # far from the body: nothing
    assert page.locator('input[name="tight"]:checked').count() == 0


def test_change_keeps_every_choice_and_leave_out_offers_the_routines_poses(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    page.goto(server.url)
    page.locator('input[name="routine"][value="foam-rolling"]').check()
    rolling = next(r for r in twin(server, "api/start")["routines"] if r["name"] == "foam-rolling")
    assert rolling["name"] == "foam-rolling"
    offered = page.locator('select[name="skip"] option:not([hidden])')
    expect(offered).to_have_count(len(rolling["poses"]))  # the foam roller's poses, no others
    page.locator('input[name="routine"][value="after-long-run"]').check()
    yoga = twin(server, "api/start")["routines"][0]
    expect(offered).to_have_count(len(yoga["poses"]))
    assert "IT Band Foam Roll" not in offered.all_text_contents()
    # "See the plan" is on screen before anything is scrolled, and stays there.
    expect(page.get_by_role("button", name="See the plan")).to_be_in_viewport()

    chip(page, "Hips").click()
    chip(page, "Calves").click()
    page.locator(".minutes label.chip", has_text="15").click()
    page.get_by_label("Level").select_option("beginner")
    page.get_by_label("First side").select_option("left")
    page.get_by_text("Avoid or skip").click()
    chip(page, "Sore or injured knees").click()
    chip(page, "Block").click()
    page.get_by_label("Leave out poses").select_option(["Pigeon", "Cat-Cow"])
    expect(page.get_by_role("button", name="See the plan")).to_be_in_viewport()
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_url(re.compile(r"/plan\?"))
    first_plan = page.url

    page.get_by_role("link", name="Change").click()
    page.wait_for_url(re.compile(r"/\?"))
    expect(page.locator('input[name="routine"][value="after-long-run"]')).to_be_checked()
    for area in ("hips", "calves"):
        expect(page.locator(f'input[name="tight"][value="{area}"]')).to_be_checked()
    expect(page.locator('.minutes input[value="15"]')).to_be_checked()
    expect(page.get_by_label("Level")).to_have_value("beginner")
    expect(page.get_by_label("First side")).to_have_value("left")
    expect(page.locator("details")).to_have_attribute("open", "")  # open: things are set in it
    expect(page.locator('input[name="avoid"][value="knees"]')).to_be_checked()
    expect(page.locator('input[name="props"][value="block"]')).to_be_checked()
    chosen = page.locator('select[name="skip"] option:checked').all_text_contents()
    assert sorted(chosen) == ["Cat-Cow", "Pigeon"]
    page.screenshot(path=ARTIFACTS / "web-start-change-360.png", full_page=True)
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_url(re.compile(r"/plan\?"))
    assert page.url == first_plan  # the same plan, asked for again unchanged
    # A number typed in place of a preset is kept as typed, and the presets let go.
    page.get_by_role("link", name="Change").click()
    page.get_by_label("Other number of minutes").fill("12")
    expect(page.locator('.minutes input[value="15"]')).not_to_be_checked()
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_url(re.compile(r"minutes=12"))
    page.get_by_role("link", name="Change").click()
    expect(page.get_by_label("Other number of minutes")).to_have_value("12")
    assert page.locator('.minutes input[type="radio"]:checked').count() == 0


HOSTILE = "<script>alert(1)</script>"


def test_text_from_a_routine_file_is_shown_as_text(tmp_path: Path, browser: Browser) -> None:
    routine = tmp_path / "hostile.yaml"
    routine.write_text(
        f"name: '{HOSTILE}'\ntitle: '{HOSTILE}'\n"
        "description: '<img src=x onerror=alert(2)>'\n"
        "steps:\n  - pose: Child's Pose\n    note: '</script><script>alert(3)</script>'\n"
        "  - Savasana\n",
        encoding="utf-8",
    )
    hostile = Server(tmp_path, "--voice", "none", str(routine))
    try:
        tab = Tab(browser, PHONE)
        page = tab.page
        page.goto(hostile.url)
        page.get_by_text(HOSTILE).first.click()
        page.get_by_role("button", name="See the plan").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE)
        page.get_by_role("link", name="Start the session").first.click()
        expect(page.locator("#ready-title")).to_have_text(HOSTILE)
        # No script but the page's own: its data, and the files it loads from /static/.
        scripts = page.evaluate(
            "[...document.scripts].map(s => s.type === 'application/json' ? s.id"
            " : new URL(s.src).pathname)"
        )
        assert scripts[0] == "session-data" and len(scripts) >= 2
        assert all(name.startswith("/static/") for name in scripts[1:]), scripts
        tab.context.close()
        assert tab.errors == []  # no dialog opened, nothing blocked
    finally:
        hostile.stop()


# -- on the phone, safely ------------------------------------------------------------------------
def test_a_phone_paired_once_keeps_working_after_the_server_restarts(
    tmp_path: Path, browser: Browser
) -> None:
    lan = Server(tmp_path, "--lan", "--voice", "none")
    tab = Tab(browser, PHONE)
    try:
        code = dict(parse_qsl(lan.link.split("?", 1)[1]))["pair"]
        tab.page.goto(f"{lan.url}?pair={code}")  # the QR code, scanned once
        assert tab.page.url == lan.url  # the code left the address bar
        expect(tab.page.get_by_role("button", name="See the plan")).to_be_visible()
        (kept,) = tab.context.cookies()
        assert kept["name"] == "unknot_device" and code not in kept["value"]
        assert kept["httpOnly"] and kept["sameSite"] == "Strict"
        assert tab.page.evaluate("document.cookie") == ""
    finally:
        lan.stop()
    # A new start: a new pairing code, which the phone never sees.
    again = Server(tmp_path, "--lan", "--voice", "none", "--port", str(lan.port))
    try:
        assert again.link != lan.link
        tab.page.goto(lan.url)  # the home-screen shortcut: no code in it
        expect(tab.page.get_by_role("button", name="See the plan")).to_be_visible()
        tab.page.goto(f"{lan.url}play?{QUERY}&speed=200")
        tab.page.get_by_role("button", name="Start").click()
        finished(tab.page)
        outbox_empty(tab.page)
        ((done,),) = again.rows("SELECT finished FROM sessions")
        assert done == 1
        # Another browser, never paired, is refused by the same server.
        stranger = Tab(browser, PHONE)
        refused = stranger.page.goto(lan.url)
        assert refused is not None and refused.status == 403
        stranger.context.close()
        tab.context.close()
        assert tab.errors == []
    finally:
        again.stop()


def test_over_https_the_phone_that_trusts_unknots_authority_gets_a_secure_context(
    tmp_path: Path, browser: Browser
) -> None:
    import base64
    import hashlib
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    lan = Server(tmp_path, "--lan", "--https", "--voice", "none")
    tls = tmp_path / "data" / "unknot" / "tls"  # the data folder (XDG_DATA_HOME, conftest)
    try:
        assert lan.url.startswith("https://")
        code = dict(parse_qsl(lan.link.split("?", 1)[1]))["pair"]
        trusted = ssl.create_default_context(cafile=tls / "unknot-ca.pem")
        with httpx.Client(verify=trusted, timeout=GUARD) as client:
            # The authority is there for a phone not paired yet; nothing else is.
            authority = client.get(f"{lan.url}unknot-ca.crt")
            assert authority.status_code == 200
            assert authority.headers["content-type"] == "application/x-x509-ca-cert"
            installed = x509.load_der_x509_certificate(authority.content)
            pem = x509.load_pem_x509_certificate((tls / "unknot-ca.pem").read_bytes())
            assert installed == pem
            assert client.get(lan.url).status_code == 403
            paired = client.get(f"{lan.url}?pair={code}")
            assert paired.status_code == 303 and "Secure" in paired.headers["set-cookie"]
        # The server's certificate is signed by that authority, for loopback and the LAN.
        served = x509.load_pem_x509_certificate((tls / "server.pem").read_bytes())
        assert served.issuer == pem.subject
        spki = served.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
        # Chromium told to trust that certificate, as a phone that installed the authority.
        trusting = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={pin}"],
        )
        try:
            tab = Tab(trusting, PHONE)
            tab.page.goto(f"{lan.url}?pair={code}")
            assert tab.page.evaluate("window.isSecureContext") is True
            tab.page.goto(f"{lan.url}play?{QUERY}")
            expect(tab.page.locator("#player")).to_have_attribute("data-offline", "kept")
            tab.page.get_by_role("button", name="Start").click()
            expect(tab.page.locator("#player")).to_have_attribute("data-awake", "wake lock")
            (cookie,) = tab.context.cookies()
            assert cookie["secure"] and cookie["httpOnly"]
            tab.context.close()
            assert tab.errors == []
        finally:
            trusting.close()
    finally:
        lan.stop()
    # A restart keeps the authority (the phone trusts it still) and the certificate.
    before = (tls / "unknot-ca.pem").read_bytes(), (tls / "server.pem").read_bytes()
    again = Server(tmp_path, "--lan", "--https", "--voice", "none")
    try:
        assert ((tls / "unknot-ca.pem").read_bytes(), (tls / "server.pem").read_bytes()) == before
    finally:
        again.stop()


def test_https_without_lan_is_one_line(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [UNKNOT, "serve", "--https", "--voice", "none"], capture_output=True, text=True,
        timeout=GUARD,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "unknot: --https: is for the local network; expected --lan --https (on this machine, "
        "http://127.0.0.1 is a secure context)\n"
    )


# -- music under the voice (serve --music) -----------------------------------------------------
def loud_music(path: Path) -> Path:
    """Twenty seconds of a chord at full scale: far louder than any voice, as music often is."""
    import numpy
    import soundfile

    rate = 44_100
    t = numpy.arange(20 * rate) / rate
    chord = sum(numpy.sin(2 * numpy.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    soundfile.write(path, numpy.stack([chord, chord], axis=1) * 0.95, rate)
    return path


def loudness(data: bytes) -> float:
    import io

    import pyloudnorm
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32")
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def test_music_plays_under_the_voice_and_ducks_under_its_words(
    tmp_path: Path, browser: Browser
) -> None:
    music = loud_music(tmp_path / "chord.wav")
    server = Server(tmp_path, "--voice", "espeak", "--music", str(music))
    try:
        data = play_data(server)
        assert data["music"] == "/audio/music.mp3"
        served = httpx.get(f"{server.url}audio/music.mp3", timeout=GUARD)
        assert served.status_code == 200 and served.headers["content-type"] == "audio/mpeg"
        clip = httpx.get(server.url.rstrip("/") + data["entries"][0]["clip"], timeout=GUARD)
        # Between cues the music sits well under the voice (14 LU by design; 10 at the least).
        assert loudness(clip.content) - loudness(served.content) >= 10

        tab = Tab(browser, PHONE)
        page = tab.page
        stop_the_clock(page)
        page.goto(f"{server.url}play?{QUERY}")
        expect(page.locator("#loading")).to_have_text("Voice ready")
        expect(page.locator("#player")).to_have_attribute("data-music", "off")  # not begun
        page.get_by_role("button", name="Start").click()
        first = data["entries"][0]
        # A second into the move the name is being said: the music is under it.
        page.clock.run_for(1500)
        expect(page.locator("#player")).to_have_attribute("data-music", "under")
        # Between the last words of the hold and the count: the music at its level.
        spoken = [c for c in first["cues"] if c["kind"] != "enter" and not c["from_end"]]
        quiet = max(first["transition_seconds"] + c["offset_seconds"] + c["speaking_seconds"]
                    for c in spoken) + 1  # fmt: skip
        count = first["transition_seconds"] + first["hold_seconds"] - 3
        assert quiet < count - 1, (quiet, count)
        page.clock.run_for(round((quiet - 1.5) * 1000))
        expect(page.locator("#player")).to_have_attribute("data-music", "full")
        page.get_by_role("button", name="Pause").click()
        expect(page.locator("#player")).to_have_attribute("data-music", "off")
        tab.context.close()
        assert tab.errors == []
    finally:
        server.stop()


def test_serve_refuses_music_that_is_not_sound(tmp_path: Path) -> None:
    import subprocess

    from conftest import UNKNOT

    (tmp_path / "notes.mp3").write_text("not music at all\n")
    done = subprocess.run(
        [UNKNOT, "serve", "--port", "0", "--voice", "none", "--music", str(tmp_path / "notes.mp3")],
        capture_output=True, text=True, timeout=GUARD, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "notes.mp3" in line and "music" in line and "WAV, FLAC, OGG, Opus or MP3" in line
