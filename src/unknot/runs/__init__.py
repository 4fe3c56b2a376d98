"""Runs: the activity a runner has just finished, read from the file a watch or an app wrote
(FIT, GPX, TCX, gzipped or not, alone or in a bulk export), summed up in the figures runners
know, and turned into advice on today's session."""
