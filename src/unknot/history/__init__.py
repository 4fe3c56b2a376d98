"""Every session remembered: the store, the pending file, moving history in and out, stats."""
