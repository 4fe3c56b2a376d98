"""The player's screen as a runner on a mat sees it, 1.5 m from the phone (3 m for the phase):
the real server and Debian's Chromium through Playwright, as in tests/test_web.py, measured by
the browser's own layout (computed styles and boxes) in every phase, upright, sideways and on
larger screens, in light and dark.

Nothing here waits for time to pass: the page's clock stands still and moves only when a test
moves it, and a measurement is taken once the page says its layout is settled (the figure
drawn, the room kept for the controls equal to their height).

Screenshots of every phase at each size, and the phone's three phases shrunk to 40 % (about
what 1.5 m away looks like), are written on every run to tests/artifacts/web/floor-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import ARTIFACTS, CHROMIUM, QUERY, Server
from test_web import Tab, play_data, stop_the_clock, until

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/test installs it)"
)

PORTRAIT = {"width": 360, "height": 780}
LANDSCAPE = {"width": 780, "height": 360}
LAPTOP = {"width": 1280, "height": 800}
TELEVISION = {"width": 1920, "height": 1080}
# The least each thing may measure (CSS pixels) at each size: on a phone what reads from the
# mat; on larger screens more, since they are watched from further away.
LEAST = {
    "phone": {"count": 96, "side": 40, "phase": 40, "pose": 36, "cue": 20},
    "laptop": {"count": 150, "side": 60, "phase": 60, "pose": 52, "cue": 26},
    "television": {"count": 190, "side": 75, "phase": 75, "pose": 64, "cue": 32},
}
SIZES = {
    "portrait": (PORTRAIT, "phone"),
    "landscape": (LANDSCAPE, "phone"),
    "laptop": (LAPTOP, "laptop"),
    "television": (TELEVISION, "television"),
}
PHASES = ("move", "hold", "paused")
WORDS = {"move": "MOVE INTO POSITION", "hold": "HOLD", "paused": "PAUSED"}
READ = ("#pose", "#side", "#count", "#phase", "#cue", "#key")  # what the controls must not hide
LONG_ROUTINE = """\
name: floor-long
title: Long names on the floor
description: The longest pose name and a three-figure hold, for the player's screen.
hold: 120
first_side: right
steps:
  - per_side:
      - Reclining Hand-to-Big-Toe
  - pose: Savasana
    hold: 150
