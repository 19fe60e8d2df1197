"""Small page builders shared by tests: realistic enough for trafilatura to find a body."""

from __future__ import annotations

PARAGRAPHS = [
    "The council voted on Tuesday to rebuild the old harbour wall before the winter storms arrive.",
    "Engineers had warned for years that the stones were shifting, and last spring a section collapsed into the water.",
    "Residents packed the meeting hall, many of them fishermen whose boats shelter behind the wall every night.",
    "The repair will cost four million pounds, most of it from a national coastal fund approved in March.",
    "Work is due to start in October and should take eleven weeks if the weather allows it.",
]


def article_page(title: str = "Harbour wall to be rebuilt before winter", extra_body: str = "",
                 after_body: str = "", head: str = "", paragraphs: list[str] | None = None) -> str:
    """A news page with a nav, an article of several paragraphs, optional promo, and a footer."""
    body = "\n".join(f"<p>{p}</p>" for p in (paragraphs or PARAGRAPHS))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Coast News</title>
<link rel="canonical" href="https://news.example.com/local/harbour-wall">
<meta property="og:site_name" content="Coast News">{head}</head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li></ul></nav>
<main><article><h1>{title}</h1><p class="byline">By Ann Smith</p>
<div class="article-body">{body}{extra_body}</div>{after_body}</article></main>
<footer><p>Copyright Coast News 2025</p></footer></body></html>"""
