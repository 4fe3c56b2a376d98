"""Reading a routine out of an article's text.

An article names its steps in one of two ways. Most give each step a line of its own: a heading,
a numbered item, a bullet or "Name: what to do". Then each step's own lines say its hold and
sides, and other poses named there are where the body comes from ("From Downward Dog ...") or
background, not steps; a paragraph that has lost its heading is still a step when it names a
new pose. Others tell the routine as prose ("I began with downward dog, child's pose, and frog
pose"): then every pose named is a step, unless it is a transition or background.

Sentences that speak of every pose ("hold each stretch for at least 30 seconds on each side")
set the default hold and sides. "Repeat steps 1-6 toward your right", "return to Knee-to-Chest
and repeat with your other leg" and "And then repeat for the other side" make per-side blocks.
A page that names fewer than two poses and no hold is not a routine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from unknot.articles.article import Article, Block, FoundStep, StatedHold, Unplaced
from unknot.articles.holds import holds_in
from unknot.articles.matching import (
    Mention,
    Words,
    heading_pose,
    mentions,
    one_sided,
    plain,
    pose_named,
    variant_of,
    words,
)
from unknot.catalog.poses import Pose
from unknot.names import key

MAX_NAME_WORDS = 7
MAX_NAME_CHARS = 70
NOTE_CHARS = 160

_NUMBERED = re.compile(
    r"^\s*(?:(?:step|pose|move|stretch|exercise|no\.?)\s*)?(\d{1,2})\s*(?:[.):]|\s[-\u2013])\s*(?=\S)(.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*[-\u2022\u00b7*\u2013\u25aa\u25cf]\s+(.*)$")
_LONE_BULLET = re.compile(r"^\s*[\u2022\u00b7*\u25aa\u25cf]\s*$")
_NAME_BODY = re.compile(
    r"^(?P<head>[^:.!?]{2,80}?)\s*(?::|\s[-\u2013\u2014]\s|(?<=\w)-\s)\s*(?P<body>.*)$"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'\u201c(]?[A-Z0-9])")
_PAREN = re.compile(r"\s*\(([^()]{2,60})\)")
_SANSKRIT = re.compile(
    r"\b((?:[A-Za-z\u0100-\u017f]+\s+){0,3}[A-Za-z\u0100-\u017f]+[aā]san[aā]s?)(?:\s+([A-D])\b)?",
    re.IGNORECASE,
)
_X_POSE = re.compile(
    r"\b((?:[A-Za-z][\w'\u2019-]*\s+){0,2}[A-Za-z][\w'\u2019-]*)\s+pose\b", re.IGNORECASE
)
_VARIANT = re.compile(
    r"\b(lying|reclined|supine|seated|standing)\s+(?:variant|version|variation)\s+of\s+(?:the\s+|a\s+)?"
    r"([A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*)?)\s+pose\b",
    re.IGNORECASE,
)
_REPEAT_RANGE = re.compile(
    r"\brepeat\s+(?:steps?\s+|numbers?\s+)?(\d{1,2})\s*(?:-|\u2013|to|&|and)\s*(\d{1,2})\b",
    re.IGNORECASE,
)
_EVERY = re.compile(
    r"\b(?:each|every|all)\s+(?:of\s+(?:the|these)\s+)?(?:pose|poses|stretch|stretches|posture|postures"
    r"|exercise|exercises|move|moves|position|positions)\b",
    re.IGNORECASE,
)
_RETURN = re.compile(r"\b(?:return|go\s+back|come\s+back|back)\s+(?:in)?to\b", re.IGNORECASE)
_TIMES = re.compile(r"\b(\d{1,2}|\w+(?:\s+\w+)?)\s+times\b", re.IGNORECASE)
_COMPOSITE_PART = re.compile(
    r"^\s*(?P<hold>\d{1,3}(?:\s*-\s*\d{1,3})?\s*(?:minutes?|mins?|seconds?|breaths?))\s+(?P<name>.+?)\s*$",
    re.IGNORECASE,
)


@dataclass
class _Step:
    name: str
    said: str
    line: int
    confidence: float
    pose: Pose | None
    header: str = ""  # the line's words that made it a step (repeated listings are dropped)
    number: int | None = None  # its item number in a numbered list
    body: list[tuple[int, str]] = field(default_factory=list)  # its own lines
    bare: bool = True  # the step's line held only its name
    hold: StatedHold | None = None
    window: StatedHold | None = None
    per_side: bool = False
    block: int | None = None
    flow: int | None = None
    flows_back: bool = False  # moved back and forth with the step before it
    rounds: int = 0
    source: str = "heading"  # or "prose", "lost-heading", "from"


@dataclass
class _Reading:
    steps: list[_Step] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    globals: list[tuple[int, str]] = field(default_factory=list)  # lines outside any step
    blocks: list[Block] = field(default_factory=list)
    default_hold: StatedHold | None = None


class _Line:
    __slots__ = ("blank_before", "kind", "number", "text")

    def __init__(self, number: int, text: str, kind: str, blank_before: bool) -> None:
        self.number = number
        self.text = text
        self.kind = kind  # "plain", "bullet", "hold", "composite"
        self.blank_before = blank_before


def read_article(text: str, *, source: str = "", title: str = "") -> Article:
    """The routine an article's plain text describes (an Article with no steps when none)."""
    lines = _lines(_clean(text))
    title = title.strip() or _title_of(lines)
    reading = _Reading()
    heads = [_head(line, title) for line in lines]
    named = [
        h for i, h in enumerate(heads) if h is not None and not _caption(lines, heads, i, h, None)
    ]
    if len(named) >= 2:
        _read_structured(lines, heads, reading)
    else:
        _read_prose([line for line in lines if key(line.text) != key(title)], reading)
    _drop_relisting(reading)
    _globals(reading)
    _blocks(reading)
    if not title and reading.steps:  # a name to tell it by in the history
        names = [s.name for s in reading.steps]
        title = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
    if not _is_routine(reading):
        notes = ("no routine found: fewer than two poses are named and no hold is given",)
        return Article(source, title, (), tuple(reading.unplaced), notes)
    return Article(
        source,
        title,
        tuple(_found(s, reading) for s in reading.steps),
        tuple(reading.unplaced),
        tuple(reading.notes),
        reading.default_hold,
        tuple(reading.blocks),
    )


