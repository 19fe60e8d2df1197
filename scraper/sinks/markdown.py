"""An article as a Markdown file: metadata as YAML front matter, then the title and the body.

The body keeps trafilatura's Markdown tables as tables: the article text separates every line
with a blank line, which inside a table would end it after its first row.
"""

from __future__ import annotations

import json

from scraper.article import Article

_FRONT = ("title", "author", "date", "sitename", "language", "url", "canonical_url", "description",
          "word_count", "source")
# Line breaks YAML sees where JSON does not: escaped, so that a value never spills onto a new line.
_YAML_BREAKS = {"\u2028": "\\L", "\u2029": "\\P", "\x85": "\\N", "\ufeff": "\\uFEFF"}


def yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string escapes are YAML's)."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in _YAML_BREAKS.items():
        text = text.replace(char, escaped)
    return text


def front_matter(article: Article) -> str:
    """The article's known metadata between `---` lines; empty fields left out."""
    lines = ["---"]
    for key in _FRONT:
        value = getattr(article, key)
        if value is None or value == "":
            continue
        lines.append(f"{key}: {value if isinstance(value, int) else yaml_string(str(value))}")
    return "\n".join(lines) + "\n---\n"


def _is_row(paragraph: str) -> bool:
    text = paragraph.strip()
    return len(text) > 1 and text.startswith("|") and text.endswith("|") and "\n" not in text


def markdown_body(text: str) -> str:
    """The article text with the rows of each table joined back into one table."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if out and _is_row(paragraph) and _is_row(out[-1].rsplit("\n", 1)[-1]):
            out[-1] += "\n" + paragraph.strip()
        else:
            out.append(paragraph)
    return "\n\n".join(out)


def to_markdown(article: Article) -> str:
    """The whole `.md` file of an article in a folder output."""
    heading = f"# {article.title}\n\n" if article.title else ""
    return f"{front_matter(article)}\n{heading}{markdown_body(article.text)}\n"
