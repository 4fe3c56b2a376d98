""" "Bring a routine" on the phone: an article pasted or linked on the start page, its steps
shown to check, and the plan of that routine, as a person meets it in Chromium (the real
`unknot serve`, or, where a link must reach a page served here on 127.0.0.1, the same app in
this process with `Settings(allow_private_links=True)`, which `unknot serve` never sets).

Every article here is our own words. Screenshots go to tests/artifacts/web/ (and the import
page at 390x844 to /tmp/import-page.png, to look at).
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect

import unknot
from conftest import ARTIFACTS, GUARD, Server, eventually
from test_web import EVERY_FIGURE_DRAWN, PHONE, Tab, finished, outbox_empty, until

ARTICLE = """\
My Slow Evening Stretch Routine

Four unhurried poses for the evening after a long run. Move gently and breathe.

Child's Pose
Kneel on the mat, let your hips drift back to your heels and lay your forehead down. Stay for
5 breaths.

Cat-Cow
On hands and knees, round your back as you breathe out and let it sag as you breathe in, for
8 breaths.

Downward-Facing Dog
Tuck your toes and lift your hips toward the ceiling, heels reaching down. Hold for 30 seconds.

Pigeon
Slide your right knee forward behind your right wrist and lower your hips. Hold for 45 seconds,
then repeat on the other side.
"""
POSES = ["Child's Pose", "Cat-Cow", "Downward-Facing Dog", "Pigeon"]
# The same page as a site would serve it, with a title that is markup when read as HTML.
HOSTILE_TITLE = "Evening <img src=x onerror=alert(3)> stretch routine"
ARTICLE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Evening &lt;img src=x onerror=alert(3)&gt; stretch routine</title></head>
<body><header><nav><a href="/">Home</a> <a href="/blog">Blog</a></nav></header>
<article><h1>Evening &lt;img src=x onerror=alert(3)&gt; stretch routine</h1>
<p>Four gentle poses for the evening after a long run, done slowly on a mat.</p>
<h2>Child's Pose</h2><p>Kneel, sink your hips to your heels and rest your forehead on the mat.
Stay here for 6 breaths.</p>
<h2>Cat-Cow</h2><p>On hands and knees, arch and round your spine with each breath, 8 breaths
in all.</p>
<h2>Downward-Facing Dog</h2><p>Lift your hips high and let your heels sink. Hold for 40
seconds.</p>
<h2>Pigeon</h2><p>Bring your right knee behind your right wrist and fold forward. Hold for 60
seconds, then repeat on the other side.</p>
</article></body></html>"""
NO_ROUTINE = (
    "Ran 18 km along the river this morning, legs heavy but happy.\n"
    "Then coffee </textarea><img src=x onerror=alert(5)> and a long nap."
)


def imported_folder(data: Path) -> Path:
    """Where a server whose XDG_DATA_HOME is `data` keeps imported routines."""
    return data / "unknot" / "imported"


