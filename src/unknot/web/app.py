"""The web app: choose, plan and be guided on a phone, from the same data as the command line.

Every page is rendered from a plain dict that is also served as JSON under `/api` (the page's
twin; `pages`). The player runs in the browser on its own clock, with every figure and voice
clip fetched before it needs them, so a session goes on to the end when the network drops;
what it records is sent back step by step and kept in the browser until the server has it
(`records`). `Guard` wraps the whole app (`guard`).
"""

from __future__ import annotations

import sys
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

import unknot
from unknot.web import imports, pages
from unknot.web.assets import STATIC, Assets
from unknot.web.caches import Library, figure_svg, move_svg
from unknot.web.guard import AUTHORITY_PATH, Guard, Pairing, served_hosts
from unknot.web.records import RecordsApi, RefusedError
from unknot.web.request import PlanRequest, said_on_the_page
from unknot.web.uploads import KeptRuns, uploaded

if TYPE_CHECKING:
    from unknot import Plan

PHONE_CHART_INCHES = (4.6, 6.0)  # the history's charts, readable at a phone's width
PAGES_KEPT = 64  # rendered plan and player pages (and their JSON) kept in memory
Render = Callable[[Request, "Plan", PlanRequest], Response]


class Settings(NamedTuple):
    voice: str = "piper"
    database: str | None = None
    pair_code: str | None = None  # with --lan: what pairs a device (in the link printed)
    devices: Path | None = None  # where the paired devices are kept (the data folder's)
    scheme: str = "http"  # "https" with --https
    authority: bytes | None = None  # with --https: the certificate a phone trusts (DER)
    routine_files: tuple[Path, ...] = ()
    port: int = 8765  # the port served and the LAN address (with --lan) printed for the
    lan_host: str | None = None  # phone: what a request's Host may name, beside loopback
    music: Path | None = None  # played under the voice in the player (serve --music)
    # Tests only (a local page served on 127.0.0.1): a link brought to "Bring a routine" may
    # reach this machine's loopback addresses. Never set by `unknot serve`: a link from the
    # phone would otherwise make the server fetch what only this machine can reach.
    allow_private_links: bool = False


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class Site:
    """The pages and their JSON twins, each a method; `routes` lists them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.library = Library(settings.voice, settings.routine_files, settings.music)
        self.recordings = unknot.Recordings(settings.database)
        # The history failed under a session: said once on the server's terminal, where it runs.
        self.recordings.on_notice = lambda line: print(
            f"unknot: {line}", file=sys.stderr, flush=True
        )
        self.runs = KeptRuns()  # the runs read on the start page, for the sessions after them
        self.assets = Assets(STATIC)
        self.templates = pages.templates()
        self.templates.globals["static"] = self.assets.url
        # Every page asks the service worker to keep them all, for any page opened offline.
        kept = [self.assets.url(name) for name in self.assets.files if name != "sw.js"]
        self.templates.globals["every_asset"] = " ".join(kept)

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    def start(self, request: Request, error: str = "", status: int = 200) -> Response:
        data = pages.start_data(self.library, request.query_params.get("routine", ""))
        if wants_json(request):
            return JSONResponse(data)
        # Every choice of the plan the page was sent back from ("Change"), shown as chosen.
        given = request.query_params
        chosen = {k: v for k, v in given.multi_items() if v.strip()}
        tight = set(given.getlist("tight"))
        marked = {a["name"] for g in data["areas"] for a in g["areas"] if g["name"] in tight}
        routine = chosen.get("routine", data["routines"][0]["name"])
        return self.page(
            "start.html", status, start=data, error=error, chosen=chosen, tight=tight,
            routine=routine, avoid=set(given.getlist("avoid")), props=set(given.getlist("props")),
            skip=set(given.getlist("skip")), extra=given.getlist("with"),
            leave_out=pages.leave_out_choices(data["routines"]),
            body_map=unknot.body_map_svg(tight | marked),
        )  # fmt: skip

    def with_plan(self, render: Render) -> Callable[..., Any]:
        """A route that needs the plan named by its query; a mistake in it is one clear line.

        A plan made before (the usual case: the plan page made it) and the page rendered from
        it take a fraction of a millisecond, done in the event loop; a new plan goes to a
        worker thread."""
        # A page is the same for the same address and plan: made once, sent again as it is.
        rendered: OrderedDict[str, tuple[Plan, Response]] = OrderedDict()

        async def endpoint(request: Request) -> Response:
            try:
                wanted = PlanRequest.from_query(list(request.query_params.multi_items()))
                plan = self.library.planned(wanted)
                if plan is None:
                    plan = await run_in_threadpool(self.library.plan, wanted)
                address = str(request.url)
                made = rendered.get(address)
                if made is not None and made[0] is plan:
                    return made[1]
                response = render(request, plan, wanted)
                rendered[address] = (plan, response)
                while len(rendered) > PAGES_KEPT:
                    rendered.popitem(last=False)
                return response
            except unknot.UnknotError as err:
                if wants_json(request):
                    return JSONResponse({"error": said_on_the_page(err)}, status_code=400)
                return self.start(request, error=said_on_the_page(err), status=400)

        return endpoint

    def plan_page(self, request: Request, plan: Plan, wanted: PlanRequest) -> Response:
        data = pages.plan_data(plan, wanted)
        if wants_json(request):
            return JSONResponse(data)
        # Voiced from now, in the order played: by the time Start is tapped, the first clips are.
        self.library.prepare(wanted)
        return self.page("plan.html", plan=data, title=plan.timeline.routine.title)

    def play_page(self, request: Request, plan: Plan, wanted: PlanRequest) -> Response:
        music = self.library.music is not None
        data = pages.play_data(plan, wanted, self.settings.voice, music=music)
        if wants_json(request):
            return JSONResponse(data)
        speed = unknot.parse_number(
            request.query_params.get("speed"), "speed", unknot.SPEED, "times"
        )
        self.library.prepare(wanted)
        return self.page("play.html", session=data, speed=speed or 1)

    async def music(self, request: Request) -> Response:
        """The music given to `serve --music`, set under the voice (404 without it)."""
        if self.library.music is None:
            return PlainTextResponse("no music: unknot serve --music FILE plays one", 404)
        return Response(self.library.music, media_type="audio/mpeg",
                        headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip

    async def clip(self, request: Request) -> Response:
        """A step's voice clip. It waits for the one voice worker (`Voicing`), which makes
        what a request waits for before what is only voiced ahead; no thread waits with it."""
        try:
            wanted = PlanRequest.from_query(list(request.query_params.multi_items()))
            data = await self.library.clip(wanted, request.path_params["index"])
        except unknot.UnknotError as err:
            return JSONResponse({"error": said_on_the_page(err)}, status_code=400)
        return Response(data, media_type="audio/mpeg", headers={"Cache-Control": "max-age=86400"})

    async def figure(self, request: Request) -> Response:
        # Drawn in a worker thread (each once, then cached): drawing takes 10-90 ms of CPU, and
        # a phone asks for a session's every figure and move at its start, while it is voiced.
        drawn = await run_in_threadpool(figure_svg, request.path_params["name"])
        if drawn is None:
            return PlainTextResponse("no such figure", status_code=404)
        return _picture(request, drawn)

    async def move(self, request: Request) -> Response:
        names = request.path_params
        drawn = await run_in_threadpool(move_svg, names["before"], names["after"], names["seconds"])
        if drawn is None:
            return PlainTextResponse("no such move", status_code=404)
        return _picture(request, drawn)

    async def after(self, request: Request) -> Response:
        """A run file from the phone: the run's figures, the session it calls for and why, and
        the link to that plan (which records the session with the run)."""
        try:
            name, data = await uploaded(request)
            found = await run_in_threadpool(self._advise, name, data)
        except RefusedError as refused:
            return self._refused(request, refused.line, refused.status)
        except unknot.UnknotError as err:
            return self._refused(request, said_on_the_page(err), 400)
        if wants_json(request):
            return JSONResponse(found)
        return self.page("after.html", after=found, title="After your run")

    def _advise(self, name: str, data: bytes) -> dict[str, Any]:
        run = unknot.read_run_data(data, name)
        past = pages.past_runs(self.recordings.store())
        advice = unknot.advise(run, past, hr_max=run.hr_max)
        token = self.runs.keep(data, run.to_json())
        return pages.after_data(run, advice, token)

    async def bring(self, request: Request) -> Response:
        """An article from the phone, as a link or its text: the steps read from it, and the
        link to the plan of its routine, saved under a token (`imports`)."""
        text = ""
        try:
            text = await imports.sent_article(request)
            allow = self.settings.allow_private_links
            article = await run_in_threadpool(imports.read, text, allow_private=allow)
        except RefusedError as refused:
            return self._not_imported(request, refused.line, refused.status, text)
        except unknot.UnknotError as err:  # a link refused or failed, in the library's words
            return self._not_imported(request, err.line(), 400, text)
        if not article.found:
            return self._not_imported(request, imports.not_found_line(article), 422, text)
        try:
            routine: str | None = await run_in_threadpool(imports.save, article)
            problem, status = "", 200
        except unknot.UnknotError as err:  # read, but not a routine unknot can plan
            routine, problem, status = None, err.line(), 422
        found = pages.imported_data(article, routine, problem)
        if wants_json(request):
            return JSONResponse(found | ({"error": problem} if problem else {}), status)
        return self.page(
            "imported.html", status, imported=found, article_text=text if problem else "",
            title=found["title"] or "Imported routine",
        )  # fmt: skip

    def _not_imported(self, request: Request, line: str, status: int, text: str) -> Response:
        """The import page with the one line said and what was sent kept in the form."""
        if wants_json(request):
            response: Response = JSONResponse({"error": line}, status_code=status)
        else:
            response = self.page("imported.html", status, imported=None, error=line,
                                 article_text=text, title="Bring a routine")  # fmt: skip
        if status in (408, 413):
            response.headers["Connection"] = "close"  # the rest of the body is not read
        return response

    def _refused(self, request: Request, line: str, status: int) -> Response:
        if wants_json(request):
            return JSONResponse({"error": line}, status_code=status)
        response = self.start(request, error=line, status=status)
        if status in (408, 413):
            response.headers["Connection"] = "close"  # the rest of the body is not read
        return response

    def history(self, request: Request) -> Response:
        data = pages.history_data(self.recordings.store(), self.library.titles())
        if wants_json(request):
            return JSONResponse(data)
        return self.page("history.html", history=data, title="History")

    def remove_empty(self, request: Request) -> Response:
        """Forget the sessions that hold nothing (the history page's button), then show it."""
        store = self.recordings.store()
        for uid in pages.history_data(store, {})["empty"]:
            store.forget(uid)
        return RedirectResponse("/history", status_code=303)

    def chart(self, request: Request) -> Response:
        sessions = self.recordings.store().sessions()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "chart.svg"
            unknot.plot_history(sessions, path, inches=PHONE_CHART_INCHES)
            return Response(path.read_bytes(), media_type="image/svg+xml")

    async def authority(self, request: Request) -> Response:
        """With --https: the certificate authority a phone installs once, to trust this
        server (public; any device may fetch it, paired or not)."""
        if self.settings.authority is None:
            return PlainTextResponse("not found", status_code=404)
        headers = {"Content-Disposition": 'attachment; filename="unknot-ca.crt"'}
        return Response(self.settings.authority, media_type="application/x-x509-ca-cert",
                        headers=headers)  # fmt: skip

    async def service_worker(self, request: Request) -> Response:
        # Always asked of the server (no-cache), so a new version of unknot takes over.
        return self.assets.response("sw.js", "no-cache")

    def routes(self) -> list[Route]:
        plan_page, play_page = self.with_plan(self.plan_page), self.with_plan(self.play_page)
        records = RecordsApi(self.library, self.recordings, self.runs)
        return [
            Route("/", self.start),
            Route("/api/start", self.start),
            Route("/after", self.after, methods=["POST"]),
            Route("/api/after", self.after, methods=["POST"]),
            Route("/import", self.bring, methods=["POST"]),
            Route("/api/import", self.bring, methods=["POST"]),
            Route("/plan", plan_page),
            Route("/api/plan", plan_page),
            Route("/play", play_page),
            Route("/api/play", play_page),
            Route("/audio/{index:int}.mp3", self.clip),
            Route("/audio/music.mp3", self.music),
            Route("/figures/{name}", self.figure),
            Route("/figures/moves/{before}/{after}/{seconds:int}.svg", self.move),
            Route("/history", self.history),
            Route("/api/history", self.history),
            Route("/history/chart.svg", self.chart),
            Route("/history/empty", self.remove_empty, methods=["POST"]),
            Route("/api/sessions/{uid}/{what}", records.endpoint, methods=["POST"]),
            Route("/sw.js", self.service_worker),
            Route(AUTHORITY_PATH, self.authority),
            Route("/static/{name}", self.assets.endpoint),
        ]


async def not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("not found", status_code=404)


async def failed(request: Request, exc: Exception) -> Response:
    if isinstance(exc, unknot.UnreachableError):
        return PlainTextResponse(f"the history {exc.line()}", status_code=503)
    return PlainTextResponse("something went wrong on the server", status_code=500)


def _picture(request: Request, drawn: str) -> Response:
    """A figure, kept a day, gzipped for a browser that takes it (a move is ~100 kB of text,
    under a third of that gzipped, and a phone fetches a session's every one at its start)."""
    import gzip

    headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
    body = drawn.encode()
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="image/svg+xml", headers=headers)


def app(settings: Settings) -> Guard:
    """The whole web app, as an ASGI application."""
    site = Site(settings)
    handlers = {404: not_found, Exception: failed}
    inner = Starlette(routes=site.routes(), exception_handlers=handlers)
    pairing = None
    if settings.pair_code is not None:
        from unknot.web.devices import Devices

        pairing = Pairing(settings.pair_code, Devices(settings.devices))
    hosts = served_hosts(settings.port, settings.lan_host)
    return Guard(inner, pairing, hosts, settings.scheme)
