"""The routines this server offers, and what is made from them and kept: plans, voice clips
(made ahead in the background), figures."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import unknot

if TYPE_CHECKING:
    from unknot import Plan, Pose, Routine, Voice
    from unknot.web.request import PlanRequest

PLANS_KEPT = 64  # plans kept in memory, the most recently used
CLIPS_KEPT = 400  # rendered voice clips kept in memory (a long session has about 40)


class Library:
    """The routines offered (the built-in ones, and files given to `serve`), and the plans and
    clips made from them, kept."""

    def __init__(self, voice: str, routine_files: tuple[Path, ...]) -> None:
        self.voice = voice
        self.files: dict[str, Path] = {}
        for path in routine_files:
            unknot.load_routine(path)  # a bad file is reported when the server starts
            self.files[path.name] = path.resolve()
        self.names = [*unknot.built_in_routines(), *self.files]
        self._plans: OrderedDict[tuple[PlanRequest, int], Plan] = OrderedDict()
        self._clips: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._speaker: Voice | None = None
        self._prepared: set[str] = set()
        self.speaker()  # an unknown voice is reported at start; the first clip comes sooner
        self._voice_lock = threading.Lock()
        self._plan_lock = threading.Lock()

    def routine(self, name: str, field: str = "routine") -> Routine:
        if name in self.files:
            return unknot.load_routine(self.files[name])
        return unknot.routine(self.offered(name, field))

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
        known = self.planned(request)
        if known is not None:
            return known
        key = self._plan_key(request)
        needs = request.needs(tuple(self.offered(name, "with") for name in request.extra))
        made = unknot.fit(self.routine(request.routine), needs)
        with self._plan_lock:
            self._plans[key] = made
            while len(self._plans) > PLANS_KEPT:
                self._plans.popitem(last=False)
        return made

    def clip(self, request: PlanRequest, index: int) -> bytes:
        """Entry `index`'s sound as MP3: its chime, then each cue at its moment."""
        plan = self.plan(request)
        if not 0 <= index < len(plan.timeline.entries):
            raise unknot.UnknotError(
                f"there is no step {index}", field="step",
                expected=f"0 to {len(plan.timeline.entries) - 1}",
            )  # fmt: skip
        key = (request.query(), index)
        with self._voice_lock:  # one synthesis at a time: the voice is not shared across threads
            if key not in self._clips:  # (made while this request waited, by `prepare`?)
                entry = plan.timeline.entries[index]
                alone = unknot.Timeline(plan.timeline.routine, (entry,))
                samples = unknot.entry_clips(alone, self.speaker())[0]
                self._clips[key] = unknot.encoded_audio(samples)
                while len(self._clips) > CLIPS_KEPT:
                    self._clips.popitem(last=False)
            return self._clips[key]

    def prepare(self, request: PlanRequest) -> None:
        """Make a session's clips in the background, in order, before the player asks for them."""
        if self.voice == "none" or request.query() in self._prepared:
            return
        self._prepared.add(request.query())

        def work() -> None:
            for index in range(len(self.plan(request).timeline.entries)):
                self.clip(request, index)

        threading.Thread(target=work, name="unknot-clips", daemon=True).start()

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