# -- the text as lines ---------------------------------------------------------------------


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")


def _lines(text: str) -> list[_Line]:
    raw = text.split("\n")
    out: list[_Line] = []
    blank = True
    i = 0
    while i < len(raw):
        line = re.sub(r"^#{1,6}\s+", "", raw[i].strip())  # a Markdown heading
        line = re.sub(r"\*\*|__", "", line).strip()  # Markdown bold
        line = _strip_symbols(line)  # "✅ Child's Pose": a marker, not part of the name
        if not line:
            blank, i = True, i + 1
            continue
        if _LONE_BULLET.match(line):  # "·" on its own line: the item is the lines after it
            parts, j = [], i + 1
            while j < len(raw) and raw[j].strip() and not _LONE_BULLET.match(raw[j].strip()):
                parts.append(raw[j].strip())
                if raw[j].rstrip().endswith((".", "!", "?", ":")):
                    j += 1
                    break
                j += 1
            if parts:
                out.append(_Line(i + 2, " ".join(parts), "bullet", blank))
            blank, i = False, j
            continue
        out.extend(_split_flattened(i + 1, line, blank))
        blank, i = False, i + 1
    return out


def _strip_symbols(text: str) -> str:
    i = 0
    while i < len(text) and (
        unicodedata.category(text[i]) in ("So", "Sk", "Cs") or text[i] in "\ufe0f\u200d "
    ):
        i += 1
    return text[i:]


def _split_flattened(number: int, line: str, blank: bool) -> list[_Line]:
    """A list whose markup was flattened: "5-10 minutes - Supported Childs Pose with Twist" is the
    last item's hold, then the next item; "5 minutes A, 5 minutes B each side - C" is the last
    item's shapes, then the next."""
    parts = re.split(r"\s+[-\u2013]\s+", line)
    bullet = _BULLET.match(line)
    if len(parts) < 2 and not bullet:
        return [_Line(number, line, "plain", blank)]
    if bullet and len(parts) < 2:
        return [_Line(number, bullet.group(1), "bullet", blank)]
    first = parts[0]
    if not (bullet or _only_hold(first) or _composite(first)):
        return [_Line(number, line, "plain", blank)]
    out = []
    for k, part in enumerate(parts):
        part = part.strip()
        if k == 0 and bullet:
            part = bullet.group(1).strip()
        if not part:
            continue
        kind = "hold" if _only_hold(part) else "composite" if _composite(part) else "bullet"
        out.append(_Line(number, part, kind, blank and k == 0))
    return out


def _only_hold(text: str) -> bool:
    found = holds_in(text)
    return len(found) == 1 and len(text.split()) <= 4 and found[0].start <= 1


def _composite(text: str) -> list[tuple[str, str]]:
    """ "5 minutes Childs Pose, 5 minutes Twist each side" -> [(hold, name), ...]."""
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+(?=\d)", text)
    found = []
    for part in parts:
        m = _COMPOSITE_PART.match(part)
        if not m:
            return []
        found.append((m["hold"], m["name"]))
    return found if len(found) >= 2 else []


def _title_of(lines: list[_Line]) -> str:
    first = lines[0].text if lines else ""
    if not 0 < len(first.split()) <= 20 or first.endswith("."):
        return ""
    # a first line that could be a step ("Quad stretch") is not taken for the title
    parts = key(first).split()
    about = len(parts) > MAX_NAME_WORDS or any(p in words().sections for p in parts)
    return first if about else ""


