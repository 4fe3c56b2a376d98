"""unknot: a personal post-run recovery coach.

Routines are data; a routine is fitted to today (the plan), expanded into timed cues (the
timeline), and every output renders that one timeline.
"""

from unknot.version import __version__

__all__ = ["__version__"]
