"""How unknot writes a number (or what a person typed) for people, the same on every surface."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """Seconds as minutes and seconds, rounded to the second: 95 -> '1:35'."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def duration(seconds: float) -> str:
    """A long time as a watch shows it: 5375 -> '1:29:35'; under an hour, as `clock`."""
    whole = max(0, round(seconds))
    if whole < 3600:
        return clock(whole)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def countdown(seconds: float) -> str:
    """Seconds left as 'm:ss', rounded up, as a countdown reads (0.2 s left shows 0:01)."""
    return clock(max(0, -(-seconds // 1)))


def quoted(text: str, limit: int = 24) -> str:
    """`text` quoted for a message, cut short when long: a 5,000-digit number is not repeated
    back in full."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit - 4]!r}... ({len(text):,} characters)"


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word with an ellipsis when longer than `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