# -- step lines ----------------------------------------------------------------------------


class _Head:
    """A line that starts a step: its name, and the words after the name on the same line."""

    __slots__ = ("body", "confidence", "from_sentence", "name", "number", "pose", "said")

    def __init__(
        self,
        name: str,
        said: str,
        pose: Pose | None,
        confidence: float,
        body: str,
        number: int | None,
        *,
        from_sentence: bool = False,
    ) -> None:
        self.name, self.said, self.pose = name, said, pose
        self.confidence, self.body, self.number = confidence, body, number
        self.from_sentence = from_sentence  # named inside an instruction, not as a name


def _head(line: _Line, title: str) -> _Head | None:
    """The step this line starts, or None."""
    if line.kind in ("hold", "composite"):
        return None
    text = line.text
    if title and key(text) == key(title):
        return None
    numbered = _NUMBERED.match(text)
    if numbered:
        return _numbered_head(int(numbered[1]), numbered[2])
    m = _NAME_BODY.match(text)
    if m and key(m["head"]) in words().labels:
        return None
    if m and m["body"].strip() and _name_like(m["head"], sentence_ok=False):
        named = _named(m["head"])
        body = m["body"].strip()
        if named is not None and (named[1] is not None or _exercise_body(body, m["head"])):
            return _Head(named[0], named[2], named[1], named[3], body, None)
        return None
    if m and not m["body"].strip():
        text = m["head"]
    if _name_like(text, sentence_ok=False) and (line.kind != "bullet" or len(text.split()) <= 5):
        named = _named(text)
        if named is not None:
            return _Head(named[0], named[2], named[1], named[3], "", None)
    return None


def _numbered_head(number: int, text: str) -> _Head | None:
    parts = re.split(r"(?::\s*|(?<=[a-z\u2019')])\.\s+|\.$|\s[-\u2013]\s)", text, maxsplit=1)
    head = _strip_leading(parts[0].strip())
    body = parts[1].strip() if len(parts) > 1 else ""
    if len(head.split()) > MAX_NAME_WORDS:
        cut = re.split(r"\s+for\s+", head, maxsplit=1)[0]
        if 1 <= len(cut.split()) <= 4:
            head, body = cut, text
    if _name_like(head, sentence_ok=True):
        named = _named(head)
        inner = mentions(head)
        whole = named is not None and (named[1] is not None or not inner)
        if named is not None and whole:
            return _Head(named[0], named[2], named[1], named[3], body, number)
    # a sentence: the pose it goes into ("Fold forward into Uttanasana (Standing Forward Bend)")
    for sentence in _sentences(text):
        found = [f for f in _sentence_poses(sentence, structured=True) if _entered(sentence, f[1])]
        if found:
            name, said, pose, confidence = found[0]
            return _Head(name, said, pose, confidence, text, number, from_sentence=True)
    return None


def _entered(sentence: str, said: str) -> bool:
    """Whether a sentence takes the body into the pose ("come into", "stand up to", "Start in")."""
    at = sentence.find(said)
    before = key(sentence[:at]).split()[-4:] if at >= 0 else []
    while before and before[-1] in {"a", "an", "one", "legged"}:
        before.pop()
    return at == 0 or (bool(before) and before[-1] in {"into", "to", "in", "onto", "with"})


def _strip_leading(text: str) -> str:
    w = words()
    changed = True
    while changed:
        changed = False
        k = key(text)
        for lead in w.leading:
            if k.startswith(lead + " ") and len(k) > len(lead) + 1:
                n = len(lead.split())
                text = re.split(r"\s+", text.strip(), maxsplit=n)[-1]
                changed = True
                break
    return text.strip()


def _name_like(text: str, *, sentence_ok: bool) -> bool:
    text = _PAREN.sub("", text).strip().rstrip(":")
    parts = key(text).split()
    written = [plain(w) for w in re.findall(r"[^\W_]+(?:['\u2019][^\W_]+)*", text)]
    if not parts or len(text) > MAX_NAME_CHARS or len(parts) > MAX_NAME_WORDS:
        return False
    if not text[0].isalpha() or text.count(",") > 1 or any(c in text for c in "=<>{}[]|\\@#$%^*~`"):
        return False  # a list or code, not a name
    if text.split()[0].isupper() and len(text.split()[0]) <= 3 and text.split()[0] != "I":
        written[0] = parts[0] = "acronym"  # "IT Band", "TFL Release"
    if not sentence_ok and text[-1] in ".!?,;":
        return False
    if sum(p.isdigit() for p in parts) > 1 or any(len(p) == 4 and p.isdigit() for p in parts):
        return False
    w = words()
    if key(text) in w.labels or any(p in w.sections for p in parts):
        return False
    if written[0] in words().strong_verbs or (len(written) >= 4 and written[0] in words().openers):
        return False
    return not (not sentence_ok and written[0] in words().openers and pose_named(text) is None)


