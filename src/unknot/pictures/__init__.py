"""Figures of poses, the body map, the printable card and the history's charts."""
