"""unknot: a personal post-run recovery coach, as a library.

Routines are data; a routine is fitted to today (the plan), expanded into timed cues (the
timeline), and every output renders that one timeline. The command line and the web app use
only what is named here, and so can a script::

    import unknot

    needs = unknot.read_needs(tight=["hips:3", "hamstrings"], minutes=10)
    plan = unknot.fit(unknot.routine("after-long-run"), needs)
    for entry in plan.timeline:
        print(entry.start, entry.name, entry.side or "", entry.hold)

Every name is imported on first use, so `import unknot` costs nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from unknot.version import __version__

if TYPE_CHECKING:
    from unknot.articles.article import Article as Article
    from unknot.articles.article import save_routine as save_routine
    from unknot.articles.importing import import_article as import_article
    from unknot.articles.importing import is_link as is_link
    from unknot.articles.reading import read_article as read_article
    from unknot.catalog.areas import parse_ratings as parse_ratings
    from unknot.catalog.poses import Catalog as Catalog
    from unknot.catalog.poses import Pose as Pose
    from unknot.catalog.poses import catalog as poses
    from unknot.catalog.vocabulary import Vocabulary as Vocabulary
    from unknot.catalog.vocabulary import vocabulary as vocabulary
    from unknot.errors import UnknotError as UnknotError
    from unknot.files import save as save
    from unknot.guide.player import Outcome as Outcome
    from unknot.guide.player import Player as Player
    from unknot.guide.player import Snapshot as Snapshot
    from unknot.guide.player import StepRecord as StepRecord
    from unknot.guide.player import summarize as summarize
    from unknot.guide.timeline import Entry as Entry
    from unknot.guide.timeline import Timeline as Timeline
    from unknot.guide.timeline import expand as expand
    from unknot.history.places import data_dir as data_dir
    from unknot.history.recording import Recording as Recording
    from unknot.history.recording import Recordings as Recordings
    from unknot.history.recording import SessionSink as SessionSink
    from unknot.history.recording import open_sink as open_sink
    from unknot.history.records import SessionRecord as SessionRecord
    from unknot.history.stats import stats as history_stats
    from unknot.history.store import Store as Store
    from unknot.history.store import UnreachableError as UnreachableError
    from unknot.history.transfer import export_text as export_text
    from unknot.history.transfer import read_export as read_export
    from unknot.names import same_name as same_name
    from unknot.pictures.bodymap import svg as body_map_svg
    from unknot.pictures.card import card_html as card_html
    from unknot.pictures.card import card_pdf as card_pdf
    from unknot.pictures.card import gallery_html as gallery_html
    from unknot.pictures.card import steps as card_steps
    from unknot.pictures.charts import plot as plot_history
    from unknot.pictures.drawing import every_figure as every_figure
    from unknot.pictures.drawing import figure_name as figure_name
    from unknot.pictures.drawing import move_svg as move_figure_svg
    from unknot.pictures.drawing import svg as figure_svg
    from unknot.plan.needs import HOLD_SECONDS as HOLD_SECONDS
    from unknot.plan.needs import MINUTES as MINUTES
    from unknot.plan.needs import SPEED as SPEED
    from unknot.plan.needs import Needs as Needs
    from unknot.plan.needs import parse_number as parse_number
    from unknot.plan.needs import read_needs as read_needs
    from unknot.plan.planner import Plan as Plan
    from unknot.plan.planner import plan as fit
    from unknot.routines.routine import Routine as Routine
    from unknot.routines.routine import built_in_names as built_in_routines
    from unknot.routines.routine import load_routine as load_routine
    from unknot.routines.routine import resolve as routine
    from unknot.runs.advice import Advice as Advice
    from unknot.runs.advice import advise as advise
    from unknot.runs.exports import is_bulk as is_bulk
    from unknot.runs.reading import latest_run as latest_run
    from unknot.runs.reading import past_runs as past_runs
    from unknot.runs.reading import read_run as read_run
    from unknot.runs.reading import read_run_data as read_run_data
    from unknot.runs.reading import recent_runs as recent_runs
    from unknot.runs.summary import Run as Run
    from unknot.runs.summary import run_from_json as run_from_json
    from unknot.sound.playback import Playback as Playback
    from unknot.sound.playback import clip_music as clip_music
    from unknot.sound.playback import entry_clips as entry_clips
    from unknot.sound.track import audio_format as audio_format
    from unknot.sound.track import encoded as encoded_audio
    from unknot.sound.track import render as render_track
    from unknot.sound.track import spoken_sentences as spoken_sentences
    from unknot.sound.track import track_files as track_files
    from unknot.sound.track import write as write_track
    from unknot.sound.voice import Voice as Voice
    from unknot.sound.voice import voice as voice
    from unknot.words import clock as clock
    from unknot.words import countdown as countdown
    from unknot.words import duration as duration
    from unknot.words import shorten as shorten
    from unknot.yamlfile import read_text as read_text

# name -> (module, name there). The names differ from the subpackages' (`poses`, not
# `catalog`; `fit`, not `plan`), since importing a subpackage sets its name on this package.
_API: dict[str, tuple[str, str]] = {
    # routines found in articles
    "Article": ("unknot.articles.article", "Article"),
    "save_routine": ("unknot.articles.article", "save_routine"),
    "import_article": ("unknot.articles.importing", "import_article"),
    "is_link": ("unknot.articles.importing", "is_link"),
    "read_article": ("unknot.articles.reading", "read_article"),
    # the catalog and its words
    "poses": ("unknot.catalog.poses", "catalog"),
    "Catalog": ("unknot.catalog.poses", "Catalog"),
    "Pose": ("unknot.catalog.poses", "Pose"),
    "vocabulary": ("unknot.catalog.vocabulary", "vocabulary"),
    "Vocabulary": ("unknot.catalog.vocabulary", "Vocabulary"),
    "parse_ratings": ("unknot.catalog.areas", "parse_ratings"),
    # routines
    "routine": ("unknot.routines.routine", "resolve"),
    "load_routine": ("unknot.routines.routine", "load_routine"),
    "built_in_routines": ("unknot.routines.routine", "built_in_names"),
    "Routine": ("unknot.routines.routine", "Routine"),
    # today's needs and the plan
    "read_needs": ("unknot.plan.needs", "read_needs"),
    "parse_number": ("unknot.plan.needs", "parse_number"),
    "Needs": ("unknot.plan.needs", "Needs"),
    "MINUTES": ("unknot.plan.needs", "MINUTES"),
    "HOLD_SECONDS": ("unknot.plan.needs", "HOLD_SECONDS"),
    "SPEED": ("unknot.plan.needs", "SPEED"),
    "fit": ("unknot.plan.planner", "plan"),
    "Plan": ("unknot.plan.planner", "Plan"),
    # runs: the activity just finished, and the session it calls for
    "Run": ("unknot.runs.summary", "Run"),
    "run_from_json": ("unknot.runs.summary", "run_from_json"),
    "read_run": ("unknot.runs.reading", "read_run"),
    "read_run_data": ("unknot.runs.reading", "read_run_data"),
    "latest_run": ("unknot.runs.reading", "latest_run"),
    "recent_runs": ("unknot.runs.reading", "recent_runs"),
    "past_runs": ("unknot.runs.reading", "past_runs"),
    "is_bulk": ("unknot.runs.exports", "is_bulk"),
    "Advice": ("unknot.runs.advice", "Advice"),
    "advise": ("unknot.runs.advice", "advise"),
    # the timeline and the player
    "expand": ("unknot.guide.timeline", "expand"),
    "Timeline": ("unknot.guide.timeline", "Timeline"),
    "Entry": ("unknot.guide.timeline", "Entry"),
    "Player": ("unknot.guide.player", "Player"),
    "Snapshot": ("unknot.guide.player", "Snapshot"),
    "StepRecord": ("unknot.guide.player", "StepRecord"),
    "Outcome": ("unknot.guide.player", "Outcome"),
    "summarize": ("unknot.guide.player", "summarize"),
    # sound
    "voice": ("unknot.sound.voice", "voice"),
    "Voice": ("unknot.sound.voice", "Voice"),
    "audio_format": ("unknot.sound.track", "audio_format"),
    "render_track": ("unknot.sound.track", "render"),
    "track_files": ("unknot.sound.track", "track_files"),
    "write_track": ("unknot.sound.track", "write"),
    "encoded_audio": ("unknot.sound.track", "encoded"),
    "spoken_sentences": ("unknot.sound.track", "spoken_sentences"),
    "Playback": ("unknot.sound.playback", "Playback"),
    "entry_clips": ("unknot.sound.playback", "entry_clips"),
    "clip_music": ("unknot.sound.playback", "clip_music"),
    # pictures
    "figure_svg": ("unknot.pictures.drawing", "svg"),
    "figure_name": ("unknot.pictures.drawing", "figure_name"),
    "move_figure_svg": ("unknot.pictures.drawing", "move_svg"),
    "every_figure": ("unknot.pictures.drawing", "every_figure"),
    "body_map_svg": ("unknot.pictures.bodymap", "svg"),
    "card_html": ("unknot.pictures.card", "card_html"),
    "card_pdf": ("unknot.pictures.card", "card_pdf"),
    "card_steps": ("unknot.pictures.card", "steps"),
    "gallery_html": ("unknot.pictures.card", "gallery_html"),
    "plot_history": ("unknot.pictures.charts", "plot"),
    # the history
    "Store": ("unknot.history.store", "Store"),
    "UnreachableError": ("unknot.history.store", "UnreachableError"),
    "SessionSink": ("unknot.history.recording", "SessionSink"),
    "Recording": ("unknot.history.recording", "Recording"),
    "Recordings": ("unknot.history.recording", "Recordings"),
    "SessionRecord": ("unknot.history.records", "SessionRecord"),
    "data_dir": ("unknot.history.places", "data_dir"),
    "open_sink": ("unknot.history.recording", "open_sink"),
    "history_stats": ("unknot.history.stats", "stats"),
    "export_text": ("unknot.history.transfer", "export_text"),
    "read_export": ("unknot.history.transfer", "read_export"),
    # shared
    "UnknotError": ("unknot.errors", "UnknotError"),
    "save": ("unknot.files", "save"),
    "clock": ("unknot.words", "clock"),
    "countdown": ("unknot.words", "countdown"),
    "duration": ("unknot.words", "duration"),
    "shorten": ("unknot.words", "shorten"),
    "same_name": ("unknot.names", "same_name"),
    "read_text": ("unknot.yamlfile", "read_text"),
}

__all__ = [
    "HOLD_SECONDS",
    "MINUTES",
    "SPEED",
    "Advice",
    "Article",
    "Catalog",
    "Entry",
    "Needs",
    "Outcome",
    "Plan",
    "Playback",
    "Player",
    "Pose",
    "Recording",
    "Recordings",
    "Routine",
    "Run",
    "SessionRecord",
    "SessionSink",
    "Snapshot",
    "StepRecord",
    "Store",
    "Timeline",
    "UnknotError",
    "UnreachableError",
    "Vocabulary",
    "Voice",
    "__version__",
    "advise",
    "audio_format",
    "body_map_svg",
    "built_in_routines",
    "card_html",
    "card_pdf",
    "card_steps",
    "clip_music",
    "clock",
    "countdown",
    "data_dir",
    "duration",
    "encoded_audio",
    "entry_clips",
    "every_figure",
    "expand",
    "export_text",
    "figure_name",
    "figure_svg",
    "fit",
    "gallery_html",
    "history_stats",
    "import_article",
    "is_bulk",
    "is_link",
    "latest_run",
    "load_routine",
    "move_figure_svg",
    "open_sink",
    "parse_number",
    "parse_ratings",
    "past_runs",
    "plot_history",
    "poses",
    "read_article",
    "read_export",
    "read_needs",
    "read_run",
    "read_run_data",
    "read_text",
    "recent_runs",
    "render_track",
    "routine",
    "run_from_json",
    "same_name",
    "save",
    "save_routine",
    "shorten",
    "spoken_sentences",
    "summarize",
    "track_files",
    "vocabulary",
    "voice",
    "write_track",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'unknot' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # found once; later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