def _named(text: str) -> tuple[str, Pose | None, str, float] | None:
    """(name, catalog pose or None, said, confidence) for a step's name as written."""
    text = text.strip().rstrip(":").strip()
    inner = [m.group(1) for m in _PAREN.finditer(text)]
    main = _PAREN.sub("", text).strip()
    if not main:
        return None
    for spelling in (main, *inner):
        pose, confidence = heading_pose(spelling)
        if pose is not None:
            return pose.name, pose, main, confidence
    # Sanskrit first, English in brackets: keep the English as the custom step's name
    english = next((s for s in inner if not _SANSKRIT.search(s)), "")
    name = english.strip() if english and _SANSKRIT.fullmatch(main) else main
    return _custom_name(name), None, main, 0.6


def _custom_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" :-")
    return text[:1].upper() + text[1:] if text.islower() or text.isupper() else text


def _exercise_body(body: str, head: str) -> bool:
    """Whether the words after a custom name say how to do something."""
    if holds_in(body):
        return True
    first = key(body).split()[:1]
    return bool(first and first[0] in words().imperative) and _is_exercise_name(head)


def _is_exercise_name(name: str) -> bool:
    return any(plain(p) in words().exercise_words for p in re.findall(r"[^\W_]+", name))


# -- structured articles -------------------------------------------------------------------


def _read_structured(lines: list[_Line], heads: list[_Head | None], r: _Reading) -> None:
    current: _Step | None = None
    for index, (line, head) in enumerate(zip(lines, heads, strict=True)):
        if _stops_reading(line.text):
            break
        if head is not None and _caption(lines, heads, index, head, current):
            continue
        if head is not None and head.pose is None and not _custom_ok(lines, heads, index, head):
            head = None
        if (
            head is not None
            and head.number is not None
            and current is not None
            and current.number is None
            and (head.pose is None or head.from_sentence)
        ):
            head = None  # numbered lines under a heading build that pose: its cues
        if head is not None:
            current = _Step(
                head.name,
                head.said,
                line.number,
                head.confidence,
                head.pose,
                header=line.text,
                number=head.number,
                bare=not head.body,
            )
            r.steps.append(current)
            if head.body:
                current.body.append((line.number, head.body))
            for inner in _PAREN.findall(line.text):  # "Child's Pose (1 minute)"
                if holds_in(inner):
                    current.body.append((line.number, inner))
            continue
        if line.kind == "hold":
            if current is not None and current.hold is None:
                current.hold = holds_in(line.text)[0].hold
            continue
        if line.kind == "composite" and current is not None:
            current = _split_composite(current, line, r)
            continue
        if _ends_section(line):
            current = None
            continue
        if current is None:
            r.globals.append((line.number, line.text))
            continue
        if line.blank_before and current.body and not _NUMBERED.match(line.text):
            lost = _lost_heading(line, current, r)
            if lost is not None:
                current = lost
                continue
        if _NUMBERED.match(line.text) and current.number is not None:
            # a numbered item with no name, among named ones: a step it could not name, unless
            # it only gives the step before it the hold that step lacked ("hold Tree for 10")
            held = any(holds_in(t) for _, t in current.body)
            if held or not holds_in(line.text):
                r.unplaced.append(Unplaced(line.number, line.text))
        current.body.append((line.number, line.text))
    for step in r.steps:
        _read_step(step, r)


def _caption(
    lines: list[_Line], heads: list[_Head | None], index: int, head: _Head, current: _Step | None
) -> bool:
    """An image caption repeats the name of the step just before or just after it."""
    if head.body or _NUMBERED.match(lines[index].text):
        return False
    k = key(head.said)
    if (
        current is not None
        and len(k) >= 4
        and key(current.said).startswith(k)
        and current.line >= lines[index].number - 3
    ):
        return True  # the caption may be cut short: "Threading the needl"
    for j in (index + 1, index + 2):
        if j < len(heads) and heads[j] is not None and key(heads[j].said) == k:  # type: ignore[union-attr]
            return True
    before = lines[index - 1].text if index else ""
    short = len(before.split()) <= 12
    return bool(k) and short and f" {k} " in f" {key(before)} "


def _custom_ok(lines: list[_Line], heads: list[_Head | None], index: int, head: _Head) -> bool:
    """A name the catalog does not know is a step when what follows it says what to do."""
    if _NUMBERED.match(lines[index].text) or head.body:
        return True
    after = []
    for j in range(index + 1, min(index + 7, len(lines))):
        if heads[j] is not None and not _NUMBERED.match(lines[j].text):
            break
        after.append(_NUMBERED.sub(r"\2", lines[j].text))
    if not after:
        return False
    body = " ".join(after)
    return (
        bool(holds_in(body))
        or _is_exercise_name(head.said)
        or any(_starts_imperative(a) for a in after)
    )


def _starts_imperative(text: str) -> bool:
    first = key(text).split()[:1]
    return bool(first) and first[0] in words().imperative