@pytest.fixture(scope="module")
def data_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("import-data")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, data_home: Path) -> Iterator[Server]:
    """The real `unknot serve`, as a person starts it (private links refused), with a data
    folder of its own: the imported routines it writes are this module's alone."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_DATA_HOME", str(data_home))
        env.setenv("UNKNOT_CACHE_DIR", str(data_home / "cache"))
        running = Server(tmp_path_factory.mktemp("import-web"), "--voice", "none")
    yield running
    running.stop()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Tab]:
    tab = Tab(browser, PHONE)
    yield tab
    tab.context.close()
    assert tab.errors == []


class ArticleSite:
    """A web page on 127.0.0.1 serving one article, counting every request it gets."""

    def __init__(self, body: str) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # (http.server's name for it)
                site.requests += 1
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # quiet: nothing on the test's output
                pass

        self.requests = 0
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/article.html"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def article_site() -> Iterator[ArticleSite]:
    site = ArticleSite(ARTICLE_PAGE)
    yield site
    site.stop()


class InProcess:
    """The web app in this process, under uvicorn on a free port, with the settings given:
    how a test reaches a setting `unknot serve` has no option for."""

    def __init__(self, folder: Path, **settings: Any) -> None:
        import uvicorn

        from unknot.web.app import Settings, app
        from unknot.web.serve import listen

        self.sock = listen("127.0.0.1", 0)
        port = self.sock.getsockname()[1]
        made = Settings(
            voice="none", database=f"sqlite:///{folder / 'history.db'}", port=port, **settings
        )
        config = uvicorn.Config(app(made), log_level="warning", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        eventually(lambda: self.server.started, "the app to listen")
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(GUARD)
        self.sock.close()


@pytest.fixture
def local_links(tmp_path: Path) -> Iterator[InProcess]:
    """The app allowed to fetch links to this machine (its data folder: the test's own,
    set by conftest's `own_cache`)."""
    running = InProcess(tmp_path, allow_private_links=True)
    yield running
    running.stop()


def read_it(page: Page, text: str) -> Response:
    """Fill "Bring a routine" on the start page and tap Read it; the answer to the POST."""
    field = page.get_by_label("Bring a routine")
    field.fill(text)
    with page.expect_response(lambda r: r.url.endswith("/import")) as answer:
        page.get_by_role("button", name="Read it").click()
    page.wait_for_load_state()
    return answer.value


def answered_with(tab: Tab, status: int) -> None:
    """Chromium logs a page answered with an error status as a console error: that one is
    what the test asked for; any other stays for the fixture to report."""
    said = f"Failed to load resource: the server responded with a status of {status}"
    tab.errors[:] = [e for e in tab.errors if not e.startswith(said)]


def fits_the_width(page: Page, width: int) -> None:
    """No sideways scrolling, as tests/test_web.py checks every page, and no element of the
    page reaching past the screen's edge (text that overflows its box inside a clipped one)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    past = page.evaluate(
        """(width) => [...document.querySelectorAll('main *')]
             .filter((e) => e.getBoundingClientRect().right > width + 0.5)
             .map((e) => e.tagName + '.' + e.className)""",
        width,
    )
    assert past == []


def token_of(yaml_text: str) -> str:
    return hashlib.sha256(yaml_text.encode()).hexdigest()[:16]


# -- (a) pasted text, to its plan, to a session kept under its title ------------------------
def test_a_pasted_article_becomes_a_plan_and_a_session_kept_with_its_title(
    server: Server, phone: Tab, data_home: Path
) -> None:
    page = phone.page
    page.goto(server.url)
    expect(page.get_by_role("button", name="Read it")).to_be_visible()
    answer = read_it(page, ARTICLE)
    assert answer.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("My Slow Evening Stretch Routine")
    expect(page.locator(".lead")).to_contain_text("From pasted text · 4 steps")
    rows = page.locator(".found li")
    expect(rows).to_have_count(4)
    expect(rows.locator(".found-name")).to_have_text(POSES)
    expect(rows.locator(".number")).to_have_text(["1", "2", "3", "4"])
    expect(rows.locator(".found-hold")).to_have_text(
        ["5 breaths", "8 breaths", "30s", "each side · 45s"]
    )
    assert page.locator(".check-this").count() == 0  # every heading is a catalog name
    # Saved under the token of its YAML, which is what the plan link names.
    expected = unknot.read_article(ARTICLE.replace("\r\n", "\n"), source="pasted text")
    token = token_of(expected.routine_yaml())
    saved = imported_folder(data_home) / f"{token}.yaml"
    assert saved.read_text(encoding="utf-8") == expected.routine_yaml()
    page.get_by_role("link", name="See the plan").click()
    page.wait_for_url(f"**/plan?routine=imported-{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("My Slow Evening Stretch Routine")
    cards = page.locator(".steps li strong")
    expect(cards).to_have_text([*POSES, "Pigeon"])  # Pigeon on each side
    expect(page.locator(".steps li .side")).to_have_text(["right leg", "left leg"])
    page.locator(".steps li").last.scroll_into_view_if_needed()
    until(page, EVERY_FIGURE_DRAWN)
    page.screenshot(path=ARTIFACTS / "web-import-plan-360.png", full_page=True)

    # A session of it is like any other: played, recorded under the routine's name, and
    # listed in the history under its title.
    query = page.get_by_role("link", name="Start the session").first.get_attribute("href")
    assert query is not None
    page.goto(f"{server.url.rstrip('/')}{query}&speed=200")
    page.get_by_role("button", name="Start").click()
    finished(page)
    page.get_by_role("button", name="Save").click()
    outbox_empty(page)
    routine = unknot.load_routine(saved)
    kept = server.rows("SELECT routine, finished FROM sessions ORDER BY id DESC LIMIT 1")
    assert kept == [(routine.name, 1)]
    page.goto(server.url + "history")
    expect(page.locator("tbody tr").first).to_contain_text("My Slow Evening Stretch Routine")
    # "Change" on its plan brings the start page back with this routine chosen.
    page.goto(f"{server.url}?routine=imported-{token}")
    expect(page.locator(f'input[name="routine"][value="imported-{token}"]')).to_be_checked()


# -- (b) a shared link, fetched from a page served here --------------------------------------
def test_a_shared_link_is_read_when_the_app_may_reach_local_pages(
    local_links: InProcess, article_site: ArticleSite, browser: Browser, tmp_path: Path
) -> None:
    tab = Tab(browser, PHONE)
    page = tab.page
    page.goto(local_links.url)
    # What a phone's share sheet gives: the page's title, then its link.
    answer = read_it(page, f"Evening stretch routine\n{article_site.url}\n")
    assert answer.status == 200
    assert article_site.requests == 1
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_TITLE)  # as text
    expect(page.locator(".lead")).to_contain_text(f"From {article_site.url} · 4 steps")
    expect(page.locator(".found-name")).to_have_text(POSES)
    expect(page.locator(".found-hold")).to_have_text(
        ["6 breaths", "8 breaths", "40s", "each side · 60s"]
    )
    assert page.locator("main img").count() == 0  # the title's <img> never became one
    page.get_by_role("link", name="See the plan").click()
    page.wait_for_url("**/plan?routine=imported-*")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_TITLE)
    expect(page.locator(".steps li strong")).to_have_text([*POSES, "Pigeon"])
    assert list(imported_folder(tmp_path / "data").glob("*.yaml"))  # the test's own folder
    tab.context.close()
    assert tab.errors == []


# -- (c) the same link, from the server as a person runs it ------------------------------------
def test_a_link_to_this_machine_is_refused_and_nothing_is_fetched(
    server: Server, phone: Tab, article_site: ArticleSite
) -> None:
    page = phone.page
    for link, said in (
        (article_site.url, f"refused: port {article_site.port}"),
        # the web's own port, so the address itself is what is refused
        ("http://127.0.0.1/article.html", "refused: 127.0.0.1 is a loopback address"),
        ("http://localhost/article.html", "refused: localhost is this computer"),
    ):
        page.goto(server.url)
        answer = read_it(page, link)
        assert answer.status == 400
        expect(page.get_by_role("alert")).to_contain_text(said)
        expect(page.get_by_role("alert")).to_contain_text("expected an http or https link")
        expect(page.get_by_label("Bring a routine")).to_have_value(link)  # kept, to fix
    assert article_site.requests == 0
    answered_with(phone, 400)


# -- (d) no routine in the text ------------------------------------------------------------------
def test_text_with_no_routine_says_so_and_keeps_the_text(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    answer = read_it(page, NO_ROUTINE)
    assert answer.status == 422
    expect(page.get_by_role("alert")).to_have_text(
        "No routine found in pasted text: fewer than two poses are named and no hold is given; "
        "expected an article with a yoga or stretching routine (its steps, or its link)"
    )
    # The text is all there, markup and all, as text: nothing to type again.
    expect(page.get_by_label("Bring a routine")).to_have_value(NO_ROUTINE)
    assert page.locator("main img").count() == 0
    assert page.get_by_role("link", name="See the plan").count() == 0
    page.screenshot(path=ARTIFACTS / "web-import-none-360.png", full_page=True)
    answered_with(phone, 422)


# -- (e) hostile HTML in pasted text ------------------------------------------------------------
HOSTILE_ARTICLE = """\
My <script>alert(1)</script> Stretch Routine

1. Child's Pose <img src=x onerror=alert(2)>
Rest here for 5 breaths.
2. Cat-Cow
Flow for 8 breaths.
3. <b onmouseover=alert(4)>Shake it all out</b> and wiggle
4. Downward-Facing Dog
Hold for 30 seconds.
"""


def test_markup_in_pasted_text_is_shown_as_text(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    assert read_it(page, HOSTILE_ARTICLE).status == 200
    title = "My <script>alert(1)</script> Stretch Routine"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert page.title() == f"{title} · unknot"
    expect(page.get_by_role("heading", name="Could not place")).to_be_visible()
    expect(page.locator(".unplaced li")).to_have_text(
        ["Line 7: 3. <b onmouseover=alert(4)>Shake it all out</b> and wiggle"]
    )
    # No element the text named: only the page's own scripts, no image, no bold.
    scripts = page.evaluate("[...document.scripts].map(s => new URL(s.src).pathname)")
    assert all(name.startswith("/static/") for name in scripts), scripts
    assert page.locator("main img, main b, main script").count() == 0
    page.get_by_role("link", name="See the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert page.locator("main script, main b").count() == 0


# -- (f), (g): who may send, and how much ------------------------------------------------------
def test_an_import_from_another_sites_page_is_refused(server: Server, data_home: Path) -> None:
    before = sorted(imported_folder(data_home).glob("*.yaml"))
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        sent = httpx.post(
            server.url + "import", data={"article": ARTICLE}, headers=headers, timeout=GUARD
        )
        assert sent.status_code == 403, sent.text
        assert sent.text.startswith("forbidden: a POST from")
    assert sorted(imported_folder(data_home).glob("*.yaml")) == before  # nothing read or saved


def test_an_article_over_200_kb_is_refused_with_the_same_words(server: Server) -> None:
    words = "the article's text is at most 200 kB; paste its link instead"
    huge = "Child's Pose. Hold for 5 breaths. " * 7000  # ~240 kB
    origin = {"Origin": server.url.rstrip("/")}
    page = httpx.post(server.url + "import", data={"article": huge}, headers=origin, timeout=GUARD)
    assert page.status_code == 413 and words in html.unescape(page.text)
    assert page.headers["connection"] == "close"
    api = httpx.post(server.url + "api/import", files={"article": (None, huge)}, timeout=GUARD)
    assert api.status_code == 413 and api.json() == {"error": words}

    def chunks() -> Iterator[bytes]:  # no Content-Length: cut at the cap as it is read
        yield b"article="
        for _ in range(300):
            yield b"x" * 1000

    chunked = httpx.post(
        server.url + "api/import", content=chunks(), timeout=GUARD,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert chunked.status_code == 413 and chunked.json() == {"error": words}


# -- (h) on a phone --------------------------------------------------------------------------------
LONG_TAIL = (
    "\nSuperlongunbrokenhamstringandcalfunwindingstretch\nHold for 20 seconds.\n"
    "\nMore at https://example.com/" + "a" * 120 + "\n"
)


def test_the_import_page_fits_a_phone_and_reads_from_the_mat(
    server: Server, browser: Browser
) -> None:
    for size in ({"width": 360, "height": 780}, {"width": 390, "height": 844}):
        for scheme in ("light", "dark"):
            tab = Tab(browser, size, scheme)
            page = tab.page
            page.goto(server.url)
            fits_the_width(page, size["width"])  # the start page, with "Bring a routine"
            page.locator("#bring").screenshot(
                path=ARTIFACTS / f"web-start-bring-{size['width']}-{scheme}.png"
            )
            # a long unbroken name and a long link in the text must still fit the width
            text = ARTICLE + LONG_TAIL
            assert read_it(page, text).status == 200
            fits_the_width(page, size["width"])
            sizes = page.evaluate(
                """() => Object.fromEntries(['.found-name', '.number', '.found-hold', 'h1']
                     .map((s) => [s, parseFloat(getComputedStyle(
                       document.querySelector(s)).fontSize)]))"""
            )
            # As the plan page's names and larger: read from 1.5 m with the phone on the floor.
            assert sizes[".found-name"] >= 20 and sizes[".number"] >= 24, sizes
            assert sizes[".found-hold"] >= 17, sizes
            button = page.get_by_role("link", name="See the plan").bounding_box()
            assert button is not None and button["height"] >= 48
            width = size["width"]
            page.screenshot(path=ARTIFACTS / f"web-import-{width}-{scheme}.png", full_page=True)
            if width == 390 and scheme == "light":
                page.screenshot(path="/tmp/import-page.png", full_page=True)
                page.screenshot(path="/tmp/import-page-screen.png")
            tab.context.close()
            assert tab.errors == []


# -- (i) the JSON twin ---------------------------------------------------------------------------
def post_api(server: Server, text: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(server.url + "api/import", data={"article": text}, timeout=GUARD, **kwargs)


def test_api_import_gives_the_librarys_json_and_the_plan(server: Server) -> None:
    found = post_api(server, ARTICLE)
    assert found.status_code == 200
    data = found.json()
    expected = unknot.read_article(ARTICLE, source="pasted text")
    # The library's own JSON, every key as it gives it, with what the page shows beside it.
    library = expected.to_json()
    assert {k: data[k] for k in library if k != "steps"} == {
        k: v for k, v in library.items() if k != "steps"
    }
    for shown, step in zip(data["steps"], library["steps"], strict=True):
        assert {k: shown[k] for k in step} == step
    assert [s["name"] for s in data["steps"]] == POSES
    token = token_of(expected.routine_yaml())
    assert data["plan_url"] == f"/plan?routine=imported-{token}"
    plan = httpx.get(f"{server.url}api{data['plan_url']}", timeout=GUARD).json()
    assert [c["pose"] for c in plan["cards"]] == [*POSES, "Pigeon"]
    # Errors: one line, with the page's status; multipart as well as a plain form.
    none = httpx.post(
        server.url + "api/import", files={"article": (None, NO_ROUTINE)}, timeout=GUARD
    )
    assert none.status_code == 422
    assert none.json()["error"].startswith("No routine found in pasted text: ")
    refused = post_api(server, "http://127.0.0.1/x")
    assert refused.status_code == 400
    assert "127.0.0.1 is a loopback address" in refused.json()["error"]
    scheme = post_api(server, "file:///etc/passwd")
    assert scheme.status_code == 400 and "file: links are not web pages" in scheme.json()["error"]
    empty = post_api(server, "   ")
    assert empty.status_code == 400 and empty.json()["error"].startswith("nothing was given")
    bare = httpx.post(server.url + "api/import", content=ARTICLE.encode(), timeout=GUARD)
    assert bare.status_code == 415


def test_a_plan_names_an_imported_routine_by_its_token_and_nothing_else(server: Server) -> None:
    def plan_error(routine: str) -> str:
        answer = httpx.get(server.url + "api/plan", params={"routine": routine}, timeout=GUARD)
        assert answer.status_code == 400, answer.text
        return str(answer.json()["error"])

    for bad in ("imported-../../../etc/passwd", "imported-0123", "imported-0123456789ABCDEF",
                "imported-0123456789abcdefa", "imported-/tmp/x.yaml"):  # fmt: skip
        assert "is not an imported routine's name" in plan_error(bad)
    unknown = plan_error("imported-0123456789abcdef")
    assert "is not kept on this server" in unknown and "/" not in unknown.split(";")[0]


def test_a_link_among_an_articles_words_is_read_as_text() -> None:
    from unknot.web.imports import shared_link

    assert shared_link("https://example.com/stretch") == "https://example.com/stretch"
    assert shared_link("www.example.com/stretch") == "www.example.com/stretch"
    assert shared_link("Great stretches!\nhttps://example.com/s?id=1.\n") == (
        "https://example.com/s?id=1"
    )
    assert shared_link("ftp://example.com/a") == "ftp://example.com/a"  # refused by the library
    assert shared_link(ARTICLE + "\nFrom https://example.com/s\n") is None
    assert shared_link("two https://a.example/x https://b.example/y") is None
    assert shared_link("Cat-Cow:") is None and shared_link("/etc/passwd") is None


# -- a custom step (a pose the catalog does not know) --------------------------------------------
# Custom steps are being added to the routine format by another change; until it lands,
# save_routine refuses an article with one, and this test fails at "See the plan" only for that.
CUSTOM_ARTICLE = ARTICLE + (
    "\nStep drop stretch\nStand on a stair with your heels over its edge and let them sink. "
    "Hold for 30 seconds and repeat on the other leg.\n"
)


def test_a_custom_step_is_shown_without_a_figure_and_planned(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    assert read_it(page, CUSTOM_ARTICLE).status == 200
    rows = page.locator(".found li")
    expect(rows).to_have_count(5)
    custom = rows.last
    expect(custom.locator(".found-name")).to_have_text("Step drop stretch")
    expect(custom.locator(".custom")).to_have_text("from the article, no figure")
    expect(custom.locator(".found-hold")).to_have_text("each side · 30s")
    expect(custom.locator(".check-this")).to_contain_text("Check this")  # matched to no pose
    expect(custom).to_have_class("check")
    page.get_by_role("link", name="See the plan").click()
    expect(page.locator(".steps li strong").last).to_have_text("Step drop stretch")
    # Once on each side, as the article says, with no figure either time.
    expect(page.locator(".no-figure-small")).to_have_count(2)
    expect(page.locator(".steps li").last.locator(".side")).to_have_text("left side")


def test_a_nearly_spelled_pose_is_flagged_to_check(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    text = ARTICLE.replace("\nDownward-Facing Dog\n", "\nDownward Facing Dgo\n")
    assert read_it(page, text).status == 200
    row = page.locator(".found li").nth(2)
    expect(row.locator(".found-name")).to_have_text("Downward-Facing Dog")
    expect(row.locator(".said")).to_have_text("The article: “Downward Facing Dgo”")
    expect(row.locator(".check-this")).to_have_text("Check this: 66 % sure")
    assert page.locator(".check-this").count() == 1


BLOCK_ARTICLE = """\
Hip Opening Stretch Routine

1. Child's Pose
Rest for 5 breaths.
2. Low Lunge
Step your right foot forward. Hold for 30 seconds.
3. Pigeon
Fold over your right shin. Hold for 45 seconds.
Repeat steps 2-3 on the other side.
4. Savasana
Lie still for 2 minutes.
"""


def test_a_per_side_block_is_said_on_each_of_its_steps(server: Server, phone: Tab) -> None:
    page = phone.page
    page.goto(server.url)
    assert read_it(page, BLOCK_ARTICLE).status == 200
    expect(page.locator(".found-hold")).to_have_text(
        ["5 breaths", "each side, steps 2-3 in turn · 30s",
         "each side, steps 2-3 in turn · 45s", "120s"]
    )  # fmt: skip
    expect(page.locator(".said")).to_have_text(["The article: “Low Lunge”"])
    page.get_by_role("link", name="See the plan").click()
    # As the page said: the lunge and Pigeon on the right, then both on the left.
    expect(page.locator(".steps li strong")).to_have_text(
        ["Child's Pose", "Low Crescent Lunge", "Pigeon", "Low Crescent Lunge", "Pigeon",
         "Savasana"]
    )  # fmt: skip
