"""The web app: choose, plan and be guided on a phone, from the same data as the command line.

Every page is rendered here from a plain dict that is also served as JSON under `/api` (the
page's twin), so the page, the JSON and the CLI never disagree. The player runs in the browser
on its own clock, with every figure and voice clip fetched before it needs them, so a session
goes on to the end when the network drops; what it records is sent back step by step and kept
in the browser until the server has it.

`Guard` wraps the whole app: security headers on every response, and with `--lan` an access
token that every request must carry (in the printed link once, then in a cookie).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from unknot.errors import UnknotError

if TYPE_CHECKING:
    from jinja2 import Environment

    from unknot.catalog.poses import Pose
    from unknot.guide.timeline import Entry
    from unknot.history.store import PendingSession, Store
    from unknot.plan.planner import Plan
    from unknot.routines.routine import Routine
    from unknot.sound.voice import Voice

WEB = Path(__file__).parent
TOKEN_COOKIE = "unknot_token"
# Scripts, styles and images from this server only; nothing inline, no frames, no plugins.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# A figure is an SVG image with its own small style sheet (light and dark); it runs nothing.
FIGURE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
PLAN_FIELDS = (
    "routine", "tight", "minutes", "skip", "avoid", "level", "hold", "first_side", "with",
)  # fmt: skip
REPEATED = ("tight", "skip", "avoid", "with")  # may be given more than once, or comma-separated
RECORD_BYTES = 16_384  # the player's largest record (the start, with ratings) is ~300 bytes
PHONE_CHART_INCHES = (4.6, 6.0)  # the history's charts, readable at a phone's width
PAGES_KEPT = 64  # rendered plan and player pages (and their JSON) kept in memory
CLIPS_KEPT = 400  # rendered voice clips kept in memory (a long session has about 40)


class Settings(NamedTuple):
    voice: str = "piper"
    database: str | None = None
    token: str | None = None  # with --lan: every request must carry it
    routine_files: tuple[Path, ...] = ()


def new_token() -> str:
    return secrets.token_urlsafe(18)


# -- what the pages show, as data -----------------------------------------------------------------
class PlanRequest(NamedTuple):
    """A plan as the start page's form (or a link) asks for it: the query string, read once."""

    routine: str
    tight: tuple[str, ...] = ()
    minutes: str = ""
    skip: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    level: str = ""
    hold: str = ""
    first_side: str = ""
    extra: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, pairs: list[tuple[str, str]]) -> PlanRequest:
        values: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in PLAN_FIELDS and value.strip():
                values.setdefault(key, []).append(value.strip())
        single = {k: v[-1] for k, v in values.items() if k not in REPEATED}
        if "routine" not in single:
            raise UnknotError(
                "no routine was chosen", field="routine", expected="a routine from the start page"
            )
        return cls(
            routine=single["routine"],
            tight=tuple(values.get("tight", ())),
            minutes=single.get("minutes", ""),
            skip=tuple(values.get("skip", ())),
            avoid=tuple(values.get("avoid", ())),
            level=single.get("level", ""),
            hold=single.get("hold", ""),
            first_side=single.get("first_side", ""),
            extra=tuple(values.get("with", ())),
        )

    def query(self) -> str:
        """The canonical query string: links built from it name the same plan, and cache well."""
        pairs = [("routine", self.routine)]
        pairs += [("tight", t) for t in self.tight]
        pairs += [("minutes", self.minutes)] if self.minutes else []
        pairs += [("skip", t) for t in self.skip]
        pairs += [("avoid", t) for t in self.avoid]
        pairs += [("level", self.level)] if self.level else []
        pairs += [("hold", self.hold)] if self.hold else []
        pairs += [("first_side", self.first_side)] if self.first_side else []
        pairs += [("with", t) for t in self.extra]
        return urlencode(pairs)