def _ends_section(line: _Line) -> bool:
    """A section heading ("PRANAYAMA FOR LETTING GO:") ends the step before it."""
    text = line.text.rstrip(":").strip()
    parts = key(text).split()
    return (
        0 < len(parts) <= MAX_NAME_WORDS
        and not text.endswith((".", "!", "?"))
        and any(p in words().sections for p in parts)
        and (text.isupper() or line.text.endswith(":"))
    )


def _lost_heading(line: _Line, current: _Step, r: _Reading) -> _Step | None:
    """A paragraph after a step's own, naming a pose not yet done, is a step whose heading the
    copy lost ("Dropping into Pigeon opens up your hips ...")."""
    seen = {s.pose.name for s in r.steps if s.pose}
    for sentence in _sentences(line.text):
        for name, said, pose, confidence in _sentence_poses(sentence, structured=True):
            if pose is None or pose.name in seen:
                continue
            step = _Step(name, said, line.number, confidence * 0.9, pose, header=line.text)
            step.source = "lost-heading"
            step.body.append((line.number, line.text))
            r.steps.append(step)
            return step
    return None


def _split_composite(current: _Step, line: _Line, r: _Reading) -> _Step:
    """ "5 minutes Childs Pose, 5 minutes Twist each side" after "Supported Childs Pose with
    Twist": the item was two held shapes, each its own step."""
    parts = _composite(line.text)
    whole = f" {key(current.header)} "
    if not all(f" {key(name).split()[0]} " in whole for _, name in parts if key(name)):
        return current  # not this item's shapes
    index = r.steps.index(current)
    made = []
    for hold_text, name in parts:
        each = bool(re.search(r"\beach side\b", name, re.IGNORECASE))
        name = re.sub(r"\s+each side\b.*$", "", name, flags=re.IGNORECASE).strip()
        named = _named(name)
        if named is None:
            continue
        step = _Step(
            named[0], named[2], line.number, named[3], named[1], header=f"{current.header} {name}"
        )
        step.hold = holds_in(hold_text)[0].hold if holds_in(hold_text) else None
        step.per_side = each
        made.append(step)
    if not made:
        return current
    r.steps[index : index + 1] = made
    return made[-1]


# -- prose articles ------------------------------------------------------------------------


def _read_prose(lines: list[_Line], r: _Reading) -> None:
    """Every pose a paragraph takes the body into is a step; the words after its name, up to the
    next pose, are its own (its hold and sides), and the words before a paragraph's first pose
    are that pose's too ("Stay here for ten breaths ... This lying variant of the pigeon pose")."""
    current: _Step | None = None
    for line in lines:
        if _stops_reading(line.text):
            break
        before: list[str] = []  # the line's words before its first new step
        first: _Step | None = None
        came_from = False  # a pose named only as where this line's step comes from
        item = _NUMBERED.match(line.text)
        for sentence in _sentences(line.text):
            cursor = 0
            for name, said, pose, confidence in _sentence_poses(sentence, structured=False):
                at = sentence.find(said, cursor)
                at = cursor if at < 0 else at
                if current is not None and _same(current, pose, name) and not _reenters(sentence):
                    continue
                _give(sentence[cursor:at], current if first else None, before, first is None, line)
                current = _Step(name, said, line.number, confidence, pose, header=sentence)
                current.source = "prose"
                current.number = int(item[1]) if item else None
                r.steps.append(current)
                if first is None:
                    first = current
                cursor = at
            _give(sentence[cursor:], current if first else None, before, first is None, line)
            for inserted in _from_steps(sentence, r):
                index = r.steps.index(current) if current in r.steps else len(r.steps)
                r.steps.insert(index, inserted)
                came_from = True
        text = " ".join(before)
        if first is not None and text.strip():
            first.body.insert(0, (line.number, text))
        elif came_from and holds_in(text):  # the step after the pose it comes from, unnamed
            r.unplaced.append(Unplaced(line.number, line.text))
        elif first is None and text.strip():
            if current is not None:
                current.body.append((line.number, text))
            else:
                r.globals.append((line.number, text))
                if holds_in(text):
                    r.unplaced.append(Unplaced(line.number, line.text))
    for step in r.steps:
        _read_step(step, r)


def _give(text: str, step: _Step | None, before: list[str], first: bool, line: _Line) -> None:
    """Words of a line go to the step named before them, or wait for the line's first step."""
    if not text.strip():
        return
    if first or step is None:
        before.append(text)
    else:
        step.body.append((line.number, text))


def _stops_reading(text: str) -> bool:
    """Comments, "related" links and the like come after the article: nothing there is a step."""
    k = key(text.rstrip(":"))
    return (
        bool(k)
        and len(k.split()) <= 5
        and any(
            k == m or k.startswith(f"{m} ") or k.endswith(f" {m}") for m in words().after_article
        )
    )


