"""The web app as a person meets it: the real server (`unknot serve`) on a free port, driven by
Debian's Chromium through Playwright, with the real voice, figures and history database.

Screenshots of each page at 360 and 1280 pixels, light and dark, are written on every run to
tests/artifacts/web/ (not kept in git: docs/screenshots/ holds a set that was looked at).
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    sync_playwright,
)

from conftest import UNKNOT

CHROMIUM = "/usr/bin/chromium"
# As the environment asks: no sandbox as root, and none of Chromium's calls home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
QUERY = "routine=after-long-run&tight=hips&tight=hamstrings&minutes=12"
PHONE = {"width": 360, "height": 780}
LAPTOP = {"width": 1280, "height": 860}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/test installs it)"
)


class Server:
    """`unknot serve` in a subprocess, on a free port, with a history database of its own."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.database = folder / "history.db"
        self.process = subprocess.Popen(
            [UNKNOT, "serve", "--port", "0", "--database", f"sqlite:///{self.database}", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.banner = [self.process.stdout.readline()]
        found = re.search(r"http://(\S+?):(\d+)/(\S*)", self.banner[0])
        if found is None:
            self.process.kill()
            raise AssertionError(f"no address in {self.banner} ({self.process.stderr})")
        self.port = int(found[2])
        self.url = f"http://127.0.0.1:{self.port}/"  # tests only ever talk to loopback
        self.link = found[0]

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("web"), "--voice", "espeak")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Tab:
    """A page in its own browser context, with every console error and failed request kept."""

    def __init__(self, browser: Browser, size: dict[str, int], scheme: str = "light") -> None:
        self.context: BrowserContext = browser.new_context(viewport=size, color_scheme=scheme)  # type: ignore[arg-type]
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: self.errors.append(f"dialog: {dialog.message}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Tab]:
    tab = Tab(browser, PHONE)
    yield tab
    tab.context.close()
    assert tab.errors == []


def until(page: Page, condition: str, timeout: float = 30) -> None:
    """Wait until a JavaScript expression is true. Polled from outside the page: Playwright's
    own wait_for_function evaluates strings inside it, which the page's CSP rightly forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {condition}")
        time.sleep(0.05)


def chip(page: Page, label: str) -> Locator:
    """An area's (or group's) chip in the start page's list."""
    return page.locator("label.chip", has_text=re.compile(f"^{label}$"))


def play_data(server: Server, query: str = QUERY) -> dict[str, Any]:
    return httpx.get(f"{server.url}api/play?{query}").json()  # type: ignore[no-any-return]


def shown_sequence(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['name']}|{e['side_label'].upper()}" for e in entries]


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
    page.get_by_label("Minutes").fill("12")
    page.screenshot(path=ARTIFACTS / "web-start-360.png", full_page=True)
    page.get_by_role("button", name="See the plan").click()

    expected = httpx.get(f"{server.url}api/plan?{QUERY}").json()
    assert page.locator(".lead strong").text_content() == "12:00"
    cards = page.locator(".steps li")
    assert cards.count() == len(expected["cards"])
    assert cards.first.locator("strong").text_content() == expected["cards"][0]["pose"]
    every_figure_drawn = "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
    page.locator(".steps li").last.scroll_into_view_if_needed()
    until(page, every_figure_drawn)
    page.screenshot(path=ARTIFACTS / "web-plan-360.png", full_page=True)

    page.get_by_role("link", name="Start the session").first.click()
    page.wait_for_url(re.compile(r"/play\?"))
    until(page, "document.getElementById('loading').textContent === 'Voice ready'")
    page.get_by_role("button", name="Start").click()
    first = play_data(server)["entries"][0]
    assert page.locator("#pose").text_content() == first["name"]
    assert page.locator("#step").text_content() == f"Step 1 of {len(play_data(server)['entries'])}"
    # The voice clip of step 1 plays from its start, in time with the timer.
    until(page, "document.getElementById('player').dataset.sound.startsWith('0@')")
    started = float(page.locator("#player").get_attribute("data-sound").split("@")[1])  # type: ignore[union-attr]
    assert started < 0.5
    until(page, every_figure_drawn)
    assert page.locator("#live").text_content().startswith("Step 1 of")  # type: ignore[union-attr]
    time.sleep(2.2)
    count = int(page.locator("#count").text_content())  # type: ignore[arg-type]
    move, hold = first["transition_seconds"], first["hold_seconds"]
    left = move - 2.2 if move > 2.2 else hold - (2.2 - move)  # the ring counts the phase down
    assert abs(count - left) <= 1.5
    page.screenshot(path=ARTIFACTS / "web-player-360.png")
    # The screen is kept on: on 127.0.0.1 (a secure context) by the Wake Lock API itself.
    until(page, "document.getElementById('player').dataset.awake !== undefined")
    assert page.locator("#player").get_attribute("data-awake") == "wake lock"
    # Skip: the next step's clip starts from its beginning, with the screen.
    page.get_by_role("button", name="Skip").click()
    until(page, "document.getElementById('player').dataset.sound.startsWith('1@')")
    assert float(page.locator("#player").get_attribute("data-sound").split("@")[1]) < 0.3  # type: ignore[union-attr]
    page.get_by_role("button", name="Pause").click()
    assert page.locator("#phase").text_content() == "PAUSED"
    assert page.locator("#player").get_attribute("data-sound") == ""  # silent while paused


def test_without_the_wake_lock_api_a_silent_video_keeps_the_screen_on(
    server: Server, phone: Tab
) -> None:
    page = phone.page
    page.add_init_script("delete Navigator.prototype.wakeLock")  # as over plain http on a LAN
    page.goto(f"{server.url}play?{QUERY}&speed=5")
    page.get_by_role("button", name="Start").click()
    until(page, "document.getElementById('player').dataset.awake !== undefined")
    assert page.locator("#player").get_attribute("data-awake") == "video"
    assert page.evaluate("!document.querySelector('video.keep-awake').paused")
    assert page.evaluate("document.querySelector('video.keep-awake').muted")


def test_the_player_by_keyboard_and_screen_reader(server: Server, phone: Tab) -> None:
    page = phone.page
    data = play_data(server)
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
    assert live.get_attribute("aria-live") == "polite"
    first = data["entries"][0]
    assert live.text_content() == (
        f"Step 1 of {len(data['entries'])}: {first['name']}. Hold {first['hold_seconds']} seconds."
    )
    page.keyboard.press("n")  # the terminal's keys work here too
    assert (live.text_content() or "").startswith(f"Step 2 of {len(data['entries'])}: ")
    page.keyboard.press("ArrowLeft")
    assert (live.text_content() or "").startswith("Step 1 of")
    page.keyboard.press("p")
    assert page.locator("#phase").text_content() == "PAUSED"
    assert page.get_by_role("img", name=first["name"]).is_visible()  # the figure has its name


def test_whole_session_plays_in_order_and_is_recorded(server: Server, phone: Tab) -> None:
    page = phone.page
    data = play_data(server)
    page.goto(f"{server.url}play?{QUERY}&speed=60")
    page.get_by_role("button", name="Start").click()
    page.evaluate(WATCH_SEQUENCE)
    page.wait_for_selector("#done:not([hidden])", timeout=60_000)
    expected = shown_sequence(data["entries"])
    assert page.evaluate("window.seen") in (expected, expected[1:])  # step 1 shown before watching
    assert page.locator("#summary").text_content() == (
        f"Session complete: {len(data['entries'])} steps, {data['total']}."
    )
    page.screenshot(path=ARTIFACTS / "web-done-360.png")
    page.locator("#after").get_by_label("Hips").fill("2")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    until(page, "localStorage.getItem('unknot.outbox') === '[]'")
    sessions = server.rows("SELECT id, finished, ended_at FROM sessions ORDER BY id DESC")
    session_id, finished, ended = sessions[0]
    assert finished == 1 and ended is not None
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
    page.goto(f"{server.url}play?{QUERY}&speed=5")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Pause").click()
    frozen = page.locator("#count").text_content()
    time.sleep(1.0)  # 5 session seconds at this speed
    assert page.locator("#count").text_content() == frozen
    assert page.get_by_role("button", name="Resume").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Skip").click()
    assert page.locator("#pose").text_content() == data["entries"][1]["name"]
    assert (
        page.locator("#next")
        .text_content()
        .startswith(  # type: ignore[union-attr]
            f"Next: {data['entries'][2]['name']}"
        )
    )
    page.get_by_role("button", name="Back").click()  # just begun: back to step 1
    assert page.locator("#step").text_content() == f"Step 1 of {len(data['entries'])}"
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="End the session").click()
    assert page.locator("#summary").text_content() == (
        f"Stopped at step 1 of {len(data['entries'])}."
    )
    until(page, "localStorage.getItem('unknot.outbox') === '[]'")
    session_id, finished = server.rows(
        "SELECT id, finished FROM sessions ORDER BY id DESC LIMIT 1"
    )[0]
    assert finished == 0
    outcomes = server.rows(
        "SELECT pose, outcome FROM steps WHERE session_id = ? ORDER BY position", session_id
    )
    # Step 1 skipped part way, then (after "back") ended at once: two records, both short.
    first = data["entries"][0]["name"]
    assert [pose for pose, _ in outcomes] == [first, first]
    assert {outcome for _, outcome in outcomes} <= {"cut short", "skipped"}


