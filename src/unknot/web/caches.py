"""The routines this server offers, and what is made from them and kept: plans, voice clips
(made ahead by one worker, the most recently wanted first), figures."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

import unknot
from unknot.web.request import imported_token

if TYPE_CHECKING:
    from collections.abc import Callable

    from unknot import Plan, Pose, Routine, Timeline, Voice
    from unknot.web.request import PlanRequest

PLANS_KEPT = 64  # plans kept in memory, the most recently used
CLIPS_KEPT = 400  # rendered voice clips kept in memory (a long session has about 40)
# Clips waiting to be made: more could not all be kept once made. Past it, the clips wanted
# longest ago that no request waits for are dropped (a player asks again for what it needs).
CLIPS_WAITING = CLIPS_KEPT
PREPARED_KEPT = 256  # sessions voiced ahead, remembered so each is voiced once
MADE_KEPT = 1000  # the last clips made, in order (what `made` shows)
# Voices slow enough to be worth saying the likely sentences ahead, in idle time, once a machine
# (the neural voice: ~0.3 s of both cores a sentence; espeak says one in a few milliseconds).
VOICED_AHEAD = frozenset({"piper"})
IDLE_AFTER_SECONDS = 5.0  # the server's age when it starts on them

ClipKey = tuple[str, int]  # a plan's canonical query, and the entry's index in it
IMPORTED_TITLES_KEPT = 256  # titles of imported routines read lately, for the history page


class _Job:
    """A clip to make, and how many requests wait for it now (a job no one waits for may be
    dropped when too many are waiting)."""

    __slots__ = ("index", "result", "timeline", "waiters")

    def __init__(self, timeline: Timeline, index: int) -> None:
        self.timeline = timeline
        self.index = index
        self.result: Future[bytes] = Future()
        self.waiters = 0


class Voicing:
    """Voice clips made one at a time by one worker thread (the voice is one engine, used by
    one thread), from one queue, the most recently wanted first: a runner's first clip, asked
    for now, is made before the sessions other players opened earlier are voiced ahead. Each
    clip is made once and kept (the most recently used `CLIPS_KEPT`).

    The engine is loaded when the worker starts, not with the first clip. A clip's MP3 is
    encoded by a second thread while the worker voices the next (the neural voice gains little
    from a second core; the encoder has it to itself). With nothing waiting, the worker says
    the sentences it was given to say in idle time (`idle`), each kept by the voice's own
    cache, so a session made of them later is mixed, not voiced."""

    def __init__(self, speaker: Callable[[], Voice]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.speaker = speaker
        self._encoder = ThreadPoolExecutor(1, thread_name_prefix="unknot-encode")
        self._idle: deque[str] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._clips: OrderedDict[ClipKey, bytes] = OrderedDict()
        self._waiting: OrderedDict[ClipKey, _Job] = OrderedDict()  # the last is made next
        self._making: dict[ClipKey, _Job] = {}
        self._worker: threading.Thread | None = None
        self._stopped = False
        self.made: deque[ClipKey] = deque(maxlen=MADE_KEPT)  # in the order they were made

    def start(self) -> None:
        """Start the worker now (it loads the engine), before any clip is asked for."""
        with self._lock:
            self._begin()

    def idle(self, sentences: Callable[[], list[str]]) -> None:
        """Sentences to say when nothing waits; `sentences` (which plans routines, ~1 s) is
        called in a thread of its own, so the worker serves the first clip meanwhile."""

        def gather() -> None:
            # Planning them takes the interpreter ~1 s: not while a first session is voiced.
            time.sleep(IDLE_AFTER_SECONDS)
            try:
                found = sentences()
            except Exception:  # idle work only: nothing waits for it
                return
            with self._lock:
                if not self._stopped:
                    self._idle.extend(found)
                    self._begin()
                    self._wake.notify()

        threading.Thread(target=gather, name="unknot-voice-ahead", daemon=True).start()

    def _begin(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="unknot-voice", daemon=True)
            self._worker.start()

    def ahead(self, key: ClipKey, timeline: Timeline, index: int) -> None:
        """Voice this clip ahead, before what was wanted earlier; no one waits for it."""
        with self._lock:
            self._want(key, timeline, index)

    async def clip(self, key: ClipKey, timeline: Timeline, index: int) -> bytes:
        """The clip's sound as MP3, made next if it is not made yet; a request waits for it."""
        with self._lock:
            made = self._clips.get(key)
            if made is not None:
                self._clips.move_to_end(key)
                return made
            job = self._want(key, timeline, index)
            job.waiters += 1
        try:
            # Shielded: a client that goes away must not cancel a clip others may wait for.
            return await asyncio.shield(asyncio.wrap_future(job.result))
        finally:
            with self._lock:
                job.waiters -= 1

    def _want(self, key: ClipKey, timeline: Timeline, index: int) -> _Job:
        job = self._making.get(key)
        if job is not None:
            return job
        job = self._waiting.pop(key, None) or _Job(timeline, index)
        self._waiting[key] = job  # (again) the last: made next
        while len(self._waiting) > CLIPS_WAITING:  # the oldest that no request waits for
            oldest = next((k for k, j in self._waiting.items() if not j.waiters), None)
            if oldest is None or oldest == key:
                break
            del self._waiting[oldest]
        self._begin()
        self._wake.notify()
        return job

    def stop(self) -> None:
        """Make nothing more (what is waiting is dropped); the worker ends after its clip."""
        with self._lock:
            self._stopped = True
            for job in self._waiting.values():
                job.result.set_exception(RuntimeError("the voice was stopped"))
            self._waiting.clear()
            self._idle.clear()
            self._wake.notify()
        self._encoder.shutdown(wait=False)

    def _work(self) -> None:
        # A voice that cannot load is said by the first clip that needs it.
        with contextlib.suppress(Exception):
            self.speaker().warm()
        while True:
            with self._lock:
                while not self._waiting and not self._stopped and not self._idle:
                    self._wake.wait()
                if self._stopped:
                    return
                if not self._waiting:
                    sentence = self._idle.popleft()
                    job = None
                else:
                    key, job = self._waiting.popitem(last=True)
                    self._making[key] = job
            if job is None:
                self._say_idle(sentence)
                continue
            try:
                alone = unknot.Timeline(job.timeline.routine, (job.timeline.entries[job.index],))
                samples = unknot.entry_clips(alone, self.speaker())[0].whole()
            except Exception as err:  # the request that waits says it; the worker goes on
                self._failed(key, job, err)
                continue
            self._encoder.submit(self._encode, key, job, samples)

    def _say_idle(self, sentence: str) -> None:
        speaker = self.speaker()
        if not speaker.has_said(sentence):
            # Idle work only: a clip that needs the sentence says what is wrong with it.
            with contextlib.suppress(Exception):
                speaker.say(sentence)

    def _encode(self, key: ClipKey, job: _Job, samples: Any) -> None:
        try:
            made = unknot.encoded_audio(samples)
        except Exception as err:  # the request that waits says it
            self._failed(key, job, err)
            return
        with self._lock:
            del self._making[key]
            self._clips[key] = made
            while len(self._clips) > CLIPS_KEPT:
                self._clips.popitem(last=False)
            self.made.append(key)
        job.result.set_result(made)

    def _failed(self, key: ClipKey, job: _Job, err: Exception) -> None:
        with self._lock:
            del self._making[key]
        job.result.set_exception(err)