def _same(step: _Step, pose: Pose | None, name: str) -> bool:
    if pose is not None and step.pose is not None:
        return pose.name == step.pose.name
    return key(step.name) == key(name)


def _reenters(sentence: str) -> bool:
    return bool(re.search(r"\b(?:back\s+(?:in)?to|return\s+to|again)\b", sentence, re.IGNORECASE))


def _from_steps(sentence: str, r: _Reading) -> list[_Step]:
    """ "Lower from downward dog and come into a high plank": a pose named only where the next
    step comes from was a step of its own."""
    out = []
    seen = {s.pose.name for s in r.steps if s.pose}
    for m in mentions(sentence):
        if m.pose.name in seen or not _after_from(sentence, m):
            continue
        step = _Step(m.pose.name, m.said, 0, 0.6, m.pose, header=sentence, source="from")
        out.append(step)
        seen.add(m.pose.name)
    return out


# -- poses named in a sentence -------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def _sentence_poses(
    sentence: str, *, structured: bool
) -> list[tuple[str, str, Pose | None, float]]:
    """The poses a sentence takes the body into, in order: (name, said, pose, confidence)."""
    found: list[tuple[int, int, str, str, Pose | None, float]] = []
    w = words()
    for v in _VARIANT.finditer(sentence):
        pose = variant_of(v[1], v[2])
        if pose is not None:
            found.append((v.start(), v.end(), pose.name, v.group(0), pose, 0.8))
    for m in mentions(sentence):
        if _inside(found, m.start) or _after_from(sentence, m) or _background(sentence, m, w):
            continue
        pose = m.pose
        if re.match(r"\s*but\s+(?:just\s+)?(?:with|on)\s+one\s+(?:leg|side)", sentence[m.end :]):
            pose = one_sided(pose) or pose
        found.append((m.start, m.end, pose.name, m.said, pose, 0.85))
    for s in _SANSKRIT.finditer(sentence):
        if _inside(found, s.start(1)) or _inside(found, s.end(1) - 1):
            continue
        said = _sanskrit_said(s)
        if said is None:
            continue
        start = s.start(1) + s.group(1).rfind(said.split()[0])
        english = _english_before(sentence, start)
        found.append((start, s.end(), _custom_name(english or said), english or said, None, 0.6))
    if not structured:
        for x in _X_POSE.finditer(sentence):
            if _inside(found, x.start()) or _inside(found, x.end() - 1):
                continue
            name = _pose_phrase(x.group(1), w)
            if name is None:
                continue
            said = sentence[x.end(1) - len(name) : x.end()]
            found.append((x.end(1) - len(name), x.end(), _custom_name(name), said, None, 0.5))
    found.sort()
    # "garland pose or malasana": two names of one step
    out: list[tuple[str, str, Pose | None, float]] = []
    last_end = -10
    for start, end, name, said, pose, confidence in found:
        between = sentence[last_end:start] if last_end >= 0 else ""
        if out and re.fullmatch(r"\s*(?:,\s*)?or\s*", between):
            last_end = end
            continue
        out.append((name, said, pose, confidence))
        last_end = end
    return [o for o in out if not _setup(o[1], sentence)]


def _inside(found: list[tuple[int, int, str, str, Pose | None, float]], at: int) -> bool:
    return any(a <= at < b for a, b, *_ in found)


def _sanskrit_said(m: re.Match[str]) -> str | None:
    """The Sanskrit name itself: its last word ends in -asana; the words before it join it only
    when they are Sanskrit-looking (capitalised, or ending in a, i or u)."""
    parts = m.group(1).split()
    keep = [parts[-1]]
    for word in reversed(parts[:-1]):
        if plain(word) in words().openers or plain(word) in {"the", "into", "up", "or"}:
            break
        if not (word[0].isupper() or plain(word).endswith(("a", "i", "u"))):
            break
        keep.insert(0, word)
    said = " ".join(keep)
    if m.group(2) and said[0].isupper():
        said += f" {m.group(2)}"
    return said if len(plain(keep[-1])) > 5 else None


def _english_before(sentence: str, at: int) -> str:
    """ "half moon or ardha chandrasana": the English name given before the Sanskrit."""
    m = re.search(r"((?:[A-Za-z][\w'-]*\s+){1,3})or\s+$", sentence[:at])
    if not m:
        return ""
    kept: list[str] = []
    for word in reversed(m.group(1).split()):
        if plain(word) in words().openers or plain(word) in {"the", "into", "is"}:
            break
        kept.insert(0, word)
    return " ".join(kept)


def _pose_phrase(phrase: str, w: Words) -> str | None:
    """The name in "the hug pose", "crow pose": the words before "pose" that are not filler."""
    kept: list[str] = []
    for word in reversed(phrase.split()):
        p = plain(word)
        if p in w.not_names or p in _LINKS:
            break
        kept.insert(0, word)
    if kept and kept[-1][:1].isupper():  # "I love doing Crow Pose": the name is the capitals
        while kept and not kept[0][:1].isupper():
            kept.pop(0)
    if not kept or len(kept) > 3:
        return None
    return " ".join(kept)


