"""Finding things by the names people use: one normalisation, one index, one did-you-mean.

Poses, areas, conditions and routines are all looked up through `NameIndex`, so "child's pose",
"Childs Pose" and "CHILD" find the same entry everywhere, and every unknown name gets the same
kind of suggestion.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Generic, TypeVar

from unknot.errors import UnknotError
from unknot.words import quoted

T = TypeVar("T")

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_FILLER_WORDS = frozenset({"pose", "the"})


def key(name: str) -> str:
    """The form two names are compared in: no case, accents, apostrophes, punctuation or 'pose'."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("'", "").replace("\u2019", "")
    words = _NOT_ALNUM.sub(" ", plain).split()
    return " ".join(w for w in words if w not in _FILLER_WORDS)


def same_name(a: str, b: str) -> bool:
    """Whether two names are written the same but for case, accents, punctuation and 'pose'."""
    return key(a) == key(b)


def slug(text: str) -> str:
    """A name as a file name: "Child's Pose" -> child-s-pose (a pose's data file and figure)."""
    return _NOT_ALNUM.sub("-", text.lower()).strip("-")


def closest(word: str, choices: Iterable[str], *, limit: int = 1) -> list[str]:
    """The choices nearest to `word`, best first, or none when nothing is near enough."""
    from rapidfuzz import fuzz, process  # only on the error path: keeps start-up fast

    by_key = {key(c): c for c in choices}
    matches = process.extract(key(word), list(by_key), scorer=fuzz.WRatio, limit=limit)
    return [by_key[m[0]] for m in matches if m[1] >= 70]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' or '' when nothing is close."""
    best = closest(word, choices)
    return f" (did you mean {best[0]!r}?)" if best else ""


class NameIndex(Generic[T]):
    """Items found by their canonical name or any alias, compared by `key`."""

    def __init__(self, kind: str, *, listing: str = "") -> None:
        self.kind = kind
        self.listing = listing  # where a person sees every name, when there are too many to say
        self._by_key: dict[str, T] = {}
        self._canonical: dict[str, str] = {}
        self.names: list[str] = []

    def add(self, name: str, item: T, aliases: Iterable[str] = ()) -> None:
        """Index `item` under its name and aliases; a name that is taken already is an error."""
        self.names.append(name)
        for spelling in (name, *aliases):
            k = key(spelling)
            other = self._canonical.get(k)
            if other is not None and other != name:
                raise UnknotError(
                    f"{self.kind} name {spelling!r} is used by both {other!r} and {name!r}",
                    expected="every name and alias to belong to one entry only",
                )
            self._by_key[k] = item
            self._canonical[k] = name

    def get(self, name: str) -> T | None:
        return self._by_key.get(key(name))

    def canonical(self, name: str) -> str | None:
        """The canonical name that `name` stands for, or None."""
        return self._canonical.get(key(name))

    def find(self, name: str, *, where: str = "", field: str = "") -> T:
        """The item called `name`; an unknown name is an error with a did-you-mean."""
        item = self.get(name)
        if item is None:
            hint = self.did_you_mean(name)
            raise UnknotError(
                f"unknown {self.kind} {quoted(name)}{hint}",
                where=where,
                field=field,
                expected=self.expected(),
            )
        return item

    def expected(self) -> str:
        """What a valid name would be, for error messages."""
        if self.listing and len(self.names) > 8:
            return f"a {self.kind} name as listed by {self.listing}"
        return f"one of: {', '.join(self.names)}"

    def did_you_mean(self, name: str) -> str:
        """A suggestion found through every alias ("Down dg" -> Downward-Facing Dog), or ''."""
        best = closest(name, self._canonical)
        return f" (did you mean {self._canonical[key(best[0])]!r}?)" if best else ""

    def __contains__(self, name: str) -> bool:
        return key(name) in self._by_key

    def __len__(self) -> int:
        return len(self.names)