def test_the_session_finishes_with_the_network_cut_after_loading(
    server: Server, browser: Browser
) -> None:
    tab = Tab(browser, PHONE)
    page, context = tab.page, tab.context
    url = f"{server.url}play?{QUERY}&speed=60"
    page.goto(url)
    # The service worker takes the page over on the next load and keeps what it fetches.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    until(page, "navigator.serviceWorker.controller !== null")
    until(page, "document.getElementById('loading').textContent === 'Voice ready'")
    data = play_data(server)
    needed = {server.url + e[k].lstrip("/") for e in data["entries"] for k in ("clip", "figure")}
    kept = "caches.open('unknot-v1').then(c => c.keys()).then(k => k.map(r => r.url))"
    until(page, f"{kept}.then(urls => {json.dumps(sorted(needed))}.every(u => urls.includes(u)))")
    context.set_offline(True)
    page.reload()  # from the service worker's cache: the network is gone
    until(page, "document.getElementById('loading').textContent === 'Voice ready'")
    page.get_by_role("button", name="Start").click()
    page.evaluate(WATCH_SEQUENCE)
    page.wait_for_selector("#done:not([hidden])", timeout=60_000)
    expected = shown_sequence(data["entries"])
    assert page.evaluate("window.seen") in (expected, expected[1:])  # step 1 shown before watching
    until(page, "document.getElementById('saved').textContent.includes('waiting')")
    waiting = json.loads(page.evaluate("localStorage.getItem('unknot.outbox')"))
    assert len(waiting) == 1 + len(data["entries"]) + 1  # start, each step, finish
    before = server.rows("SELECT COUNT(*) FROM sessions")[0][0]

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    until(page, "localStorage.getItem('unknot.outbox') === '[]'", timeout=20)
    assert server.rows("SELECT COUNT(*) FROM sessions")[0][0] == before + 1
    session_id, finished = server.rows(
        "SELECT id, finished FROM sessions ORDER BY id DESC LIMIT 1"
    )[0]
    assert finished == 1
    held = server.rows("SELECT COUNT(*) FROM steps WHERE session_id = ?", session_id)[0][0]
    assert held == len(data["entries"])
    context.close()
    assert [e for e in tab.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_records_wait_while_the_server_is_killed_and_go_in_when_it_is_back(
    tmp_path: Path, browser: Browser
) -> None:
    first = Server(tmp_path, "--voice", "none")
    tab = Tab(browser, PHONE)
    page = tab.page
    try:
        page.goto(f"{first.url}play?{QUERY}&speed=20")
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="Skip").click()
        until(page, "localStorage.getItem('unknot.outbox') === '[]'")  # start and step 1 are in
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
        until(page, "localStorage.getItem('unknot.outbox') === '[]'")
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
            page.wait_for_load_state("networkidle")
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
    page.wait_for_selector("#done:not([hidden])", timeout=60_000)
    until(page, "localStorage.getItem('unknot.outbox') === '[]'")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="See your history").click()
    twin = httpx.get(f"{server.url}api/history").json()
    assert twin["sessions"][0]["status"] == "finished"
    rows = page.locator("tbody tr")
    assert rows.count() == len(twin["sessions"])
    assert "finished" in (rows.first.text_content() or "")
    until(page, "document.querySelector('img.chart').naturalWidth > 0")
    page.screenshot(path=ARTIFACTS / "web-history-360.png", full_page=True)