class Library:
    """The routines offered (the built-in ones, and files given to `serve`), and the plans and
    clips made from them, kept."""

    def __init__(
        self, voice: str, routine_files: tuple[Path, ...], music: Path | None = None
    ) -> None:
        self.voice = voice
        self.files: dict[str, Path] = {}
        for path in routine_files:
            unknot.load_routine(path)  # a bad file is reported when the server starts
            self.files[path.name] = path.resolve()
        self.names = [*unknot.built_in_routines(), *self.files]
        self._plans: OrderedDict[tuple[PlanRequest, int], Plan] = OrderedDict()
        self._speaker: Voice | None = None
        self._prepared: OrderedDict[str, None] = OrderedDict()
        self.speaker()  # an unknown voice is reported at start; the first clip comes sooner
        self.voicing = Voicing(self.speaker)
        if voice != "none":
            self.voicing.start()  # the engine loaded now, not with the first clip
        if voice in VOICED_AHEAD:
            self.voicing.idle(self.likely_sentences)
        # Made once, at the start (a file that is not music is reported then): set under the
        # clips' voice; the player loops it and ducks it under speech.
        self.music: bytes | None = None
        if music is not None:
            speaker = None if voice == "none" else self.speaker()
            self.music = unknot.encoded_audio(unknot.clip_music(music, speaker))
        self._plan_lock = threading.Lock()
        # The history keeps a routine's name only: an imported one's title, once read, by name.
        self._imported_titles: OrderedDict[str, str] = OrderedDict()

    def routine(self, name: str, field: str = "routine") -> Routine:
        """A routine offered; a file given to `serve` is read again when it has changed, and a
        mistake made in it since (or its loss) is an `UnknotError` naming the file. An imported
        one (`imported-<token>`) is read from the file its token names, and from no other."""
        token = imported_token(name)
        if token is not None:
            return self._imported(token)
        if name in self.files:
            return unknot.load_routine(self.files[name])
        return unknot.routine(self.offered(name, field))

    def _imported(self, token: str) -> Routine:
        from unknot.web.imports import imported_path

        path = imported_path(token)
        if not path.is_file():  # said without the path: the data folder is the server's own
            raise unknot.UnknotError(
                f"the imported routine {token} is not kept on this server", field="routine",
                expected="the article read again on the start page (Bring a routine)",
            )  # fmt: skip
        routine = unknot.load_routine(path)
        with self._plan_lock:
            self._imported_titles[routine.name] = routine.title
            self._imported_titles.move_to_end(routine.name)
            while len(self._imported_titles) > IMPORTED_TITLES_KEPT:
                self._imported_titles.popitem(last=False)
        return routine

    def titles(self) -> dict[str, str]:
        """Each routine offered by name, with its title (the history shows titles); an
        imported one's, when read since the server started (an offered one's name wins)."""
        with self._plan_lock:
            found: dict[str, str] = dict(self._imported_titles)
        for name in self.names:
            try:
                routine = self.routine(name)
            except unknot.UnknotError:  # a file edited badly since: its name will do
                continue
            found[name] = found[routine.name] = routine.title  # (a file's own name, too)
        return found

    def offered(self, name: str, field: str) -> str:
        """A routine a request may name: a built-in one, or a file given to `serve`, as the
        name or path the library resolves. Never a path from a request."""
        if name in self.files:
            return str(self.files[name])
        if "/" in name or "\\" in name or name.endswith((".yaml", ".yml")) or Path(name).exists():
            raise unknot.UnknotError(
                f"unknown routine {name!r}", field=field,
                expected=f"one of {', '.join(self.names)}",
            )  # fmt: skip
        return name

    def _plan_key(self, request: PlanRequest) -> tuple[PlanRequest, int]:
        path = self.files.get(request.routine)
        if path is None:
            return (request, 0)
        try:
            return (request, path.stat().st_mtime_ns)
        except OSError:  # deleted since: never a plan kept, and reading it says what is wrong
            return (request, -1)

    def planned(self, request: PlanRequest) -> Plan | None:
        """The plan if it was made already (and its file is unchanged), at no cost."""
        key = self._plan_key(request)
        with self._plan_lock:
            if key in self._plans:
                self._plans.move_to_end(key)
                return self._plans[key]
        return None

    def plan(self, request: PlanRequest) -> Plan:
        known = self.planned(request)
        if known is not None:
            return known
        key = self._plan_key(request)
        needs = request.needs(tuple(self.offered(name, "with") for name in request.extra))
        made = unknot.fit(self.routine(request.routine), needs)
        if key[1] != -1:
            with self._plan_lock:
                self._plans[key] = made
                while len(self._plans) > PLANS_KEPT:
                    self._plans.popitem(last=False)
        return made

    async def clip(self, request: PlanRequest, index: int) -> bytes:
        """Entry `index`'s sound as MP3 (its chime, then each cue at its moment), made next.
        A new plan is made in a worker thread; the clip by the voice's own worker."""
        plan = self.planned(request)
        if plan is None:
            plan = await run_in_threadpool(self.plan, request)
        if not 0 <= index < len(plan.timeline.entries):
            raise unknot.UnknotError(
                f"there is no step {index}", field="step",
                expected=f"0 to {len(plan.timeline.entries) - 1}",
            )  # fmt: skip
        return await self.voicing.clip((request.query(), index), plan.timeline, index)

    def prepare(self, request: PlanRequest) -> None:
        """Queue a session's clips, in order, before the player asks for them; once a session."""
        query = request.query()
        if self.voice == "none":
            return
        with self._plan_lock:
            if query in self._prepared:
                self._prepared.move_to_end(query)
                return
            self._prepared[query] = None
            while len(self._prepared) > PREPARED_KEPT:
                self._prepared.popitem(last=False)
        timeline = self.plan(request).timeline
        # The last wanted is made first: the first clip last.
        for index in reversed(range(len(timeline.entries))):
            self.voicing.ahead((query, index), timeline, index)

    def likely_sentences(self) -> list[str]:
        """What sessions made here are likely to say: each built-in routine as written, at
        each level, and with each condition's changes (its replacement poses)."""
        vocab = unknot.vocabulary()
        asked: list[dict[str, Any]] = [{}, *({"level": level} for level in vocab.levels)]
        asked += [{"avoid": [condition]} for condition in vocab.conditions]
        sentences: dict[str, None] = {}
        for name in unknot.built_in_routines():
            for needs in asked:
                try:
                    plan = unknot.fit(unknot.routine(name), unknot.read_needs(**needs))
                except unknot.UnknotError:
                    continue  # a routine nothing of which suits: nothing to say
                said = unknot.spoken_sentences(plan.timeline, self.speaker())
                sentences.update(dict.fromkeys(said))
        return list(sentences)

    def speaker(self) -> Voice:
        if self._speaker is None:
            self._speaker = unknot.voice(self.voice)
        return self._speaker


