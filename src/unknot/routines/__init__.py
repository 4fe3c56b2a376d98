"""Routines as a person writes them: steps, per-side blocks, flows, rests; the built-in ones."""