_LINKS = frozenset(
    [
        "the",
        "a",
        "an",
        "into",
        "to",
        "in",
        "of",
        "for",
        "try",
        "do",
        "is",
        "was",
        "with",
        "as",
        "and",
        "or",
        "but",
        "on",
        "at",
        "by",
        "from",
    ]
)


def _setup(said: str, sentence: str) -> bool:
    """ "come into Table Top position": a position set up, not a step."""
    k = key(said)
    if k in words().setups:
        return True
    return bool(re.search(re.escape(said) + r"\s+position\b", sentence, re.IGNORECASE))


def _window(sentence: str, m: Mention, count: int) -> str:
    return " ".join(key(sentence[: m.start]).split()[-count:])


def _after_from(sentence: str, m: Mention) -> bool:
    before = _window(sentence, m, 3)
    return any(
        before.endswith(f) or (f" {f} " in f" {before} " and before.split()[-1:] != ["into"])
        for f in words().from_words
    ) and not before.endswith("into")


def _background(sentence: str, m: Mention, w: Words) -> bool:
    before = _window(sentence, m, 4)
    if any(before.endswith(b) for b in w.background):
        return True
    after = key(sentence[m.end :])
    return after.startswith(("in a yoga class", "in yoga class", "could", "can help", "may help"))


# -- a step's own lines --------------------------------------------------------------------


def _read_step(step: _Step, r: _Reading) -> None:
    w = words()
    for _, text in step.body:
        for sentence in _sentences(text):
            if _is_global(sentence):
                r.globals.append((step.line, sentence))
                continue
            found = [h for h in holds_in(sentence) if not _excluded_hold(sentence)]
            words_only = [h for h in found if not h.window]
            if words_only and step.hold is None:
                step.hold = words_only[0].hold
            windows = [h for h in found if h.window]
            if windows and step.window is None:
                step.window = windows[0].hold
            k = f" {key(sentence)} "
            if any(f" {p} " in k for p in w.per_side) and "direction" not in k:
                step.per_side = True
            if any(f" {f} " in k for f in w.flows) and _between_poses(sentence):
                step.flows_back = True
                times = _TIMES.search(sentence)
                step.rounds = _rounds(times.group(1)) if times else 3
    if step.hold is None and step.window is not None:
        step.hold = step.window


def _between_poses(sentence: str) -> bool:
    """ "back and forth between the two": between poses, not "between feet"."""
    k = f" {' '.join(plain(w) for w in sentence.split())} "
    return any(f" {w} " in k for w in ("the two", "these two", "both", "them")) or bool(
        mentions(sentence)
    )


def _how_to(step: _Step) -> str:
    """A custom step's cue: the article's words on how to do it, without the hold and sides,
    which unknot times and says itself ("repeat on the other leg" is no cue for the right leg)."""
    w = words()
    kept = []
    for _, text in step.body[:2]:
        for sentence in _sentences(_NUMBERED.sub(r"\2", text)):
            k = f" {key(sentence)} "
            if holds_in(sentence) or any(f" {p} " in k for p in w.per_side) or " repeat " in k:
                continue
            kept.append(sentence.strip())
    return _note(" ".join(kept)) if kept else ""


def _excluded_hold(sentence: str) -> bool:
    k = key(sentence)
    return k.startswith("between") or "between the poses" in k or "between poses" in k


def _rounds(text: str) -> int:
    if text.isdigit():
        return max(1, min(int(text), 20))
    return words().numbers.get(key(text), 3)


def _is_global(sentence: str) -> bool:
    return bool(_EVERY.search(sentence))


