"""How well the article importer reads routines out of hand-annotated articles.

Runs `unknot.articles.read_article` on every `NN-slug.json` of a folder (by default the shared
development set, ../shared/articles; its README.md defines the format and the scoring) and
compares each result with the file's `expected`, as that README's "Scoring an importer against
this set" says:

  - poses: micro-averaged precision, recall and F1 over the distinct poses of each article, in two
    modes. Strict: an importer step for an `alternatives` option or for an `unnamed_steps` step is
    a false positive. Lenient: a step whose key is an unnamed step's `likely` name is ignored
    (an alternative is still a false positive: the choice is one step);
  - order: difflib's SequenceMatcher ratio of the common poses in the importer's order against
    the annotated order, averaged over the routines with at least one true positive;
  - per side: of the `bilateral` entries, the share the importer does on each side (a step marked
    per_side, a step inside a per-side block, or two steps on different sides);
  - holds: of the poses with an effective hold (their own, else `default_hold`), the share whose
    first importer step holds the same (same unit and kind, equal values; when both seconds and
    breaths are annotated either one is enough; a missed pose is a missed hold); holds on found
    poses the article gives none for are counted apart, as spurious;
  - negatives (no `poses`): passed when the importer finds no routine or returns no steps.

An importer step is named by a key: its `said`, `name`, `pose` and then each of its `aliases`
are normalised as the README says (lower case, apostrophes dropped, other non-alphanumerics to
spaces, the word "pose" dropped) and the first that
  1. is a wording in the article's own `aliases_seen` gives that canonical pose; else the first that
  2. is one of the article's canonical `poses` gives that pose; else the first that
  3. is one of its `alternatives` options or an unnamed step's `likely` name gives that (so that
     the strict and lenient modes can tell such a step apart from an invented one); else the first
  4. is in one of the README's safe synonym groups gives that group; else
  5. the normalised `name` is its own key.
Canonical names go through the synonym groups too, so both sides meet on the same key.

Prints a line per article (true/false positives and negatives, the missed and extra names, the
holds that differ, the per-side misses) and then the totals; --json prints the figures as JSON.
An article the importer refuses (UnknotError) scores as no steps, its error on its line; one it
crashes on scores the same, with the traceback on stderr and exit status 1 at the end.

    python benchmarks/articles.py [FOLDER] [--only NN] [--json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "articles"

# The "Safe" synonym groups suggested by the set's README (section "Suggested synonym groups").
# The first name of each group is the key all of them score as. The README's "at the catalogue's
# discretion" pairs are left out: they are near-equivalents, not names of one pose.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("Reclining Bound Angle", "Reclining Cobbler", "Supta Baddha Konasana"),
    ("Bound Angle", "Butterfly", "Cobbler", "Baddha Konasana"),
    ("Garland", "Malasana", "Yogic Squat"),
    ("Extended Hand-to-Big-Toe", "Utthita Hasta Padangusthasana"),
    ("Three-Legged Downward Dog", "Eka Pada Adho Mukha Svanasana"),
    ("Upward Salute", "Urdhva Hastasana"),
    ("Eye of the Needle", "Reclined Pigeon", "Supine Figure Four"),
    ("Standing Figure Four", "Figure-Four Chair", "Eka Pada Utkatasana"),
    ("Crow", "Bakasana"),
    ("Tree", "Vrksasana"),
)

SECONDS = ("seconds", "min_seconds", "max_seconds")
BREATHS = ("breaths", "min_breaths", "max_breaths")
APOSTROPHES = "'\u2018\u2019\u02bc"  # straight, curly and modifier: all dropped, as the README says

# What the scorer needs of an importer: (text, source, title) -> Article.to_json().
Importer = Callable[[str, str, str], Mapping[str, Any]]


def normalise(name: str) -> str:
    """README form: "Child's Pose" -> 'childs', 'Legs-Up-The-Wall' -> 'legs up the wall'."""
    text = "".join(c for c in name.lower() if c not in APOSTROPHES)
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(word for word in text.split() if word != "pose")


_SYNONYM_KEYS: dict[str, str] = {
    normalise(name): normalise(group[0]) for group in SYNONYMS for name in group
}


def canonical_key(name: str) -> str:
    """The key a canonical (or any) name scores as: normalised, then through the synonym groups."""
    norm = normalise(name)
    return _SYNONYM_KEYS.get(norm, norm)


def alias_table(expected: Mapping[str, Any]) -> dict[str, str]:
    """The article's own wordings, normalised, to the key of the canonical pose they name."""
    table: dict[str, str] = {}
    for canonical, wordings in (expected.get("aliases_seen") or {}).items():
        for wording in [wordings] if isinstance(wordings, str) else wordings or []:
            table.setdefault(normalise(str(wording)), canonical_key(canonical))
    return table


