"""The `unknot` command: parse, call the public API, render."""