"""

# Layout is settled once the figure is drawn and the room kept for the fixed controls (--bar,
# set from their measured height) matches them, whatever they hold now.
SETTLED = """(() => {
  const guide = document.getElementById('guide');
  const figure = document.getElementById('figure');
  const controls = guide.querySelector('.controls');
  return document.fonts.status === 'loaded' && figure.complete && figure.naturalWidth > 0
    && guide.style.getPropertyValue('--figure-ratio') !== ''
    && guide.style.getPropertyValue('--bar')
       === Math.ceil(controls.getBoundingClientRect().height) + 'px';
})()"""
MEASURE = """() => {
  const box = (e) => { const b = e.getBoundingClientRect();
    return {x: b.x, y: b.y, w: b.width, h: b.height}; };
  const element = (selector) => { const e = document.querySelector(selector);
    const s = getComputedStyle(e);
    return {...box(e), text: e.textContent, font: parseFloat(s.fontSize),
      line: parseFloat(s.lineHeight), color: s.color, background: s.backgroundColor,
      border: s.borderTopStyle + ' ' + s.borderTopColor,
      overflows: e.scrollWidth > e.clientWidth + 1}; };
  const figure = document.getElementById('figure');
  const guide = document.getElementById('guide');
  const marks = {};
  for (const phase of ['hold', 'move', 'paused']) {
    marks[phase] = [...document.querySelectorAll('.mark-' + phase)].some(
      (m) => getComputedStyle(m).display !== 'none' && m.getBoundingClientRect().width > 0);
  }
  const elements = {};
  for (const s of ['#pose', '#side', '#count', '#phase', '#cue', '#key', '#next', '.controls',
                   '.ring-box']) elements[s] = element(s);
  return {
    viewport: {w: innerWidth, h: innerHeight},
    scroll: {w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight},
    figure: {...box(figure), natural: [figure.naturalWidth, figure.naturalHeight],
      opacity: parseFloat(getComputedStyle(figure).opacity)},
    elements, marks, phase: guide.dataset.phase, paused: guide.classList.contains('paused'),
    page: getComputedStyle(document.body).backgroundColor,
  };
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("floor")
    routine = folder / "floor-long.yaml"
    routine.write_text(LONG_ROUTINE, encoding="utf-8")
    running = Server(folder, "--voice", "none", str(routine))  # silent: sizes, not sound
    yield running
    running.stop()


# -- measuring ---------------------------------------------------------------------------------
def measure(page: Page, phase: str) -> dict[str, Any]:
    """The screen in `phase`, once its layout has settled."""
    expect(page.locator("#guide")).to_have_attribute("data-phase", phase)
    expect(page.locator("#phase")).to_have_text(WORDS[phase])
    until(page, SETTLED)
    return page.evaluate(MEASURE)  # type: ignore[no-any-return]


def drawn(figure: dict[str, Any]) -> dict[str, float]:
    """The figure as drawn in its box: its own aspect (the image's, read from the element),
    fitted and centred (object-fit: contain), or the box itself where the box has that aspect."""
    ratio = figure["natural"][0] / figure["natural"][1]
    width = min(figure["w"], figure["h"] * ratio)
    height = width / ratio
    x = figure["x"] + (figure["w"] - width) / 2
    y = figure["y"] + (figure["h"] - height) / 2
    return {"x": x, "y": y, "w": width, "h": height}


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share."""
    across = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    down = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return max(0.0, across) * max(0.0, down)


def shown(box: dict[str, float]) -> bool:
    return box["w"] > 0 and box["h"] > 0


def rgb(css: str) -> tuple[float, ...]:
    found = re.fullmatch(r"rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)", css)
    assert found, css
    assert found[4] is None or float(found[4]) == 1, f"not opaque: {css}"
    return tuple(float(found[i]) for i in (1, 2, 3))


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two opaque CSS colours."""

    def luminance(css: str) -> float:
        linear = [c / 255 for c in rgb(css)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in linear]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_sizes(shot: dict[str, Any], least: dict[str, int]) -> None:
    elements = shot["elements"]
    count = elements["#count"]
    assert count["font"] >= least["count"] and count["h"] >= least["count"], count
    for name in ("side", "phase", "pose", "cue"):
        assert elements[f"#{name}"]["font"] >= least[name], (name, elements[f"#{name}"])


def check_layout(shot: dict[str, Any], portrait: bool) -> None:
    """Everything read is on the screen, none of it behind the controls; the page does not
    scroll; the figure is large upright and beside the words sideways."""
    view, elements = shot["viewport"], shot["elements"]
    assert shot["scroll"]["w"] <= view["w"] and shot["scroll"]["h"] <= view["h"], shot["scroll"]
    controls = elements[".controls"]
    for selector in READ:
        box = elements[selector]
        if selector == "#key" and not box["text"]:
            continue  # no key cue shown (it was the cue just said)
        assert shown(box), selector
        assert box["x"] >= -0.5 and box["x"] + box["w"] <= view["w"] + 0.5, (selector, box)
        assert box["y"] >= -0.5 and box["y"] + box["h"] <= view["h"] + 0.5, (selector, box)
        assert overlap(box, controls) == 0, (selector, box, controls)
        assert not box["overflows"], (selector, box)
    assert elements["#pose"]["h"] <= 2 * elements["#pose"]["line"] + 1  # two lines at most
    figure = drawn(shot["figure"])
    assert figure["y"] >= -0.5 and figure["y"] + figure["h"] <= view["h"] + 0.5, figure
    if portrait:
        assert figure["w"] >= 0.6 * view["w"], figure
    else:
        assert figure["w"] >= 0.25 * view["w"], figure
        words = [elements[s] for s in ("#pose", "#side", "#count", "#phase", "#cue")]
        # Side by side: the words start right of the figure, and the two share the height.
        assert all(w["x"] >= figure["x"] + figure["w"] - 0.5 for w in words), (figure, words)
        assert figure["y"] < elements["#phase"]["y"] + elements["#phase"]["h"]
        assert figure["y"] + figure["h"] > elements["#pose"]["y"]


def check_colours(shots: dict[str, dict[str, Any]]) -> None:
    """Each phase its own colour and shape; every word legible on what is behind it (AA)."""
    markers = {p: shots[p]["elements"]["#phase"] for p in PHASES}
    for one, other in combinations(PHASES, 2):
        a, b = markers[one], markers[other]
        assert (a["background"], a["color"]) != (b["background"], b["color"]), (one, other)
    for phase, shot in shots.items():
        assert shot["marks"] == {p: p == phase for p in PHASES}, (phase, shot["marks"])
        assert shot["paused"] == (phase == "paused")
        marker = markers[phase]
        assert contrast(marker["color"], marker["background"]) >= 4.5, (phase, marker)
        for selector in ("#side", "#count", "#pose", "#cue"):
            colour = shot["elements"][selector]["color"]
            assert contrast(colour, shot["page"]) >= 4.5, (phase, selector, colour)
    assert markers["move"]["border"].startswith("dashed")  # striped, not solid like the rest
    assert shots["paused"]["figure"]["opacity"] < shots["hold"]["figure"]["opacity"]


def start(page: Page, server: Server, query: str, index: int = 1) -> None:
    """A session on the page's still clock, at step `index` (counted from 0): by default the
    second, one that begins by moving."""
    stop_the_clock(page)
    page.goto(f"{server.url}play?{query}")
    page.get_by_role("button", name="Start").click()
    for passed in range(1, index + 1):
        page.get_by_role("button", name="Skip").click()
        expect(page.locator("#step")).to_have_text(re.compile(rf"^Step {passed + 1} of "))


def to_the_hold(page: Page, entry: dict[str, Any]) -> None:
    """Into the hold, to the moment its first cue is said (from the step's own cues, plus one
    redraw of the page's 250 ms), and on only once the page shows it."""
    first = next(cue for cue in entry["cues"] if cue["offset_seconds"] > 0)
    page.clock.run_for(round((entry["transition_seconds"] + first["offset_seconds"]) * 1000) + 250)
    expect(page.locator("#guide")).to_have_attribute("data-phase", "hold")
    # The screen shows the last words said by now (a note said with the key cue, for one).
    unshown = ("end", "exit", "come_in", "countdown")  # said, not shown (Player.UNSHOWN)
    shown = [
        c for c in entry["cues"]
        if c["offset_seconds"] == first["offset_seconds"] and c["kind"] not in unshown
    ][-1]  # fmt: skip
    expect(page.locator("#cue")).to_have_text(shown["text"])


# -- the screen in each phase ------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_screen_reads_from_the_floor(
    server: Server, browser: Browser, size: str, scheme: str
) -> None:
    viewport, kind = SIZES[size]
    entries = play_data(server)["entries"]
    index, entry = next(  # the first step that begins by moving, on one side
        (n, e) for n, e in enumerate(entries) if e["transition_seconds"] > 0 and e["side_label"]
    )
    tab = Tab(browser, viewport, scheme)
    page = tab.page
    start(page, server, QUERY, index)
    shots: dict[str, dict[str, Any]] = {}
    for phase in PHASES:
        if phase == "hold":
            to_the_hold(page, entry)
        if phase == "paused":
            page.get_by_role("button", name="Pause").click()
        shots[phase] = shot = measure(page, phase)
        assert shot["elements"]["#side"]["text"] == entry["side_label"].upper()
        check_sizes(shot, LEAST[kind])
        check_layout(shot, portrait=size == "portrait")
        name = f"floor-{viewport['width']}x{viewport['height']}-{scheme}-{phase}.png"
        page.screenshot(path=ARTIFACTS / name)
    check_colours(shots)
    if size == "portrait":
        seen_from_the_mat(viewport, scheme)
    tab.context.close()
    assert tab.errors == []


