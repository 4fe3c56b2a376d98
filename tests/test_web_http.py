"""The web app over HTTP, as a phone's browser or a script asks it, with no browser: the real app
(`unknot.web.app.app`, as `unknot serve` builds it) run in process through Starlette's ASGI test
client, with a real SQLite history in the test's folder, the real figures and the real espeak
voice where a clip's sound is checked. What only a real server does (the printed address, the
QR code for --lan, a port in use) is checked on the installed `unknot serve`.

Nothing here needs Chromium: the player in a page is tests/test_web.py's.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import os
import re
import socket
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from click.testing import Result
from starlette.testclient import TestClient

from conftest import GUARD, QUERY, UNKNOT, Server
from unknot.web.app import Settings, app
from unknot.web.guard import UNPAIRED, new_token


class Web:
    """The whole app in process, with a history database of its own (`--database`)."""

    def __init__(self, folder: Path, **settings: Any) -> None:
        self.database = folder / "web-history.db"
        built = app(Settings(database=f"sqlite:///{self.database}", **settings))
        # As a browser meets it: redirects seen, not followed; a failure is a 500, not a raise.
        self.client = TestClient(
            built, base_url="http://127.0.0.1:8765", raise_server_exceptions=False,
            follow_redirects=False,
        )  # fmt: skip

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get("/" + path.lstrip("/"), **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post("/" + path.lstrip("/"), **kwargs)

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        assert self.database.exists(), "nothing was written to the history"
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()


@pytest.fixture
def make_web(tmp_path: Path) -> Iterator[Callable[..., Web]]:
    """Build the app with these settings (`voice="none"` unless the voice is tested)."""
    made: list[Web] = []

    def make(voice: str = "none", **settings: Any) -> Web:
        folder = tmp_path / f"web-{len(made)}"
        folder.mkdir()
        made.append(Web(folder, voice=voice, **settings))
        made[-1].client.__enter__()
        return made[-1]

    yield make
    for web in made:
        web.client.__exit__(None, None, None)


@pytest.fixture
def web(make_web: Callable[..., Web]) -> Web:
    return make_web()


# -- the same answers as the command line ------------------------------------------------------
def test_every_area_can_be_chosen_on_the_start_page(web: Web) -> None:
    from unknot.catalog.vocabulary import vocabulary

    page = web.get("")
    assert page.status_code == 200
    offered = set(re.findall(r'name="tight" value="([^"]+)"', page.text))
    vocab = vocabulary()
    assert offered == set(vocab.areas) | set(vocab.groups)


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


def test_unknot_can_be_put_on_the_home_screen(web: Web) -> None:
    page = web.get("").text
    found = re.search(r'<link rel="manifest" href="([^"]+)" crossorigin="use-credentials">', page)
    assert found is not None  # with credentials: under --lan the token cookie must go with it
    manifest = web.json(found[1])
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert {icon["type"] for icon in manifest["icons"]} == {"image/svg+xml", "image/png"}
    for icon in manifest["icons"]:
        drawn = web.get(icon["src"])
        assert drawn.status_code == 200 and drawn.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            width, height = (
                int.from_bytes(drawn.content[16:20]),
                int.from_bytes(drawn.content[20:24]),
            )
            assert f"{width}x{height}" == icon["sizes"]


def test_the_plan_json_is_the_command_line_plan(web: Web, run: Callable[..., Result]) -> None:
    done = run(
        "plan", "after-long-run", "--tight", "hips", "--tight", "hamstrings", "--minutes", "12",
        "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    cli = json.loads(done.stdout)
    planned = web.json(f"api/plan?{QUERY}")
    assert {k: v for k, v in planned.items() if k in cli} == cli


def test_the_player_page_carries_the_same_session_as_its_json(web: Web) -> None:
    page = web.get(f"play?{QUERY}").text
    embedded = re.search(r'<script type="application/json" id="session-data">(.*?)</script>', page)
    assert embedded is not None
    assert json.loads(embedded[1]) == web.json(f"api/play?{QUERY}")


def test_voice_clips_are_audio_as_long_as_their_steps(make_web: Callable[..., Web]) -> None:
    import soundfile

    web = make_web(voice="espeak")
    data = web.json(f"api/play?{QUERY}")
    for entry in data["entries"][:3]:
        response = web.get(entry["clip"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/mpeg"
        samples, rate = soundfile.read(io.BytesIO(response.content), dtype="float32")
        length = entry["transition_seconds"] + entry["hold_seconds"]
        assert abs(len(samples) / rate - length) < 0.2
        assert float(abs(samples).max()) > 0.1  # the chime and the words are in it


def test_without_a_voice_the_player_gets_no_clips(web: Web) -> None:
    entries = web.json(f"api/play?{QUERY}")["entries"]
    assert entries and all(e["clip"] is None for e in entries)


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
def test_a_bad_request_is_one_clear_line(web: Web, query: str, words: str) -> None:
    twin = web.get(f"api/plan?{query}")
    assert twin.status_code == 400
    assert words in twin.json()["error"] and "\n" not in twin.json()["error"]
    page = web.get(f"plan?{query}")
    assert page.status_code == 400
    assert words.replace("'", "&#39;") in page.text  # on the start page, above the form


def test_an_unknown_address_is_a_404(web: Web) -> None:
    for path in ("no/such/page", "figures/no-such-pose.svg", "static/nothing.js"):
        missing = web.get(path)
        assert missing.status_code == 404, path
        assert missing.text in ("not found", "no such figure"), path


def test_each_move_has_its_figure_and_a_made_up_move_is_a_404(web: Web) -> None:
    entries = web.json(f"api/play?{QUERY}")["entries"]
    assert entries[0]["move_figure"] is None  # nothing comes before the first pose
    moves = [(one, two) for one, two in itertools.pairwise(entries) if two["move_figure"]]
    assert moves
    for before, entry in moves[:3]:
        first, then = (e["figure"].removeprefix("/figures/") for e in (before, entry))
        seconds = entry["transition_seconds"]
        assert entry["move_figure"] == (
            f"/figures/moves/{first.removesuffix('.svg')}/{then.removesuffix('.svg')}/{seconds}.svg"
        )
        drawn = web.get(entry["move_figure"])
        assert drawn.status_code == 200
        assert drawn.headers["content-type"].startswith("image/svg+xml")
        assert drawn.headers["content-encoding"] == "gzip"  # httpx asks for it, and unpacks it
        assert 'fill="freeze"' in drawn.text and f'dur="{seconds}s"' in drawn.text
    for made_up in (
        "pigeon-right/no-such-pose/5",
        "pigeon-right/pigeon-left/0",
        "pigeon-right/pigeon-left/100000",
        "../pigeon-left/5",
        "pigeon-right/pigeon-left/5.5",
    ):
        assert web.get(f"figures/moves/{made_up}.svg").status_code == 404, made_up


def test_bad_records_are_refused_and_nothing_is_written(web: Web) -> None:
    good = "0b7e5a52-8f0e-4c1e-9d5e-0f9a3c2b1a01"
    assert web.post(f"api/sessions/{good}/start", json={"query": QUERY}).json() == {"ok": True}
    assert web.rows("SELECT uid FROM sessions") == [(good,)]
    base = "api/sessions/0b7e5a52-8f0e-4c1e-9d5e-0f9a3c2b1a00"
    not_json = web.post(
        f"{base}/start", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json() == {
        "error": "the body is not a JSON object; expected the player's record"
    }
    not_an_id = web.post(f"api/sessions/{'x' * 300}/start", json={"query": QUERY})
    assert not_an_id.status_code == 400 and "UUID" in not_an_id.json()["error"]
    huge = {"query": QUERY, "before": {f"area{n}": 1 for n in range(5000)}}
    too_big = web.post(f"{base}/start", json=huge)
    assert too_big.status_code == 413 and "at most 16384 bytes" in too_big.json()["error"]
    assert web.post(f"{base}/start", json=[1, 2]).status_code == 400
    unknown = web.post(f"{base}/start", json={"query": "routine=nope"})
    assert unknown.status_code == 400 and "unknown routine 'nope'" in unknown.json()["error"]
    step = {"query": QUERY, "position": 1, "index": 0, "held": 3, "outcome": "done"}
    refused = web.post(f"{base}/step", json=step)
    assert refused.status_code == 400 and "no session" in refused.json()["error"]
    explode = web.post(f"{base}/explode", json={})
    assert explode.status_code == 400 and "'explode' is not a record" in explode.json()["error"]
    assert web.rows("SELECT uid FROM sessions") == [(good,)]
    assert web.rows("SELECT COUNT(*) FROM steps") == [(0,)]


def test_records_sent_twice_are_written_once(web: Web) -> None:
    uid = "00000000-0000-4000-8000-000000000001"
    base = f"api/sessions/{uid}"
    start = {"query": QUERY, "before": {"calves": 6}}
    step = {"query": QUERY, "position": 1, "index": 0, "held": 30, "outcome": "done"}
    for _ in range(2):
        assert web.post(f"{base}/start", json=start).json() == {"ok": True}
        assert web.post(f"{base}/step", json=step).json() == {"ok": True}
        finish = {"finished": True, "after": {"calves": 3}}
        assert web.post(f"{base}/finish", json=finish).json() == {"ok": True}
    (session_id,) = web.rows("SELECT id FROM sessions WHERE uid = ?", uid)[0]
    first = web.json(f"api/play?{QUERY}")["entries"][0]
    steps = web.rows("SELECT pose, outcome FROM steps WHERE session_id = ?", session_id)
    assert steps == [(first["name"], "done")]
    ratings = web.rows("SELECT moment, value FROM ratings WHERE session_id = ?", session_id)
    assert sorted(ratings) == [("after", 3), ("before", 6)]
    (shown,) = web.json("api/history")["sessions"]  # and the history page has it
    assert shown["status"] == "finished" and shown["steps"] == 1


HOSTILE = "<script>alert(1)</script>"
HOSTILE_NOTE = "</script><script>alert(3)</script>"
HOSTILE_DESCRIPTION = "<img src=x onerror=alert(2)>"


def hostile_routine(folder: Path) -> Path:
    routine = folder / "hostile.yaml"
    routine.write_text(
        f"name: '{HOSTILE}'\ntitle: '{HOSTILE}'\ndescription: '{HOSTILE_DESCRIPTION}'\n"
        f"steps:\n  - pose: Child's Pose\n    note: '{HOSTILE_NOTE}'\n  - Savasana\n",
        encoding="utf-8",
    )
    return routine


def test_text_from_a_routine_file_is_served_as_text(
    make_web: Callable[..., Web], tmp_path: Path
) -> None:
    web = make_web(routine_files=(hostile_routine(tmp_path),))
    query = "routine=hostile.yaml"
    pages = {path: web.get(path) for path in ("", f"plan?{query}", f"play?{query}")}
    for path, page in pages.items():
        assert page.status_code == 200, path
        for text in (HOSTILE, HOSTILE_NOTE, HOSTILE_DESCRIPTION):
            assert text not in page.text, (path, text)
        # Only the page's own scripts: its data, and files from /static/.
        for tag in re.findall(r"<script\b[^>]*>", page.text):
            assert re.fullmatch(
                r'<script (type="application/json" id="session-data"|src="/static/[\w.]+\?v=\w+")>',
                tag,
            ), (path, tag)
    assert html.escape(HOSTILE) in pages[""].text  # offered under its title, shown as text
    assert f"<h1>{html.escape(HOSTILE)}</h1>" in pages[f"plan?{query}"].text
    play = pages[f"play?{query}"].text
    assert f'<h1 id="ready-title">{html.escape(HOSTILE)}</h1>' in play
    embedded = re.search(r'<script type="application/json" id="session-data">(.*?)</script>', play)
    assert embedded is not None
    session = json.loads(embedded[1])  # the note's </script> did not end the data early
    assert session["title"] == HOSTILE
    assert session["entries"][0]["note"] == HOSTILE_NOTE
    assert session == web.json(f"api/play?{query}")


# -- on the phone, safely ------------------------------------------------------------------------
def test_with_lan_only_a_paired_device_is_let_in_and_stays_paired_after_a_restart(
    make_web: Callable[..., Web], tmp_path: Path
) -> None:
    code = new_token()  # as `unknot serve --lan` makes it, at each start
    devices = tmp_path / "devices.json"
    web = make_web(pair_code=code, devices=devices)
    clip = f"audio/0.mp3?{QUERY}"
    paths = ("", f"plan?{QUERY}", f"api/play?{QUERY}", "static/player.js",
             "figures/pigeon-right.svg", clip, "sw.js", "history", "no/such/page")  # fmt: skip
    for path in paths:
        refused = web.get(path)
        assert (refused.status_code, refused.text) == (403, UNPAIRED), path
        wrong = web.get(path, headers={"Cookie": "unknot_device=wrong.wrong"})
        assert wrong.status_code == 403, path
    assert web.post("api/sessions/x/start", json={}).status_code == 403
    assert web.get("?pair=wrong").status_code == 403
    assert web.get(f"?pair={code[:-1]}").status_code == 403
    assert not web.database.exists() or web.rows("SELECT * FROM sessions") == []
    assert not devices.exists()  # nothing was paired by any of that

    phone = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0 Mobile"}
    paired = web.get(f"plan?{QUERY}&{urlencode({'pair': code})}", headers=phone)
    assert paired.status_code == 303
    assert paired.headers["location"] == f"/plan?{QUERY}"  # the code leaves the address
    cookie = paired.headers["set-cookie"]
    device = cookie.split(";")[0].removeprefix("unknot_device=")
    assert code not in device and len(device) > 30  # a secret of its own, not the code
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Max-Age=34560000" in cookie  # 400 days, the longest a browser keeps one
    assert device.split(".")[1] not in devices.read_text()  # only the secret's digest is kept
    assert oct(devices.stat().st_mode & 0o777) == "0o600"
    web.client.cookies.clear()  # sent by hand below, as the browser sends it
    kept = {"Cookie": f"unknot_device={device}"}
    for path in paths[:-1]:
        assert web.get(path, headers=kept).status_code == 200, path
    assert web.get(clip, headers=kept).headers["content-type"] == "audio/mpeg"

    # A restart: a new pairing code, the same devices file. The phone needs no code.
    again = make_web(pair_code=new_token(), devices=devices)
    assert again.get("", headers=kept).status_code == 200
    assert again.get(f"?pair={code}").status_code == 403  # the old code pairs nobody now
    start = again.post(
        "api/sessions/00000000-0000-4000-8000-00000000000a/start", json={"query": QUERY},
        headers=kept,
    )  # fmt: skip
    assert start.json() == {"ok": True}


def test_a_device_forgotten_is_refused_by_the_server_already_running(
    make_web: Callable[..., Web], tmp_path: Path, run: Callable[..., Result]
) -> None:
    code = new_token()
    web = make_web(pair_code=code, devices=tmp_path / "data" / "unknot" / "devices.json")
    paired = web.get(f"?pair={code}", headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604"})
    device = paired.headers["set-cookie"].split(";")[0].removeprefix("unknot_device=")
    web.client.cookies.clear()
    kept = {"Cookie": f"unknot_device={device}"}
    assert web.get("", headers=kept).status_code == 200
    # The command line reads the same file (the data folder's, as `serve` uses it).
    listed = run("serve", "--devices")
    assert listed.exit_code == 0
    (line,) = listed.stdout.splitlines()
    uid = device.split(".")[0]
    assert line.startswith(f"{uid}  Safari on iPhone")
    assert "paired 20" in line and "last seen 20" in line
    wrong = run("serve", "--forget-device", "nope")
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        f"unknot: --forget-device: 'nope' is not a paired device; expected an id from "
        f"unknot serve --devices ({uid}), or all\n"
    )
    forgotten = run("serve", "--forget-device", uid)
    assert forgotten.exit_code == 0 and f"Forgotten: {uid} (Safari on iPhone)" in forgotten.stdout
    assert web.get("", headers=kept).status_code == 403  # no restart needed
    assert run("serve", "--devices").stdout.startswith("No device is paired")


def test_a_device_that_cannot_be_kept_is_not_paired_and_is_told_why(
    make_web: Callable[..., Web], tmp_path: Path
) -> None:
    # Where the file should go is taken by a file (as a full disk, it refuses the write, and
    # refuses it to root too). The phone is told; nothing is half-written.
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder", encoding="utf-8")
    code = new_token()
    web = make_web(pair_code=code, devices=blocked / "devices.json")
    refused = web.get(f"?pair={code}")
    assert refused.status_code == 507
    assert refused.text.startswith("this device cannot be paired: ")
    assert "devices.json: cannot be written (" in refused.text
    assert "expected room on the disk and a folder unknot may write to" in refused.text
    assert "set-cookie" not in refused.headers
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_every_response_carries_a_strict_content_security_policy(web: Web) -> None:
    for path in ("", f"plan?{QUERY}", f"play?{QUERY}", "history", "static/player.js",
                 f"api/plan?{QUERY}", "api/plan?routine=nope", "no/such/page"):  # fmt: skip
        headers = web.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, path
        assert "unsafe" not in policy, path
        assert headers["x-content-type-options"] == "nosniff", path
    figure = web.get("figures/pigeon-right.svg").headers
    assert figure["content-type"].startswith("image/svg+xml")
    assert figure["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in figure["content-security-policy"]
    # Nothing inline for the policy to block: no inline script, style or handler on any page.
    for path in ("", f"plan?{QUERY}", f"play?{QUERY}", "history"):
        page = web.get(path).text
        assert not re.search(r"<script(?![^>]*(src=|application/json))", page), path
        assert " style=" not in page and "<style" not in page and " onclick" not in page, path


# -- what only the real server does --------------------------------------------------------------
def test_serve_prints_the_address_it_answers_on(serve: Callable[..., Server]) -> None:
    server = serve("--voice", "none")
    assert server.read_banner() == [
        f"unknot is serving on http://127.0.0.1:{server.port}/\n",
        "Ctrl-C stops it.\n",
    ]
    page = httpx.get(server.url, timeout=GUARD)
    assert page.status_code == 200 and "See the plan" in page.text


def test_serve_lan_prints_its_pairing_link_as_a_qr_code(serve: Callable[..., Server]) -> None:
    import segno

    from unknot.web.serve import lan_address

    lan = serve("--lan", "--voice", "none")
    banner = lan.read_banner()
    code = dict(parse_qsl(lan.link.split("?", 1)[1]))["pair"]
    assert len(code) >= 20
    assert banner[0] == f"unknot is serving on http://{lan_address()}:{lan.port}/?pair={code}\n"
    assert banner[1:3] == [
        "Open it once on each phone (same network) to pair it; a paired phone needs\n",
        "no link again, restarts included (unknot serve --devices lists them):\n",
    ]
    assert banner[-1] == "Ctrl-C stops it.\n"
    # The code in the terminal is the link's: the same blocks segno draws for it.
    drawn = io.StringIO()
    segno.make(lan.link, error="m").terminal(out=drawn, compact=True)
    assert "".join(banner[3:-1]) == drawn.getvalue()
    assert "▀" in drawn.getvalue() or "█" in drawn.getvalue()

    refused = httpx.get(lan.url, timeout=GUARD)
    assert (refused.status_code, refused.text) == (403, UNPAIRED)
    welcomed = httpx.get(f"{lan.url}?pair={code}", timeout=GUARD)
    assert welcomed.status_code == 303 and welcomed.headers["location"] == "/"
    device = welcomed.cookies["unknot_device"]
    with_cookie = httpx.get(lan.url, headers={"Cookie": f"unknot_device={device}"}, timeout=GUARD)
    assert with_cookie.status_code == 200


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [UNKNOT, "serve", "--port", str(port), "--voice", "none"],
            capture_output=True, text=True, timeout=GUARD,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"unknot: --port: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "expected a free port (or 0 for any free port)\n"
    )


@pytest.mark.parametrize("kind", ["fifo", "not json", "wrong shape", "huge", "empty"])
def test_a_damaged_devices_file_is_one_line_and_pairs_nobody(
    kind: str, tmp_path: Path, make_web: Callable[..., Web], run: Callable[..., Result]
) -> None:
    path = tmp_path / "data" / "unknot" / "devices.json"  # the data folder's, as serve uses
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)  # reading it would never end
    else:
        contents = {"not json": "{", "wrong shape": '{"devices": [1]}', "huge": " " * 100_000,
                    "empty": ""}  # fmt: skip
        path.write_text(contents[kind], encoding="utf-8")
    listed = run("serve", "--devices")
    assert listed.exit_code == 2
    (line,) = listed.stderr.splitlines()
    assert line.startswith(f"unknot: {path}: ") and line.endswith("delete it to pair again")
    code = new_token()
    web = make_web(pair_code=code, devices=path)
    assert web.get("", headers={"Cookie": "unknot_device=a.b"}).status_code == 403
    refused = web.get(f"?pair={code}")
    assert refused.status_code == 507 and str(path) in refused.text
