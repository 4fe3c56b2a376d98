"""Routines found in articles: a yoga or stretching sequence read from a text, a page or a link,
made into a routine unknot can plan and guide.

`read_article` reads text; `import_article` takes a file, standard input or a URL (fetched
safely, its main text extracted) and reads that.
"""

from unknot.articles.reading import read_article

__all__ = ["read_article"]