def _note(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= NOTE_CHARS:
        return text
    cut = text[:NOTE_CHARS].rsplit(" ", 1)[0]
    return cut + "..."


# -- the whole article ---------------------------------------------------------------------


def _globals(r: _Reading) -> None:
    w = words()
    for _, text in r.globals:
        for sentence in _sentences(text):
            if not _is_global(sentence):
                continue
            found = [h for h in holds_in(sentence) if not h.window]
            if found and r.default_hold is None:
                r.default_hold = found[0].hold
            k = f" {key(sentence)} "
            if any(f" {p} " in k for p in w.per_side):
                only_sided = "applicable" in k or "one sided" in k
                for step in r.steps:
                    if not only_sided or (step.pose is not None and step.pose.per_side):
                        step.per_side = True


def _drop_relisting(r: _Reading) -> None:
    """A detail section that lists the same steps again ("Supported Bridge ... Set Up: ...") adds
    their holds, not new steps."""
    headers = [key(s.header) for s in r.steps]
    keep: list[_Step] = []
    first_of: dict[str, _Step] = {}
    for i, step in enumerate(r.steps):
        h = headers[i]
        earlier = first_of.get(h)
        nxt = headers[i + 1] if i + 1 < len(headers) else None
        if (
            earlier is not None
            and step.source == "heading"
            and (nxt in first_of or i == len(headers) - 1 or keep[-1:] == [earlier])
        ):
            if earlier.hold is None:
                earlier.hold = step.hold
            continue
        first_of.setdefault(h, step)
        keep.append(step)
    r.steps = keep


def _blocks(r: _Reading) -> None:
    """Per-side blocks from "repeat ... other side" sentences, and flows from "back and forth"."""
    number = 0
    for i, step in enumerate(r.steps):
        if step.flows_back and i > 0:
            number += 1
            r.steps[i - 1].flow = step.flow = number
            r.steps[i - 1].rounds = step.rounds
    block_number = 0
    for step in list(r.steps):
        sentences = [x for _, text in step.body for x in _sentences(text)]
        for i, sentence in enumerate(sentences):
            before = sentences[i - 1] if i else ""
            if _block_from(sentence, before, step, r, block_number + 1):
                block_number += 1
    if not any(s.block for s in r.steps):
        _whole_list_block(r)
    for s in r.steps:
        if s.block is not None:
            s.per_side = s.per_side or s.pose is None or (s.pose.per_side if s.pose else False)


def _block_from(sentence: str, before: str, step: _Step, r: _Reading, number: int) -> bool:
    """A per-side block: "repeat steps 1-6 toward your right", "return to Knee-to-Chest and
    repeat with your other leg", "return to Downward Dog. From there, go on to Three-Legged Dog
    and repeat the sequence ..." (the sentence before may say where to return)."""
    k = f" {key(sentence)} "
    if " repeat" not in k or not any(f" {p} " in k for p in words().per_side):
        return False
    ranged = _REPEAT_RANGE.search(sentence)
    if ranged:
        low, high = sorted((int(ranged[1]), int(ranged[2])))
        inside = [s for s in r.steps if s.number is not None and low <= s.number <= high]
        if inside:
            for s in inside:
                s.block = number
            r.blocks.append(Block(number))
            return True
        return False
    said = sentence
    back = _RETURN.search(sentence)
    if back is None and before:
        said = f"{before} {sentence}"
        back = _RETURN.search(said)
    if back is None:
        return False
    here = r.steps.index(step)
    targets = [m for m in mentions(said) if m.start >= back.end()]
    target = targets[0].pose if targets else None
    if target is None:
        return False
    onward = [m.pose for m in targets[1:]]
    earlier = [i for i, s in enumerate(r.steps[:here]) if s.pose and s.pose.name == target.name]
    if not earlier:
        return False
    start = earlier[-1]
    back_to: Pose | None = None
    first = start  # "return to Knee-to-Chest and repeat": the block starts there
    if onward:  # "return to Downward Dog. From there, go on to Three-Legged Dog and repeat"
        first, back_to = start + 1, target
    if onward:
        go = onward[0]
        done = [x.pose.name for x in r.steps[first : here + 1] if x.pose]
        if go.name not in done:
            added = _Step(go.name, go.name, step.line, 0.7, go, header=sentence, source="from")
            r.steps.insert(first, added)
            here += 1
    for s in r.steps[first : here + 1]:
        s.block = number
    r.blocks.append(Block(number, back_to))
    return True


def _whole_list_block(r: _Reading) -> None:
    """ "And then repeat for the other side." after a list of bare names: the whole list."""
    numbered = [s for s in r.steps if s.number is not None]
    if len(numbered) < 2 or not all(s.bare and not s.body for s in numbered[:-1]):
        return  # a list whose items say what to do: a repeat there is the last item's own
    last = numbered[-1]
    if not last.bare or len(last.body) != 1:
        return
    for _, text in last.body:
        k = f" {key(text)} "
        if " repeat" in k and any(f" {p} " in k for p in words().per_side):
            for s in numbered:
                s.block = 1
            r.blocks.append(Block(1))
            return


def _is_routine(r: _Reading) -> bool:
    distinct = {s.pose.name if s.pose else key(s.name) for s in r.steps}
    return len(distinct) >= 2 or (len(distinct) == 1 and any(s.hold for s in r.steps))


def _found(step: _Step, r: _Reading) -> FoundStep:
    if step.pose is None:  # a name found by its shape may still be one the catalog knows
        step.pose = pose_named(step.name)
        step.name = step.pose.name if step.pose else step.name
    per_side = step.per_side or (step.pose.per_side if step.pose else False)
    note = _how_to(step) if step.pose is None else ""
    return FoundStep(
        name=step.name,
        said=step.said,
        line=step.line,
        confidence=step.confidence,
        pose=step.pose,
        per_side=per_side,
        stated_side=step.per_side,
        hold=step.hold,
        block=step.block,
        flow=step.flow,
        rounds=step.rounds,
        note=note,
    )