def test_larger_screens_get_larger_type(server: Server, browser: Browser) -> None:
    """A laptop or a television is not shown the phone's sizes."""
    fonts = {}
    for size in ("portrait", "laptop", "television"):
        tab = Tab(browser, SIZES[size][0])
        start(tab.page, server, QUERY)
        shot = measure(tab.page, "move")
        fonts[size] = {s: shot["elements"][s]["font"] for s in ("#count", "#side", "#pose")}
        tab.context.close()
        assert tab.errors == []
    for selector in fonts["portrait"]:
        phone, laptop, television = (fonts[s][selector] for s in fonts)
        assert phone * 1.4 <= laptop < television, (selector, fonts)


@pytest.mark.parametrize("size", ["portrait", "landscape"])
def test_the_longest_name_and_a_three_figure_count_fit(
    server: Server, browser: Browser, size: str
) -> None:
    viewport, kind = SIZES[size]
    tab = Tab(browser, viewport)
    page = tab.page
    start(page, server, "routine=floor-long.yaml")
    expect(page.locator("#pose")).to_have_text("Reclining Hand-to-Big-Toe")
    entry = play_data(server, "routine=floor-long.yaml")["entries"][1]
    for phase in PHASES:
        if phase == "hold":
            to_the_hold(page, entry)
        if phase == "paused":
            page.get_by_role("button", name="Pause").click()
        shot = measure(page, phase)
        size_name = f"{viewport['width']}x{viewport['height']}"
        page.screenshot(path=ARTIFACTS / f"long-{size_name}-{phase}.png")
        if phase != "move":
            assert len(shot["elements"]["#count"]["text"]) == 3  # 120 s: three figures
        check_sizes(shot, LEAST[kind])
        check_layout(shot, portrait=size == "portrait")
    tab.context.close()
    assert tab.errors == []