@cache
def figures_by_name() -> dict[str, tuple[Pose, str | None]]:
    """Every figure by its file name; a per-side pose's figure also without a side."""
    found: dict[str, tuple[Pose, str | None]] = {}
    for pose in unknot.poses().poses:
        found[unknot.figure_name(pose, None)] = (pose, None)
    for pose, side in unknot.every_figure(unknot.poses().poses):
        found[unknot.figure_name(pose, side)] = (pose, side)
    return found


@cache
def figure_svg(name: str) -> str | None:
    """A figure by its file name (`pigeon-right.svg`), drawn once."""
    pose, side = figures_by_name().get(name, (None, None))
    return None if pose is None else unknot.figure_svg(pose, side, title=False)


MOVE_SECONDS = range(1, 121)  # what a move may last, as the timeline's moves do


@lru_cache(maxsize=256)  # a session has a few dozen moves; a bound, as names come from outside
def move_svg(before: str, after: str, seconds: int) -> str | None:
    """The move from one figure into the next (`pigeon-right`, ...) over `seconds`."""
    first, then = figures_by_name().get(f"{before}.svg"), figures_by_name().get(f"{after}.svg")
    if first is None or then is None or seconds not in MOVE_SECONDS:
        return None
    return unknot.move_figure_svg(first, then, seconds, title=False)
