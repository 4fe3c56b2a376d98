"""A plan expanded into timed cues, and the player that walks through them on a clock."""