def seen_from_the_mat(viewport: dict[str, int], scheme: str) -> None:
    """The phone's three phases side by side at 40 %: roughly the screen 1.5 m away."""
    from PIL import Image  # matplotlib's own dependency

    stem = f"floor-{viewport['width']}x{viewport['height']}-{scheme}"
    pictures = [Image.open(ARTIFACTS / f"{stem}-{phase}.png").convert("RGB") for phase in PHASES]
    width, height = (round(n * 0.4) for n in pictures[0].size)
    sheet = Image.new("RGB", (3 * width + 2 * 8, height), "#808080")
    for k, picture in enumerate(pictures):
        sheet.paste(picture.resize((width, height), Image.Resampling.LANCZOS), (k * (width + 8), 0))
    sheet.save(ARTIFACTS / f"{stem}-at-1.5m.png")


def test_the_move_shows_the_body_going_into_the_pose_and_the_hold_the_pose(
    server: Server, browser: Browser
) -> None:
    before, entry = play_data(server)["entries"][:2]
    assert entry["move_figure"] and before["figure"]
    tab = Tab(browser, PORTRAIT)
    page = tab.page
    start(page, server, QUERY)
    figure = page.locator("#figure")
    expect(figure).to_have_attribute("src", entry["move_figure"])
    until(page, "document.getElementById('figure').complete")
    assert page.evaluate("document.getElementById('figure').naturalWidth") > 0  # it was drawn
    to_the_hold(page, entry)
    expect(figure).to_have_attribute("src", entry["figure"])
    tab.context.close()
    assert tab.errors == []


def test_plus_and_minus_beside_the_timer_change_the_hold_and_the_lock_screen_names_the_pose(
    server: Server, browser: Browser
) -> None:
    entries = play_data(server)["entries"]
    index, entry = next(
        (n, e) for n, e in enumerate(entries) if e["transition_seconds"] > 0 and e["side_label"]
    )
    tab = Tab(browser, PORTRAIT, "light")
    page = tab.page
    start(page, server, QUERY, index)
    to_the_hold(page, entry)
    before = int(page.locator("#count").inner_text())
    page.get_by_role("button", name="10 seconds longer").click()
    expect(page.locator("#count")).to_have_text(str(before + 10))
    page.get_by_role("button", name="10 seconds shorter").click()
    page.get_by_role("button", name="10 seconds shorter").click()
    expect(page.locator("#count")).to_have_text(str(before - 10))
    for button in ("#shorter", "#longer"):  # big enough for a thumb, on the screen
        box = page.locator(button).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44
        assert box["y"] + box["height"] <= PORTRAIT["height"]
    title = page.evaluate(
        "navigator.mediaSession.metadata && navigator.mediaSession.metadata.title"
    )
    assert title == f"{entry['name']}, {entry['side_label']}"
    page.screenshot(path=ARTIFACTS / "adjust-360x780.png")
    tab.context.close()
    assert tab.errors == []