# -- the same answers as the command line ------------------------------------------------------
def test_every_area_can_be_chosen_on_the_start_page(server: Server) -> None:
    from unknot.catalog.vocabulary import vocabulary

    page = httpx.get(server.url).text
    offered = set(re.findall(r'name="tight" value="([^"]+)"', page))
    vocab = vocabulary()
    assert offered == set(vocab.areas) | set(vocab.groups)


def test_tapping_the_body_outline_ticks_the_areas(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    hamstrings = page.locator('.body-map .region[data-area="hamstrings"]')
    hamstrings.locator("rect").first.click()  # the left leg's
    assert page.locator('input[name="tight"][value="hamstrings"]').is_checked()
    assert "on" in (hamstrings.get_attribute("class") or "")
    chip(page, "Hips").click()  # a group lights up all of its areas
    for area in ("glutes", "outer-hips", "hip-flexors"):
        assert "on" in (
            page.locator(f'.region[data-area="{area}"]').first.get_attribute("class") or ""
        )
    page.locator('.region[data-area="glutes"] ellipse').first.click()  # all of hips but glutes
    assert not page.locator('input[name="tight"][value="hips"]').is_checked()
    assert page.locator('input[name="tight"][value="hip-flexors"]').is_checked()
    assert not page.locator('input[name="tight"][value="glutes"]').is_checked()
    page.screenshot(path=ARTIFACTS / "web-start-body-360.png")
    page.get_by_role("button", name="See the plan").click()
    tight = [v for k, v in parse_qsl(page.url.split("?", 1)[1]) if k == "tight"]
    assert "hamstrings" in tight and "hip-flexors" in tight and "glutes" not in tight


def test_the_body_outline_names_every_area_and_only_areas(tmp_path: Path) -> None:
    from unknot.catalog.vocabulary import vocabulary
    from unknot.errors import UnknotError
    from unknot.pictures import bodymap

    drawn = {area for view in bodymap.views() for area in view.areas}
    assert drawn == set(vocabulary().areas)
    bad = tmp_path / "body.yaml"
    bad.write_text("views:\n  front:\n    areas:\n      calves:\n        - rect: [1, 2]\n")
    with pytest.raises(UnknotError, match=r"body.yaml:5: .*has 2 numbers; expected 5 numbers"):
        bodymap.read_views(bad)
    bad.write_text("views:\n  front:\n    areas:\n      elbows:\n        - circle: [1, 2, 3]\n")
    with pytest.raises(
        UnknotError, match=r"body.yaml:5: views.front.areas.elbows: 'elbows' is not an area"
    ):
        bodymap.read_views(bad)


def test_unknot_can_be_put_on_the_home_screen(server: Server) -> None:
    page = httpx.get(server.url).text
    found = re.search(r'<link rel="manifest" href="([^"]+)" crossorigin="use-credentials">', page)
    assert found is not None  # with credentials: under --lan the token cookie must go with it
    manifest = httpx.get(server.url + found[1].lstrip("/")).json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        drawn = httpx.get(server.url + icon["src"].lstrip("/"))
        assert drawn.status_code == 200 and drawn.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            width, height = (
                int.from_bytes(drawn.content[16:20]),
                int.from_bytes(drawn.content[20:24]),
            )
            assert f"{width}x{height}" == icon["sizes"]


def test_the_plan_json_is_the_command_line_plan(server: Server) -> None:
    cli = json.loads(
        subprocess.run(
            [UNKNOT, "plan", "after-long-run", "--tight", "hips", "--tight", "hamstrings",
             "--minutes", "12", "--json"],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    web = httpx.get(f"{server.url}api/plan?{QUERY}").json()
    assert {k: v for k, v in web.items() if k in cli} == cli


def test_the_player_page_carries_the_same_session_as_its_json(server: Server) -> None:
    page = httpx.get(f"{server.url}play?{QUERY}").text
    embedded = re.search(r'<script type="application/json" id="session-data">(.*?)</script>', page)
    assert embedded is not None
    assert json.loads(embedded[1]) == play_data(server)


def test_voice_clips_are_audio_as_long_as_their_steps(server: Server) -> None:
    import io

    import soundfile

    data = play_data(server)
    for entry in data["entries"][:3]:
        response = httpx.get(server.url + entry["clip"].lstrip("/"), timeout=60)
        assert response.headers["content-type"] == "audio/mpeg"
        samples, rate = soundfile.read(io.BytesIO(response.content), dtype="float32")
        length = entry["transition_seconds"] + entry["hold_seconds"]
        assert abs(len(samples) / rate - length) < 0.2
        assert float(abs(samples).max()) > 0.1  # the chime and the words are in it


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("routine=after-lng-run", "unknown routine 'after-lng-run'"),
        ("routine=../../etc/passwd", "unknown routine"),
        ("routine=after-long-run&with=/etc/passwd", "with: unknown routine '/etc/passwd'"),
        ("routine=after-long-run&with=pyproject.toml", "with: unknown routine 'pyproject.toml'"),
        ("routine=after-long-run&tight=elbows", "elbows"),
        ("routine=after-long-run&minutes=lots", "'lots' is not a number from 1 to 240"),
        ("routine=after-long-run&minutes=0", "'0' is not a number from 1 to 240"),
        ("routine=after-long-run&level=expert", "expert"),
        ("tight=hips", "no routine was chosen"),
    ],
)
def test_a_bad_request_is_one_clear_line(server: Server, query: str, words: str) -> None:
    twin = httpx.get(f"{server.url}api/plan?{query}")
    assert twin.status_code == 400
    assert words in twin.json()["error"] and "\n" not in twin.json()["error"]
    page = httpx.get(f"{server.url}plan?{query}")
    assert page.status_code == 400
    assert words.replace("'", "&#39;") in page.text  # on the start page, above the form


def test_bad_records_are_refused_and_nothing_is_written(server: Server) -> None:
    before = server.rows("SELECT COUNT(*) FROM sessions")[0][0]
    base = f"{server.url}api/sessions/0b7e5a52-8f0e-4c1e-9d5e-0f9a3c2b1a00"
    assert httpx.post(f"{base}/start", content=b"{not json").status_code == 400
    not_an_id = httpx.post(f"{server.url}api/sessions/{'x' * 300}/start", json={"query": QUERY})
    assert not_an_id.status_code == 400 and "UUID" in not_an_id.json()["error"]
    huge = {"query": QUERY, "before": {f"area{n}": 1 for n in range(5000)}}
    assert httpx.post(f"{base}/start", json=huge).status_code == 413
    assert httpx.post(f"{base}/start", json=[1, 2]).status_code == 400
    assert httpx.post(f"{base}/start", json={"query": "routine=nope"}).status_code == 400
    step = {"query": QUERY, "position": 1, "index": 0, "held": 3, "outcome": "done"}
    refused = httpx.post(f"{base}/step", json=step)
    assert refused.status_code == 400 and "no session" in refused.json()["error"]
    assert httpx.post(f"{base}/explode", json={}).status_code == 400
    assert server.rows("SELECT COUNT(*) FROM sessions")[0][0] == before


def test_records_sent_twice_are_written_once(server: Server) -> None:
    uid = "00000000-0000-4000-8000-000000000001"
    base = f"{server.url}api/sessions/{uid}"
    start = {"query": QUERY, "before": {"calves": 6}}
    step = {"query": QUERY, "position": 1, "index": 0, "held": 30, "outcome": "done"}
    for _ in range(2):
        assert httpx.post(f"{base}/start", json=start).is_success
        assert httpx.post(f"{base}/step", json=step).is_success
        assert httpx.post(
            f"{base}/finish", json={"finished": True, "after": {"calves": 3}}
        ).is_success
    (session_id,) = server.rows("SELECT id FROM sessions WHERE uid = ?", uid)[0]
    assert server.rows("SELECT COUNT(*) FROM steps WHERE session_id = ?", session_id) == [(1,)]
    ratings = server.rows("SELECT moment, value FROM ratings WHERE session_id = ?", session_id)
    assert sorted(ratings) == [("after", 3), ("before", 6)]


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
        page.get_by_text(HOSTILE).first.wait_for()
        page.get_by_text(HOSTILE).first.click()
        page.get_by_role("button", name="See the plan").click()
        assert page.get_by_role("heading", level=1).text_content() == HOSTILE
        page.get_by_role("link", name="Start the session").first.click()
        assert page.locator("#ready-title").text_content() == HOSTILE
        assert page.evaluate("document.querySelectorAll('script').length") == 2  # data + player
        tab.context.close()
        assert tab.errors == []  # no dialog opened, nothing blocked
    finally:
        hostile.stop()


# -- on the phone, safely ------------------------------------------------------------------------
def test_the_lan_server_refuses_every_request_without_its_token(
    tmp_path: Path, browser: Browser
) -> None:
    lan = Server(tmp_path, "--lan", "--voice", "espeak")
    try:
        banner = lan.banner[0] + "".join(lan.process.stdout.readline() for _ in range(3))  # type: ignore[union-attr]
        assert "▀" in banner or "█" in banner  # the QR code, in the terminal
        token = dict(parse_qsl(lan.link.split("?", 1)[1]))["token"]
        assert len(token) >= 20
        clip = f"audio/0.mp3?{QUERY}"
        for path in ("", f"plan?{QUERY}", f"api/play?{QUERY}", "static/player.js",
                     "figures/pigeon-right.svg", clip, "sw.js", "history"):  # fmt: skip
            refused = httpx.get(lan.url + path)
            assert refused.status_code == 403, path
            assert httpx.get(lan.url + path, cookies={"unknot_token": "wrong"}).status_code == 403
        assert httpx.post(f"{lan.url}api/sessions/x/start", json={}).status_code == 403
        assert httpx.get(f"{lan.url}?token=wrong").status_code == 403

        with_token = httpx.get(f"{lan.url}plan?{QUERY}&{urlencode({'token': token})}")
        assert with_token.status_code == 303
        assert with_token.headers["location"] == f"/plan?{QUERY}"  # the token leaves the address
        cookie = with_token.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert httpx.get(lan.url + clip, cookies={"unknot_token": token}).status_code == 200

        tab = Tab(browser, PHONE)
        tab.page.goto(f"{lan.url}?token={token}")
        assert tab.page.url == lan.url
        assert tab.page.get_by_role("button", name="See the plan").is_visible()
        (kept,) = tab.context.cookies()
        assert kept["httpOnly"] and kept["sameSite"] == "Strict"
        tab.context.close()
        assert tab.errors == []
    finally:
        lan.stop()


def test_every_response_carries_a_strict_content_security_policy(server: Server) -> None:
    for path in ("", f"plan?{QUERY}", f"play?{QUERY}", "history", "static/player.js",
                 f"api/plan?{QUERY}", "no/such/page"):  # fmt: skip
        policy = httpx.get(server.url + path).headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe" not in policy
    figure = httpx.get(f"{server.url}figures/pigeon-right.svg").headers
    assert figure["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in figure["content-security-policy"]
    # Nothing inline for the policy to block: no inline script, style or handler on any page.
    for path in ("", f"plan?{QUERY}", f"play?{QUERY}", "history"):
        html = httpx.get(server.url + path).text
        assert not re.search(r"<script(?![^>]*(src=|application/json))", html)
        assert " style=" not in html and "<style" not in html and " onclick" not in html
