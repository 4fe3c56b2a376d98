"""A plan as the start page's form (or a link) asks for it, read from the query string once,
and the form's own names for the fields the library speaks of."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

import unknot

PLAN_FIELDS = (
    "routine", "tight", "minutes", "skip", "avoid", "level", "hold", "first_side", "with", "props",
    "run",
)  # fmt: skip
# Fields that may be given more than once, or comma-separated.
REPEATED = ("tight", "skip", "avoid", "with", "props")
# The most names a plan may carry in each repeated field (counted after splitting at commas):
# every area and group is 20 names, every condition 17, every prop 9; a routine done first is a
# whole routine more to plan and voice, and a request is answered by one process for everybody.
MOST = {"tight": 20, "skip": 20, "avoid": 20, "with": 3, "props": 10}
VALUE_CHARACTERS = 100  # the longest name of anything is under 40 characters
# What the start page calls each of its fields, for errors shown on it (the library names the
# field); a field only a link carries (`with`, `hold`, `speed`) goes by its name in the link.
FIELD_LABELS = {
    "routine": "Routine", "tight": "What feels tight", "minutes": "Minutes", "level": "Level",
    "first_side": "First side", "avoid": "Be careful of", "skip": "Leave out poses",
    "props": "Props you have",
}  # fmt: skip


# A routine read from an article on this server ("Bring a routine") is named by a token, never
# a path: `imported-` and the first 16 hex digits of its YAML's SHA-256 (`imports`).
IMPORTED = "imported-"
IMPORTED_TOKEN_CHARS = 16
HEX = frozenset("0123456789abcdef")


def imported_token(routine: str) -> str | None:
    """The token of an imported routine's name (`imported-<16 hex>`), None for any other
    routine; a name that starts so but carries no such token is a clear error."""
    if not routine.startswith(IMPORTED):
        return None
    token = routine.removeprefix(IMPORTED)
    if len(token) != IMPORTED_TOKEN_CHARS or not set(token) <= HEX:
        raise unknot.UnknotError(
            f"{routine[:30]!r} is not an imported routine's name", field="routine",
            expected="the link the page made after reading an article (Bring a routine)",
        )  # fmt: skip
    return token


def _run_token(value: str) -> str:
    if value and not (len(value) <= 32 and all(c in "0123456789abcdef" for c in value)):
        raise unknot.UnknotError(
            f"{value[:20]!r} is not a run's token", field="run",
            expected="the link the page made after reading a run file",
        )  # fmt: skip
    return value


def said_on_the_page(err: unknot.UnknotError) -> str:
    """The error's one line, naming the field as the page names it."""
    label = FIELD_LABELS.get(err.field, err.field)
    return unknot.UnknotError(err.what, where=err.where, field=label, expected=err.expected).line()


class PlanRequest(NamedTuple):
    """Every field as text, as it came; the library checks them when the plan is made."""

    routine: str
    tight: tuple[str, ...] = ()
    minutes: str = ""
    skip: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    level: str = ""
    hold: str = ""
    first_side: str = ""
    extra: tuple[str, ...] = ()
    props: tuple[str, ...] = ()
    run: str = ""  # the run read on the start page the session follows (`uploads.KeptRuns`)

    @classmethod
    def from_query(cls, pairs: list[tuple[str, str]]) -> PlanRequest:
        values: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in PLAN_FIELDS and value.strip():
                if len(value) > VALUE_CHARACTERS:
                    raise unknot.UnknotError(
                        f"{value[:20]!r}... is {len(value)} characters long", field=key,
                        expected=f"at most {VALUE_CHARACTERS} characters",
                    )  # fmt: skip
                values.setdefault(key, []).append(value.strip())
        for key, most in MOST.items():
            count = sum(len([w for w in v.split(",") if w.strip()]) for v in values.get(key, ()))
            if count > most:
                raise unknot.UnknotError(
                    f"{count} names were given", field=key, expected=f"at most {most}"
                )
        single = {k: v[-1] for k, v in values.items() if k not in REPEATED}
        if "routine" not in single:
            raise unknot.UnknotError(
                "no routine was chosen", field="routine", expected="a routine from the start page"
            )
        imported_token(single["routine"])  # checked here: a bad one is said before planning
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
            props=tuple(values.get("props", ())),
            run=_run_token(single.get("run", "")),
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
        pairs += [("props", t) for t in self.props]
        pairs += [("run", self.run)] if self.run else []
        return urlencode(pairs)

    def needs(self, extra: tuple[str, ...]) -> unknot.Needs:
        """Today's needs, checked by the library; `extra` are the `with` routines as offered."""
        return unknot.read_needs(
            tight=self.tight, minutes=self.minutes, skip=self.skip, avoid=self.avoid,
            level=self.level, hold=self.hold, first_side=self.first_side, extra=extra,
            props=self.props,
        )  # fmt: skip
