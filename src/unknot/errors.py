"""The one error a person can cause: a bad file, an unknown name, a value out of range.

The command line turns it into a single line on stderr and exit status 2. Anything else that
escapes is a bug in unknot, not a mistake of the user's.
"""

from __future__ import annotations


class UnknotError(Exception):
    """A mistake in what a person gave us, with where it is and what would be right."""

    def __init__(self, what: str, *, where: str = "", field: str = "", expected: str = "") -> None:
        self.what = what
        self.where = where
        self.field = field
        self.expected = expected
        super().__init__(self.line())

    def line(self) -> str:
        """The whole error as one line: `where: field: what; expected ...`."""
        parts = [p for p in (self.where, self.field) if p]
        head = ": ".join([*parts, self.what])
        whole = f"{head}; expected {self.expected}" if self.expected else head
        return " ".join(whole.split())  # one line, whatever a library's message held
