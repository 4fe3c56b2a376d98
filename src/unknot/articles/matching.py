"""Finding catalog poses in an article's words.

Words are compared as `names.key` compares names (no case, accents, apostrophes, hyphens or
"pose"). A phrase is matched to the longest alias it holds; a word in front that makes it
another pose ("Upward Dog", "Reclining Hero") stops the match, unless the words with it are an
alias themselves. Fuzzy matching is used only for a whole heading, with a high cut-off.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import pairwise
from typing import NamedTuple

from unknot.catalog.poses import Pose, catalog
from unknot.files import DATA
from unknot.names import key
from unknot.yamlfile import load

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_FILLER = frozenset({"pose", "the", "posture"})
_FILLER_WORDS = re.compile(r"\b(?:the|pose|posture)\b", re.IGNORECASE)
MAX_ALIAS_WORDS = 7
FUZZY_CUTOFF = 92


class Words(NamedTuple):
    """The article's language around pose names (data/articles.yaml)."""

    guarded: frozenset[str]
    kept: frozenset[str]
    variants: dict[str, tuple[str, ...]]
    labels: frozenset[str]
    sections: frozenset[str]
    from_words: tuple[str, ...]
    background: tuple[str, ...]
    leading: tuple[str, ...]
    setups: frozenset[str]
    per_side: tuple[str, ...]
    repeats: tuple[str, ...]
    flows: tuple[str, ...]
    numbers: dict[str, int]
    sanskrit: tuple[str, ...]
    not_names: frozenset[str]
    openers: frozenset[str]
    strong_verbs: frozenset[str]
    exercise_words: frozenset[str]
    imperative: frozenset[str]
    after_article: tuple[str, ...]


_FIELDS = (
        "guarded_qualifiers", "kept_qualifiers", "variant_words", "labels", "section_words",
        "from_words", "background_words", "leading_words", "setup_positions", "per_side_phrases",
        "repeat_words", "flow_phrases", "numbers", "sanskrit_endings", "not_pose_names",
        "sentence_openers", "strong_verbs", "exercise_words", "imperative_words", "after_article",
    )  # fmt: skip


@cache
def words() -> Words:
    root = load(DATA / "articles.yaml", what="article words").mapping(_FIELDS)

    def strings(name: str) -> tuple[str, ...]:
        # a lone filler word ("the", "pose") is kept as it is: key() would leave nothing
        return tuple(key(s) or plain(s) for s in root[name].strings(expected="a list of words"))

    variants = dict(root["variant_words"].items(expected="words and the variants they name"))
    numbers = dict(root["numbers"].items(expected="number words and their values"))
    return Words(
        guarded=frozenset(strings("guarded_qualifiers")),
        kept=frozenset(strings("kept_qualifiers")),
        variants={key(k): tuple(v.strings(expected="names")) for k, v in variants.items()},
        labels=frozenset(strings("labels")),
        sections=frozenset(strings("section_words")),
        from_words=strings("from_words"),
        background=strings("background_words"),
        leading=tuple(sorted(strings("leading_words"), key=len, reverse=True)),
        setups=frozenset(strings("setup_positions")),
        per_side=strings("per_side_phrases"),
        repeats=strings("repeat_words"),
        flows=strings("flow_phrases"),
        numbers={key(k): v.integer(low=1, high=100) for k, v in numbers.items()},
        sanskrit=strings("sanskrit_endings"),
        not_names=frozenset(strings("not_pose_names")),
        openers=frozenset(strings("sentence_openers")),
        strong_verbs=frozenset(strings("strong_verbs")),
        exercise_words=frozenset(strings("exercise_words")),
        imperative=frozenset(strings("imperative_words")),
        after_article=strings("after_article"),
    )


def plain(word: str) -> str:
    """One word as names compare it: no case, accents or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return bare.replace("'", "").replace("\u2019", "")


class Token(NamedTuple):
    word: str  # plain
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    return [Token(plain(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


class Mention(NamedTuple):
    """A catalog pose named in a text, with the words before it."""

    pose: Pose
    start: int  # character offsets in the text
    end: int
    said: str  # the words as written, a kept qualifier in front included
    exact: bool  # the whole phrase is the alias (not a longer phrase holding it)


@cache
def _aliases() -> tuple[dict[str, Pose], int]:
    """Every catalog spelling's key, and the most words any has."""
    found: dict[str, Pose] = {}
    for pose in catalog():
        for spelling in (pose.name, pose.sanskrit, *pose.aliases):
            if spelling:
                found.setdefault(key(spelling), pose)
    longest = max(len(k.split()) for k in found)
    return found, min(longest, MAX_ALIAS_WORDS)


@cache
def _needs_pose() -> frozenset[str]:
    """One-word names the catalog only ever writes with "Pose" ("Square Pose", "Toe Pose"): in
    running text the bare word is English ("hips square", "grab the toe"), not the pose."""
    bare: set[str] = set()
    with_pose: set[str] = set()
    for pose in catalog():
        for spelling in (pose.name, pose.sanskrit, *pose.aliases):
            k = key(spelling) if spelling else ""
            if len(k.split()) != 1:
                continue
            (with_pose if "pose" in spelling.lower().split() else bare).add(k)
    return frozenset(with_pose - bare)