def _number(text: str, field: str, low: float, high: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise UnknotError(
            f"{text!r} is not a number from {low:g} to {high:g}", field=field,
            expected=f"a number from {low:g} to {high:g}",
        )  # fmt: skip
    return value


class Library:
    """The routines this server offers and the plans, figures and clips made from them."""

    def __init__(self, settings: Settings) -> None:
        from unknot.routines.routine import built_in_names, load_routine

        self.settings = settings
        self.files: dict[str, Path] = {}
        for path in settings.routine_files:
            load_routine(path)  # a bad file is reported when the server starts, not on a page
            self.files[path.name] = path.resolve()
        self.names = [*built_in_names(), *self.files]
        self._plans: OrderedDict[tuple[PlanRequest, int], Plan] = OrderedDict()
        self._clips: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._speaker: Voice | None = None
        self._prepared: set[str] = set()
        self.speaker()  # an unknown voice is reported at start; the first clip comes sooner
        self._voice_lock = threading.Lock()
        self._plan_lock = threading.Lock()

    def routine(self, name: str, field: str = "routine") -> Routine:
        from unknot.routines.routine import load_routine, resolve

        return (
            load_routine(self.files[name])
            if name in self.files
            else resolve(self.offered(name, field))
        )

    def offered(self, name: str, field: str) -> str:
        """A routine a request may name: a built-in one, or a file given to `serve`, as the
        name or path the library resolves. Never a path from a request."""
        if name in self.files:
            return str(self.files[name])
        if "/" in name or "\\" in name or name.endswith((".yaml", ".yml")) or Path(name).exists():
            raise UnknotError(
                f"unknown routine {name!r}", field=field,
                expected=f"one of {', '.join(self.names)}",
            )  # fmt: skip
        return name

    def _plan_key(self, request: PlanRequest) -> tuple[PlanRequest, int]:
        path = self.files.get(request.routine)
        return (request, path.stat().st_mtime_ns if path else 0)

    def planned(self, request: PlanRequest) -> Plan | None:
        """The plan if it was made already (and its file is unchanged), at no cost."""
        key = self._plan_key(request)
        with self._plan_lock:
            if key in self._plans:
                self._plans.move_to_end(key)
                return self._plans[key]
        return None

    def plan(self, request: PlanRequest) -> Plan:
        from unknot.plan import planner
        from unknot.plan.needs import read_needs

        known = self.planned(request)
        if known is not None:
            return known
        key = self._plan_key(request)
        minutes = _number(request.minutes, "minutes", 1, 240)
        hold = _number(request.hold, "hold", 1, 1800)
        side = request.first_side or None
        if side not in (None, "right", "left"):
            raise UnknotError(
                f"{side!r} is not a side", field="first_side", expected="right or left"
            )
        needs = read_needs(
            tight=request.tight, minutes=minutes, skip=request.skip, avoid=request.avoid,
            level=request.level or None, hold=int(hold) if hold else None, first_side=side,
            extra=[self.offered(name, "with") for name in request.extra],
        )  # fmt: skip
        made = planner.plan(self.routine(request.routine), needs)
        with self._plan_lock:
            self._plans[key] = made
            while len(self._plans) > 64:
                self._plans.popitem(last=False)
        return made

    def clip(self, request: PlanRequest, index: int) -> bytes:
        """Entry `index`'s sound as MP3: its chime, then each cue at its moment."""
        from unknot.guide.timeline import Timeline
        from unknot.sound.playback import entry_clips
        from unknot.sound.track import encoded

        plan = self.plan(request)
        if not 0 <= index < len(plan.timeline.entries):
            raise UnknotError(
                f"there is no step {index}", field="step",
                expected=f"0 to {len(plan.timeline.entries) - 1}",
            )  # fmt: skip
        key = (request.query(), index)
        with self._voice_lock:  # one synthesis at a time: the voice is not shared across threads
            if key not in self._clips:  # (made while this request waited, by `prepare`?)
                entry = plan.timeline.entries[index]
                speaker = self.speaker()
                samples = entry_clips(Timeline(plan.timeline.routine, (entry,)), speaker)[0]
                self._clips[key] = encoded(samples)
                while len(self._clips) > CLIPS_KEPT:
                    self._clips.popitem(last=False)
            return self._clips[key]

    def prepare(self, request: PlanRequest) -> None:
        """Make a session's clips in the background, in order, before the player asks for them."""
        if self.settings.voice == "none" or request.query() in self._prepared:
            return
        self._prepared.add(request.query())

        def work() -> None:
            for index in range(len(self.plan(request).timeline.entries)):
                self.clip(request, index)

        threading.Thread(target=work, name="unknot-clips", daemon=True).start()

    def speaker(self) -> Voice:
        from unknot.sound.voice import voice

        if self._speaker is None:
            self._speaker = voice(self.settings.voice)
        return self._speaker


def figure_name(pose: Pose, side: str | None) -> str:
    from unknot.pictures.card import slug

    return f"{slug(pose.name)}-{side}.svg" if side else f"{slug(pose.name)}.svg"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _label(name: str) -> str:
    """An area's or a group's name for people: hip-flexors -> Hip flexors."""
    from unknot.catalog.vocabulary import vocabulary

    vocab = vocabulary()
    term = vocab.areas.get(name) or vocab.groups.get(name)
    return term.label if term else name


def _when(stamp: str) -> str:
    """An ISO time as this machine's local time, short enough for a phone: Tue 24 Nov 06:25."""
    from datetime import datetime

    return datetime.fromisoformat(stamp).astimezone().strftime("%a %d %b %H:%M")


def start_data(library: Library) -> dict[str, Any]:
    from unknot.catalog.poses import LEVELS, catalog
    from unknot.catalog.vocabulary import vocabulary
    from unknot.guide.timeline import expand

    vocab = vocabulary()
    routines = []
    for name in library.names:
        timeline = expand(library.routine(name))
        routines.append(
            {
                "name": name, "title": timeline.routine.title, "steps": len(timeline),
                "total_seconds": timeline.total, "focus": timeline.focus(),
                "focus_labels": [_label(a) for a in timeline.focus()],
                "description": timeline.routine.description,
                "built_in": name not in library.files,
            }
        )  # fmt: skip
    return {
        "routines": routines,
        "areas": [
            {
                "name": g.name,
                "label": g.label,
                "areas": [{"name": a, "label": vocab.areas[a].label} for a in g.areas],
            }
            for g in vocab.groups.values()
        ]
        + [  # the areas no group stands for, under a heading of their own
            {
                "name": None,
                "label": "More",
                "areas": [
                    {"name": a.name, "label": a.label}
                    for a in vocab.areas.values()
                    if not any(a.name in g.areas for g in vocab.groups.values())
                ],
            }
        ],
        "conditions": [{"name": c.name, "label": c.label} for c in vocab.conditions.values()],
        "levels": list(LEVELS),
        "poses": sorted(p.name for p in catalog().poses),
    }


def plan_data(plan: Plan, request: PlanRequest) -> dict[str, Any]:
    from unknot.pictures.card import steps

    data = plan.to_json()
    data["query"] = request.query()
    data["total"] = _clock(plan.timeline.total)
    data["cards"] = [  # each pose once, as the plan page shows it (a flow's rounds folded)
        {
            "pose": step.pose.name, "side": step.side,
            "side_label": step.pose.side_label(step.side), "hold_seconds": step.hold,
            "cue": step.cue, "note": step.note,
            "figure": f"/figures/{figure_name(step.pose, step.side)}",
        }
        for step in steps(plan.timeline)
    ]  # fmt: skip
    data["changes"] = [d for d in data["decisions"] if d["status"] != "kept"]
    return data


def _entry_data(entry: Entry, clip: str | None) -> dict[str, Any]:
    data = entry.to_json()
    data.update(
        name=entry.name, side_label=entry.side_label, key_cue=entry.key_cue,
        begins_seconds=entry.begins, note=entry.note,
        figure=f"/figures/{figure_name(entry.pose, entry.side)}" if entry.pose else None,
        clip=clip,
    )  # fmt: skip
    return data


def play_data(plan: Plan, request: PlanRequest, voice: str) -> dict[str, Any]:
    query = request.query()
    timeline = plan.timeline
    return {
        "routine": timeline.routine.name,
        "title": timeline.routine.title,
        "query": query,
        "total_seconds": timeline.total,
        "total": _clock(timeline.total),
        "rate_areas": [
            {"name": a, "label": _label(a)} for a in plan.needs.named or timeline.focus(3)
        ],
        "entries": [
            _entry_data(e, f"/audio/{e.index}.mp3?{query}" if voice != "none" else None)
            for e in timeline.entries
        ],
    }


def history_data(store: Store) -> dict[str, Any]:
    from unknot.history.store import stats

    return {"sessions": [s.to_json() for s in store.sessions(limit=20)], "stats": stats(store)}


# -- the app ---------------------------------------------------------------------------------------
class Recorder:
    """Sessions played in a browser, written to the history as their steps come in. Every call
    can be sent again (the player retries until it hears back): nothing is written twice."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._pending: dict[str, PendingSession] = {}
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def store(self) -> Store:
        from unknot.history.store import Store

        with self._lock:
            if self._store is None:
                self._store = Store(self.settings.database)
            return self._store

    def _target(self, uid: str) -> Store | PendingSession:
        from unknot.history.store import PendingSession, UnreachableError

        if uid in self._pending:
            return self._pending[uid]
        try:
            return self.store()
        except UnreachableError:  # kept in a local file, added when the database is back
            self._pending[uid] = PendingSession(uid)
            return self._pending[uid]

    def start(self, uid: str, plan: Plan, before: dict[str, int]) -> None:
        needs = {k: v for k, v in plan.needs._asdict().items() if v not in (None, (), {})}
        target = self._target(uid)
        self._ids[uid] = target.start_session(
            plan.timeline.routine.name, needs, plan.timeline.total, before, uid=uid
        )

    def step(
        self, uid: str, plan: Plan, position: int, index: int, held: float, outcome: str
    ) -> None:
        from unknot.guide.player import Outcome, StepRecord

        entry = plan.timeline.entries[index]
        record = StepRecord(entry, round(held, 1), Outcome(outcome))
        self._target(uid).record_step(self._session(uid), position, record)

    def finish(self, uid: str, finished: bool, after: dict[str, int]) -> None:
        self._target(uid).finish(self._session(uid), finished, after)

    def _session(self, uid: str) -> int:
        if uid not in self._ids and uid not in self._pending:  # started before a restart?
            known = self.store().session_id(uid)
            if known is not None:
                self._ids[uid] = known
        if uid not in self._ids:
            raise UnknotError(
                f"no session {uid!r} was started here", field="session",
                expected="the id the player sent when the session began",
            )  # fmt: skip
        return self._ids[uid]


def _templates() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=select_autoescape(default=True),  # routine files are text from anywhere
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = _clock
    env.filters["when"] = _when
    return env


class Assets:
    """The style sheet, scripts and icon, read once and served from memory. Pages link them
    with a hash of their content (`/static/player.js?v=1a2b3c4d`), so a browser and the service
    worker may keep them for good: a new version has a new address."""

    TYPES: ClassVar[dict[str, str]] = {
        ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml",
        ".png": "image/png", ".webmanifest": "application/manifest+json",
    }  # fmt: skip
    ICON_SIZES = (192, 512)  # what phones ask for to put unknot on the home screen

    def __init__(self, folder: Path) -> None:
        import hashlib

        import cairosvg

        self.files = {
            path.name: path.read_bytes() for path in folder.iterdir() if path.suffix in self.TYPES
        }
        for size in self.ICON_SIZES:  # drawn from the one icon, not kept twice
            png = cairosvg.svg2png(self.files["icon.svg"], output_width=size, output_height=size)
            self.files[f"icon-{size}.png"] = png
        self.versions = {
            name: hashlib.sha256(data).hexdigest()[:10] for name, data in self.files.items()
        }
        self._responses: dict[tuple[str, str], Response] = {}

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.versions[name]}"

    async def endpoint(self, request: Request) -> Response:
        return self.response(request.path_params["name"])

    def response(self, name: str, cache: str = "max-age=31536000, immutable") -> Response:
        if name not in self.files:
            return PlainTextResponse("not found", status_code=404)
        if (name, cache) not in self._responses:  # made once, sent as it is every time after
            kind = self.TYPES[Path(name).suffix]
            self._responses[name, cache] = Response(
                self.files[name], media_type=kind, headers={"Cache-Control": cache}
            )
        return self._responses[name, cache]


def app(settings: Settings) -> Guard:
    library = Library(settings)
    recorder = Recorder(settings)
    assets = Assets(WEB / "static")
    templates = _templates()
    templates.globals["static"] = assets.url

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    def plan_request(request: Request) -> PlanRequest:
        return PlanRequest.from_query(list(request.query_params.multi_items()))

    def start(request: Request, error: str = "", status: int = 200) -> Response:
        data = start_data(library)
        if request.url.path.startswith("/api/"):
            return JSONResponse(data)
        from unknot.pictures import bodymap

        chosen = dict(request.query_params.multi_items())
        tight = set(request.query_params.getlist("tight"))
        marked = {a["name"] for g in data["areas"] for a in g["areas"] if g["name"] in tight}
        return page("start.html", status, start=data, error=error, chosen=chosen, tight=tight,
                    avoid=set(request.query_params.getlist("avoid")),
                    body_map=bodymap.svg(tight | marked))  # fmt: skip

    def with_plan(
        render: Callable[[Request, Plan, PlanRequest], Response], *, slow: bool = False
    ) -> Callable[..., Any]:
        """A route that needs the plan named by its query; a mistake in it is one clear line.

        A plan made before (the usual case: the plan page made it) and the page rendered from
        it take a fraction of a millisecond, done in the event loop; a new plan, or a `slow`
        render (a voice clip), goes to a worker thread."""
        from starlette.concurrency import run_in_threadpool

        # A page is the same for the same address and plan: made once, sent again as it is.
        rendered: OrderedDict[str, tuple[Plan, Response]] = OrderedDict()

        async def endpoint(request: Request) -> Response:
            try:
                wanted = plan_request(request)
                plan = library.planned(wanted)
                if plan is None:
                    plan = await run_in_threadpool(library.plan, wanted)
                if slow:
                    return await run_in_threadpool(render, request, plan, wanted)
                address = str(request.url)
                made = rendered.get(address)
                if made is not None and made[0] is plan:
                    return made[1]
                response = render(request, plan, wanted)
                rendered[address] = (plan, response)
                while len(rendered) > PAGES_KEPT:
                    rendered.popitem(last=False)
                return response
            except UnknotError as err:
                if request.url.path.startswith("/api/"):
                    return JSONResponse({"error": err.line()}, status_code=400)
                return start(request, error=err.line(), status=400)

        return endpoint

    def plan_page(request: Request, plan: Plan, wanted: PlanRequest) -> Response:
        data = plan_data(plan, wanted)
        if request.url.path.startswith("/api/"):
            return JSONResponse(data)
        return page("plan.html", plan=data, title=plan.timeline.routine.title)

    def play_page(request: Request, plan: Plan, wanted: PlanRequest) -> Response:
        data = play_data(plan, wanted, settings.voice)
        if request.url.path.startswith("/api/"):
            return JSONResponse(data)
        speed = _number(request.query_params.get("speed", ""), "speed", 0.01, 1000) or 1
        library.prepare(wanted)
        return page("play.html", session=data, speed=speed)

    def clip(request: Request, plan: Plan, wanted: PlanRequest) -> Response:
        index = request.path_params["index"]
        data = library.clip(wanted, index)
        return Response(data, media_type="audio/mpeg", headers={"Cache-Control": "max-age=86400"})

    async def figure(request: Request) -> Response:
        drawn = figure_svg(request.path_params["name"])
        if drawn is None:
            return PlainTextResponse("no such figure", status_code=404)
        cached = {"Cache-Control": "max-age=86400"}
        return Response(drawn, media_type="image/svg+xml", headers=cached)

    def history(request: Request) -> Response:
        data = history_data(recorder.store())
        if request.url.path.startswith("/api/"):
            return JSONResponse(data)
        return page("history.html", history=data, title="History")

    def chart(request: Request) -> Response:
        import tempfile

        from unknot.pictures.charts import plot

        sessions = recorder.store().sessions()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "chart.svg"
            plot(sessions, path, inches=PHONE_CHART_INCHES)
            return Response(path.read_bytes(), media_type="image/svg+xml")

    async def session_call(request: Request) -> Response:
        """The player's records: start, each step, finish. JSON in, JSON out."""
        import uuid

        from starlette.concurrency import run_in_threadpool

        try:
            uuid.UUID(request.path_params["uid"])
        except ValueError:
            return JSONResponse(
                {"error": "the session id is not a UUID; expected the id the player made"}, 400
            )
        if int(request.headers.get("content-length") or 0) > RECORD_BYTES:
            return JSONResponse({"error": f"a record is at most {RECORD_BYTES} bytes"}, 413)
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return JSONResponse(
                {"error": "the body is not a JSON object; expected the player's record"}, 400
            )
        try:
            await run_in_threadpool(_record, request.path_params, body)
        except UnknotError as err:
            return JSONResponse({"error": err.line()}, status_code=400)
        except (KeyError, TypeError, ValueError, IndexError) as err:
            return JSONResponse({"error": f"the record is incomplete or wrong ({err})"}, 400)
        return JSONResponse({"ok": True})

    def _record(params: dict[str, Any], body: dict[str, Any]) -> None:
        from unknot.history.store import parse_ratings

        uid, what = str(params["uid"]), params["what"]

        def plan() -> Plan:
            return library.plan(PlanRequest.from_query(parse_qsl(str(body.get("query", "")))))

        if what == "start":
            before = parse_ratings(_ratings_text(body.get("before")), "before")
            recorder.start(uid, plan(), before)
        elif what == "step":
            recorder.step(
                uid, plan(), int(body["position"]), int(body["index"]),
                float(body["held"]), str(body["outcome"]),
            )  # fmt: skip
        elif what == "finish":
            after = parse_ratings(_ratings_text(body.get("after")), "after")
            recorder.finish(uid, bool(body["finished"]), after)
        else:
            raise UnknotError(f"{what!r} is not a record", expected="start, step or finish")

    async def service_worker(request: Request) -> Response:
        # Always asked of the server (no-cache), so a new version of unknot takes over.
        return assets.response("sw.js", "no-cache")

    routes = [
        Route("/", start),
        Route("/api/start", start),
        Route("/plan", with_plan(plan_page)),
        Route("/api/plan", with_plan(plan_page)),
        Route("/play", with_plan(play_page)),
        Route("/api/play", with_plan(play_page)),
        Route("/audio/{index:int}.mp3", with_plan(clip, slow=True)),
        Route("/figures/{name}", figure),
        Route("/history", history),
        Route("/api/history", history),
        Route("/history/chart.svg", chart),
        Route("/api/sessions/{uid}/{what}", session_call, methods=["POST"]),
        Route("/sw.js", service_worker),
        Route("/static/{name}", assets.endpoint),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("not found", status_code=404)

    async def failed(request: Request, exc: Exception) -> Response:
        from unknot.history.store import UnreachableError

        if isinstance(exc, UnreachableError):
            return PlainTextResponse(f"the history {exc.line()}", status_code=503)
        return PlainTextResponse("something went wrong on the server", status_code=500)

    inner = Starlette(routes=routes, exception_handlers={404: not_found, Exception: failed})
    return Guard(inner, settings.token)


def _ratings_text(ratings: Any) -> str | None:
    if not ratings:
        return None
    if not isinstance(ratings, dict):
        raise UnknotError("ratings are not a map", expected="{area: 0-10, ...}")
    return ",".join(f"{area}:{value}" for area, value in ratings.items())


@cache
def figures_by_name() -> dict[str, tuple[Pose, str | None]]:
    from unknot.catalog.poses import catalog

    found: dict[str, tuple[Pose, str | None]] = {}
    for pose in catalog().poses:
        for side in (None, "right", "left") if pose.per_side else (None,):
            found[figure_name(pose, side)] = (pose, side)
    return found


@cache
def figure_svg(name: str) -> str | None:
    """A figure by its file name (`pigeon-right.svg`), drawn once."""
    from unknot.pictures.drawing import svg

    pose, side = figures_by_name().get(name, (None, None))
    return None if pose is None else svg(pose, side, title=False)


# -- safety ---------------------------------------------------------------------------------------
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Guard:
    """Security headers on every response; with a token, a 403 for any request without it."""

    def __init__(self, inner: Any, token: str | None) -> None:
        self.inner = inner
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        if self.token is not None:
            refusal = self._check(scope)
            if refusal is not None:
                await refusal(scope, receive, self._headed(send))
                return
        await self.inner(scope, receive, self._headed(send))

    def _check(self, scope: Scope) -> Response | None:
        from starlette.requests import HTTPConnection

        assert self.token is not None
        connection = HTTPConnection(scope)
        if hmac.compare_digest(connection.cookies.get(TOKEN_COOKIE, ""), self.token):
            return None
        given = connection.query_params.get("token", "")
        if given and hmac.compare_digest(given, self.token):
            # Into a cookie, and out of the address bar (and the browser's history).
            rest = [(k, v) for k, v in connection.query_params.multi_items() if k != "token"]
            target = connection.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                TOKEN_COOKIE, self.token, max_age=30 * 86400, httponly=True, samesite="strict"
            )
            return response
        return PlainTextResponse(
            "forbidden: open the link unknot printed when it started (it carries the access token)",
            status_code=403,
        )

    @staticmethod
    def _headed(send: Send) -> Send:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = dict(headers).get(b"content-type", b"")
                policy = FIGURE_POLICY if kind.startswith(b"image/svg") else PAGE_POLICY
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        return with_headers


# -- running ---------------------------------------------------------------------------------------
class Address(NamedTuple):
    host: str
    port: int
    token: str | None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/" + (f"?token={self.token}" if self.token else "")


def lan_address() -> str:
    """This machine's address on the local network, for the link printed for the phone."""
    import socket

    # Connecting a UDP socket only asks the routing table which interface it would use:
    # no packet is sent. 192.0.2.1 is a documentation address, reached by nobody.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def listen(host: str, port: int) -> Any:
    """A bound socket (port 0 picks a free one), so the address can be printed before serving."""
    import socket

    # IPPROTO_TCP said outright: asyncio then sets TCP_NODELAY on every connection, without
    # which each response on a kept-alive connection waited ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise UnknotError(
            f"cannot listen on {host}:{port} ({err.strerror})", field="port",
            expected="a free port (or 0 for any free port)",
        ) from None  # fmt: skip
    sock.listen(2048)
    return sock


def serve(web: Guard, sock: Any) -> None:
    import uvicorn

    config = uvicorn.Config(web, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