def _alternatives(expected: Mapping[str, Any]) -> list[str]:
    """The options a step offered besides the one in `poses`: steps of their own are errors."""
    groups = (expected.get("alternatives") or {}).values()
    return [str(o) for g in groups for o in ([g] if isinstance(g, str) else g or [])]


def _likely(expected: Mapping[str, Any]) -> list[str]:
    """The annotator's names for the steps the text describes but never names."""
    unnamed = expected.get("unnamed_steps") or []
    return [str(u["likely"]) for u in unnamed if isinstance(u, Mapping) and u.get("likely")]


def step_key(step: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    """The key an importer step scores as (the order is the module docstring's)."""
    aliases = step.get("aliases") or []
    tried = [step.get("said"), step.get("name"), step.get("pose"), *aliases]
    candidates = [normalise(str(c)) for c in tried if c]
    candidates = [c for c in candidates if c]  # a name of only punctuation names nothing
    table = alias_table(expected)
    for candidate in candidates:
        if candidate in table:
            return table[candidate]
    for names in (expected.get("poses") or [], _alternatives(expected) + _likely(expected)):
        known = {normalise(n): canonical_key(n) for n in names}
        for candidate in candidates:
            if candidate in known:
                return known[candidate]
    for candidate in candidates:
        if candidate in _SYNONYM_KEYS:
            return _SYNONYM_KEYS[candidate]
    name = normalise(str(step.get("name") or ""))
    # a step without a name still counts, as whatever else it was called
    return _SYNONYM_KEYS.get(name, name) if name else (candidates[0] if candidates else "")


def _hold_part(hold: Mapping[str, Any], keys: Sequence[str]) -> dict[str, float]:
    """The keys of one unit that a hold sets (None and non-numbers are not set)."""
    part: dict[str, float] = {}
    for key in keys:
        value = hold.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            part[key] = float(value)
    return part


def _as_hold(value: object) -> Mapping[str, Any] | None:
    """A hold as a mapping, or None for anything else (a missing or malformed hold)."""
    return value if isinstance(value, Mapping) else None


def has_hold(hold: Mapping[str, Any] | None) -> bool:
    return bool(hold) and bool(_hold_part(hold or {}, SECONDS) or _hold_part(hold or {}, BREATHS))


def holds_match(want: Mapping[str, Any], got: Mapping[str, Any] | None) -> bool:
    """Whether the importer's hold says what the annotation says, in either annotated unit.

    Within a unit the same keys must be set with equal values: a single value is not a range, and
    a minimum alone is not a maximum alone. A unit the annotation does not give is not looked at.
    """
    if not got:
        return False
    for keys in (SECONDS, BREATHS):
        wanted = _hold_part(want, keys)
        if not wanted:
            continue
        given = _hold_part(got, keys)
        same_keys = wanted.keys() == given.keys()
        if same_keys and all(math.isclose(wanted[k], given[k], abs_tol=1e-6) for k in wanted):
            return True
    return False


def describe_hold(hold: Mapping[str, Any] | None) -> str:
    """A hold for a person: '30 s', '5-10 breaths', '>=30 s', '5 breaths / 30 s', 'none'."""
    parts = []
    for keys, unit in ((BREATHS, "breaths"), (SECONDS, "s")):
        part = _hold_part(hold or {}, keys)
        exact, low, high = (part.get(k) for k in keys)
        text = []
        if exact is not None:
            text.append(f"{exact:g}")
        if low is not None and high is not None:
            text.append(f"{low:g}-{high:g}")
        elif low is not None:
            text.append(f">={low:g}")
        elif high is not None:
            text.append(f"<={high:g}")
        if text:
            parts.append(f"{' or '.join(text)} {unit}")
    return " / ".join(parts) or "none"


@dataclass
class HoldMiss:
    pose: str
    want: str
    got: str


@dataclass
class ArticleScore:
    """One article's comparison. Names in the lists are for people: canonical where known."""

    number: str
    negative: bool
    tp: int = 0
    fp: int = 0
    fn: int = 0
    lenient_fp: int = 0  # false positives left once unnamed steps' likely names are ignored
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # each with why, where it is not invented
    order: float | None = None  # None: no true positive, or a negative
    bilateral: int = 0
    per_side_hits: int = 0
    per_side_missed: list[str] = field(default_factory=list)
    per_side_extra: list[str] = field(default_factory=list)  # marked per side, not bilateral
    holds_annotated: int = 0
    holds_matched: int = 0
    holds_wrong: list[HoldMiss] = field(default_factory=list)
    holds_spurious: list[str] = field(default_factory=list)
    passed: bool | None = None  # negatives only
    error: str = ""  # what the importer raised, if it did
    crashed: bool = False  # it raised something other than UnknotError: a bug in it
    trace: str = ""  # the bug's traceback, for stderr


def _steps(output: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    steps = (output or {}).get("steps") or []
    return [s for s in steps if isinstance(s, Mapping)]


def _distinct(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _per_side(steps: Sequence[Mapping[str, Any]]) -> bool:
    """Done on each side: a step marked so, a step in a per-side block, or two different sides."""
    if any(s.get("per_side") or s.get("block") is not None for s in steps):
        return True
    return len({s.get("side") for s in steps if s.get("side")}) >= 2


def score_article(
    number: str,
    expected: Mapping[str, Any],
    output: Mapping[str, Any] | None,
    error: str = "",
) -> ArticleScore:
    """Compare one importer output (Article.to_json(), None when it raised) with `expected`."""
    poses = [str(p) for p in expected.get("poses") or []]
    score = ArticleScore(number=number, negative=not poses, error=error)
    label = {canonical_key(p): p for p in reversed(poses)}  # a key's first canonical spelling
    want = _distinct(canonical_key(p) for p in poses)
    steps = _steps(output)
    keyed = [(step_key(s, expected), s) for s in steps]
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for key, step in keyed:
        by_key.setdefault(key, []).append(step)
    got = list(by_key)
    alternatives = {canonical_key(name) for name in _alternatives(expected)}
    likely = {canonical_key(name) for name in _likely(expected)}

    hits = [k for k in got if k in want]
    extra = [k for k in got if k not in want]
    score.tp, score.fp = len(hits), len(extra)
    score.fn = len(want) - len(hits)
    score.lenient_fp = sum(1 for k in extra if k not in likely or k in alternatives)
    score.missed = [label[k] for k in want if k not in by_key]
    for key in extra:
        name = str(by_key[key][0].get("name") or by_key[key][0].get("said") or key)
        why = " (alternative)" if key in alternatives else " (unnamed)" if key in likely else ""
        score.extra.append(name + why)

    if poses:
        if hits:
            annotated = [k for k in want if k in by_key]
            score.order = difflib.SequenceMatcher(None, hits, annotated, autojunk=False).ratio()
    else:
        found = bool((output or {}).get("found", bool(steps)))
        score.passed = not found or not steps

    bilateral = _distinct(canonical_key(str(b)) for b in expected.get("bilateral") or [])
    score.bilateral = len(bilateral)
    for key in bilateral:
        if _per_side(by_key.get(key, [])):
            score.per_side_hits += 1
        else:
            score.per_side_missed.append(label.get(key, key))
    score.per_side_extra = [
        label[k] for k in hits if k not in bilateral and any(s.get("per_side") for s in by_key[k])
    ]

    holds = expected.get("holds") or {}
    holds_by_key = {
        canonical_key(str(n)): h for n, h in reversed(holds.items()) if n != "default_hold"
    }
    default = _as_hold(holds.get("default_hold"))
    for key in want:
        own = _as_hold(holds_by_key.get(key))
        wanted = own if has_hold(own) else default
        steps_for = by_key.get(key, [])
        given = _as_hold(steps_for[0].get("hold")) if steps_for else None
        if wanted is None or not has_hold(wanted):
            if any(has_hold(_as_hold(s.get("hold"))) for s in steps_for):
                score.holds_spurious.append(label[key])
            continue
        score.holds_annotated += 1
        if holds_match(wanted, given):
            score.holds_matched += 1
        else:
            said = describe_hold(given) if steps_for else "(pose missed)"
            score.holds_wrong.append(HoldMiss(label[key], describe_hold(wanted), said))
    return score


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = _ratio(2 * precision * recall, precision + recall) or 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def totals(scores: Sequence[ArticleScore]) -> dict[str, Any]:
    """The set's figures: micro-averaged, except order, which is a mean over articles."""
    tp, fn = sum(s.tp for s in scores), sum(s.fn for s in scores)
    orders = [s.order for s in scores if s.order is not None]
    bilateral = sum(s.bilateral for s in scores)
    annotated = sum(s.holds_annotated for s in scores)
    negatives = [s for s in scores if s.negative]
    return {
        "articles": len(scores),
        "strict": _prf(tp, sum(s.fp for s in scores), fn),
        "lenient": _prf(tp, sum(s.lenient_fp for s in scores), fn),
        "order": {"mean": sum(orders) / len(orders) if orders else None, "articles": len(orders)},
        "per_side": {
            "hits": sum(s.per_side_hits for s in scores),
            "bilateral": bilateral,
            "recall": _ratio(sum(s.per_side_hits for s in scores), bilateral),
            "extra": sum(len(s.per_side_extra) for s in scores),
        },
        "holds": {
            "matched": sum(s.holds_matched for s in scores),
            "annotated": annotated,
            "accuracy": _ratio(sum(s.holds_matched for s in scores), annotated),
            "spurious": sum(len(s.holds_spurious) for s in scores),
        },
        "negatives": {
            "passed": [s.number for s in negatives if s.passed],
            "failed": [s.number for s in negatives if not s.passed],
        },
        "errors": [s.number for s in scores if s.error and not s.crashed],
        "crashes": [s.number for s in scores if s.crashed],
    }


def article_files(folder: Path, only: str | None = None) -> list[Path]:
    """The folder's `NN-slug.json` files in order, or only the one numbered `only`."""
    files = sorted(p for p in folder.glob("*.json") if p.is_file())
    if only is not None:
        wanted = {only, only.zfill(2)}
        files = [p for p in files if p.stem.split("-", 1)[0] in wanted or p.stem in wanted]
    return files


def load_article(path: Path) -> dict[str, Any]:
    """One annotated article file; ValueError when it is not one."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError(f"{path.name}: not an annotated article (no 'text')")
    if not isinstance(data.get("expected") or {}, dict):
        raise ValueError(f"{path.name}: 'expected' is not an object")
    return data


def score_file(path: Path, importer: Importer) -> ArticleScore:
    """Read one annotated article, run the importer on it and score the result.

    An importer that refuses the text (UnknotError) is scored as having found nothing, with its
    error kept. Anything else it raises is a bug: scored the same, but marked as a crash (with
    the traceback), so that one bad article does not hide the figures of the others.
    """
    return score_loaded(path.stem.split("-", 1)[0], load_article(path), importer)


def score_loaded(number: str, data: Mapping[str, Any], importer: Importer) -> ArticleScore:
    from unknot.errors import UnknotError

    expected = data.get("expected") or {}
    try:
        output = importer(data["text"], str(data.get("url") or ""), str(data.get("title") or ""))
    except UnknotError as error:
        return score_article(number, expected, None, error=error.line())
    except Exception as bug:
        score = score_article(number, expected, None, error=f"{type(bug).__name__}: {bug}")
        score.crashed, score.trace = True, traceback.format_exc()
        return score
    return score_article(number, expected, output)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def article_line(score: ArticleScore) -> str:
    """One article for a person: counts, then what differs."""
    parts = [f"{score.number}  TP/FP/FN {score.tp}/{score.fp}/{score.fn}"]
    if score.error:
        parts.append(f"importer {'CRASHED' if score.crashed else 'error'}: {score.error}")
    if score.negative:
        parts.append("negative " + ("passed" if score.passed else "FAILED"))
    if score.order is not None and score.order < 1:
        parts.append(f"order {score.order:.2f}")
    if score.missed:
        parts.append("missed: " + ", ".join(score.missed))
    if score.extra:
        parts.append("extra: " + ", ".join(score.extra))
    found = [m for m in score.holds_wrong if m.pose not in score.missed]  # missed: listed above
    if found:
        wrong = (f"{m.pose} want {m.want} got {m.got}" for m in found)
        parts.append("holds wrong: " + "; ".join(wrong))
    if score.holds_spurious:
        parts.append("spurious holds: " + ", ".join(score.holds_spurious))
    if score.per_side_missed:
        parts.append("per-side missed: " + ", ".join(score.per_side_missed))
    return "  |  ".join(parts)


def totals_lines(figures: Mapping[str, Any]) -> list[str]:
    lines = [f"{figures['articles']} articles"]
    for mode, what in (
        ("strict", "unnamed steps and alternatives count as false positives"),
        ("lenient", "steps named as an unnamed step's likely name ignored"),
    ):
        f = figures[mode]
        lines.append(
            f"  poses, {mode} ({what}): TP {f['tp']} FP {f['fp']} FN {f['fn']}; "
            f"P {_percent(f['precision'])} R {_percent(f['recall'])} F1 {_percent(f['f1'])}"
        )
    order, side, holds, neg = (figures[k] for k in ("order", "per_side", "holds", "negatives"))
    lines.append(f"  order agreement: {_percent(order['mean'])} over {order['articles']} articles")
    lines.append(
        f"  per-side recall: {side['hits']}/{side['bilateral']} = {_percent(side['recall'])} "
        f"({side['extra']} non-bilateral poses marked per side)"
    )
    lines.append(
        f"  holds: {holds['matched']}/{holds['annotated']} = {_percent(holds['accuracy'])}; "
        f"{holds['spurious']} spurious (a missed pose's hold counts as missed)"
    )
    passed, failed = neg["passed"], neg["failed"]
    lines.append(
        f"  negatives: {len(passed)}/{len(passed) + len(failed)} passed"
        + (f" (failed: {', '.join(failed)})" if failed else "")
    )
    if figures["errors"]:
        lines.append(f"  importer errors (UnknotError): {', '.join(figures['errors'])}")
    if figures["crashes"]:
        lines.append(
            f"  importer CRASHES (bugs, tracebacks on stderr): {', '.join(figures['crashes'])}"
        )
    return lines


def real_importer(text: str, source: str, title: str) -> Mapping[str, Any]:
    from unknot.articles import read_article

    data: Mapping[str, Any] = read_article(text, source=source, title=title).to_json()
    return data


def main(argv: Sequence[str] | None = None, importer: Importer | None = None) -> int:
    """The command line; `importer` stands in for the real one (a fake, while it is written)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=FOLDER, help=f"default: {FOLDER}")
    parser.add_argument("--only", metavar="NN", help="score only the article numbered NN")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    files = article_files(args.folder, args.only)
    if not files:
        which = f" numbered {args.only}" if args.only else ""
        print(f"no article{which} in {args.folder}", file=sys.stderr)
        return 2
    if importer is None:
        try:
            from unknot.articles import read_article  # noqa: F401  # checked once, not per file
        except ImportError as error:
            print(f"no importer to score: {error}", file=sys.stderr)
            return 2
        importer = real_importer
    scores = []
    for path in files:
        try:
            data = load_article(path)
        except (OSError, ValueError) as error:  # a broken file is skipped, not the whole run
            print(f"{path.name}: skipped: {error}", file=sys.stderr)
            continue
        scores.append(score_loaded(path.stem.split("-", 1)[0], data, importer))
    for score in scores:
        if score.trace:
            print(f"{score.number}: the importer crashed\n{score.trace}", file=sys.stderr)
    figures = totals(scores)
    if args.json:
        figures["by_article"] = [
            {k: v for k, v in asdict(s).items() if k != "trace"} for s in scores
        ]
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        for score in scores:
            print(article_line(score))
        print()
        print("\n".join(totals_lines(figures)))
    return 1 if figures["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