def pose_named(name: str) -> Pose | None:
    """The catalog pose a whole name is (an exact alias), or None."""
    return _aliases()[0].get(key(name))


def _gap_is_space(text: str, a: Token, b: Token) -> bool:
    between = _FILLER_WORDS.sub(" ", text[a.end : b.start]).strip() or " "
    return len(between) <= 3 and all(c in " -\u2010\u2011\u2013/" for c in between)


def mentions(text: str) -> list[Mention]:
    """The catalog poses named in `text`, in order, longest alias first, guarded."""
    table, longest = _aliases()
    w = words()
    toks = [t for t in tokens(text) if t.word not in _FILLER]
    found: list[Mention] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(longest, len(toks) - i), 0, -1):
            run = toks[i : i + n]
            if any(not _gap_is_space(text, a, b) for a, b in pairwise(run)):
                continue
            pose = table.get(" ".join(t.word for t in run))
            if pose is not None:
                hit = (pose, n)
                break
        if hit is None:
            i += 1
            continue
        pose, n = hit
        start = toks[i].start
        if (
            n == 1
            and toks[i].word in _needs_pose()
            and not re.match(r"[\s-]*pose\b", text[toks[i].end :], re.IGNORECASE)
        ):
            i += 1
            continue
        if _guarded(text, toks, i, w):
            i += n
            continue
        kept_start = _kept_start(text, toks, i, w)
        end = toks[i + n - 1].end
        # "Cobra Pose": the filler word after the alias is part of what was said
        tail = re.match(r"[\s-]*(?:[Pp]ose|POSE)\b", text[end:])
        if tail:
            end += tail.end()
        said_start = kept_start if kept_start is not None else start
        found.append(Mention(pose, said_start, end, text[said_start:end], exact=False))
        i += n
    return found


def _before(text: str, toks: list[Token], i: int, count: int) -> str | None:
    """The `count` words just before token i, when joined to it by spaces or hyphens only."""
    if i - count < 0:
        return None
    run = toks[i - count : i + 1]
    if any(not _gap_is_space(text, a, b) for a, b in pairwise(run)):
        return None
    return " ".join(t.word for t in run[:-1])


def _guarded(text: str, toks: list[Token], i: int, w: Words) -> bool:
    return any(_before(text, toks, i, n) in w.guarded for n in (1, 2))


def _kept_start(text: str, toks: list[Token], i: int, w: Words) -> int | None:
    for n in (2, 1):
        if _before(text, toks, i, n) in w.kept:
            return toks[i - n].start
    return None


def heading_pose(name: str) -> tuple[Pose | None, float]:
    """The catalog pose a heading names as a whole, and how sure: an alias covering every word
    but kept qualifiers is sure; a near spelling of a whole alias is fairly sure."""
    k = key(name)
    if not k:
        return None, 0.0
    table, _ = _aliases()
    w = words()
    if k in table:
        return table[k], 0.95
    parts = k.split()
    for n in (2, 1):
        if len(parts) > n and " ".join(parts[:n]) in w.kept and " ".join(parts[n:]) in table:
            return table[" ".join(parts[n:])], 0.9
    if len(k) >= 6:
        from rapidfuzz import fuzz, process

        best = process.extractOne(k, list(table), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is not None and _same_qualifiers(k, best[0], w) and _same_numbers(k, best[0]):
            return table[best[0]], 0.7 * best[1] / 100
    return None, 0.0


def _same_qualifiers(a: str, b: str, w: Words) -> bool:
    """Fuzzy matches must not cross a qualifier: "half frog" is not "frog"."""
    return {x for x in a.split() if x in w.guarded} == {x for x in b.split() if x in w.guarded}


_NUMERALS = frozenset(["i", "ii", "iii", "iv", "v", "1", "2", "3", "4", "5", "a", "b", "c"])


def _same_numbers(a: str, b: str) -> bool:
    """ "Warrior II" is not a misspelt "Warrior I"."""
    return {x for x in a.split() if x in _NUMERALS} == {x for x in b.split() if x in _NUMERALS}


def variant_of(qualifier: str, base: str) -> Pose | None:
    """ "lying" + "pigeon" -> the catalog's Reclined Pigeon, when the catalog has one."""
    table, _ = _aliases()
    for word in words().variants.get(key(qualifier), ()):
        pose = table.get(key(f"{word} {base}"))
        if pose is not None:
            return pose
    return None


def one_sided(pose: Pose) -> Pose | None:
    """Knees-to-Chest done "with one leg" is Knee-to-Chest: the catalog pose whose name is this
    one's with the plural word made single."""
    table, _ = _aliases()
    parts = key(pose.name).split()
    for i, part in enumerate(parts):
        if part.endswith("s") and len(part) > 3:
            single = " ".join([*parts[:i], part[:-1], *parts[i + 1 :]])
            if single in table and table[single] is not pose:
                return table[single]
    return None
