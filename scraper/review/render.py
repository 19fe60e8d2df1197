"""HTML for the review: one file per page and an index; every piece of page content escaped.

Nothing from the page is ever rendered as HTML: its text blocks go through `html.escape`, its
URL is shown as text (never a link), and a Content-Security-Policy lets only our own stylesheet
and script load, so even a missed escape could neither run a script nor fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import escape
from typing import Any
from urllib.parse import quote

from scraper.review.model import Block, PageReview, words
from scraper.review.provenance import RuleInfo, describe

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'none'; "
       "connect-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'")
STAGES = {"html": "HTML rule", "text": "text filter", "template": "learned template",
          "builtin": "built-in heuristic", "extraction": "extraction"}
PAGE_ROWS = 500  # rows of the pages table on screen at once; review.js pages through the rest
_META_LABELS = (("author", "Author"), ("date", "Date"), ("sitename", "Site name"), ("language", "Language"),
                ("url", "URL"), ("source", "Source"), ("word_count", "Words kept"))


def e(value: Any) -> str:
    """Escape for text and attribute values alike."""
    return escape("" if value is None else str(value), quote=True)


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _head(title: str, depth: str, inline: tuple[str, str] | None = None) -> str:
    """The document head; `inline` (css, js) embeds the assets, allowed by their hashes alone."""
    if inline is None:
        csp, assets = CSP, (f'<link rel="stylesheet" href="{depth}assets/review.css">'
                            f'<script src="{depth}assets/review.js" defer></script>')
    else:
        css, js = inline
        csp = CSP.replace("style-src 'self'", f"style-src {_digest(css)}").replace(
            "script-src 'self'", f"script-src {_digest(js)}")
        # The script runs at the end of the body, where the blocks it wires up already exist.
        assets = f"<style>{css}</style>"
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            f'<meta name="referrer" content="no-referrer">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{e(title)}</title>{assets}</head>\n')


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are valid TOML, and DEL, which JSON leaves as it is
    and TOML refuses, is escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def disable_snippet(rule: str, site: str) -> str:
    """A user rule file that turns one rule off for one site (everywhere without a site)."""
    where = f"domains = [{toml_string(site)}]\n" if site else "# no site known: this turns the rule off everywhere\n"
    return f"# {rule}: turned off{' for ' + site if site else ''} (copied from scraper review)\n{where}disable = [{toml_string(rule)}]\n"


def leak_snippet(text: str, site: str, index: int, selector: str = "", text_input: bool = False) -> str:
    """A rule that removes this block: for a page, an HTML rule by its CSS selector when the raw
    page gave one unique to it, else by its exact text; for a text input, a text rule."""
    where = f"domains = [{toml_string(site)}]\n\n" if site else ""
    flat = " ".join(text.split())
    head = "-".join(text.split()[:3]).lower()
    slug = "".join(c for c in head if c.isalnum() or c == "-")[:30] or "block"
    if text_input:
        table, what = "text", f"pattern = {toml_string('^' + re.escape(flat) + '$')}\nmax_words = {words(flat) + 1}"
    else:
        table = "html"
        what = f"css = {toml_string(selector)}" if selector else f"exact = {toml_string(flat)}"
    return (f"{where}[[{table}]]\nname = {toml_string(f'leak-{slug}-{index}')}\n"
            f"# leaked block: {toml_string(flat[:80])[1:-1]} (copied from scraper review)\n"
            f"{what}\n")


def kind_of(block: Block, info: RuleInfo | None) -> str:
    if block.state == "lost":
        return "extraction"
    return info.kind if info is not None else block.stage or "html"


def _block(block: Block, n: int, site: str, rules: dict[str, RuleInfo], text_input: bool = False) -> str:
    baseline = "unknown" if block.baseline is None else str(block.baseline).lower()
    if block.state == "kept":
        return (f'<div class="block kept" tabindex="0" data-baseline="{baseline}" id="b{n}">'
                f'<p>{e(block.text)}</p>'
                f'<button type="button" class="copy leak" data-snippet="{e(leak_snippet(block.text, site, n, block.selector, text_input))}">'
                f'Copy a rule that removes this block</button></div>\n')
    info = describe(block.rule, rules) if block.state == "removed" else None
    kind = kind_of(block, info)
    took = f"{'at least ' if block.shortened else ''}{block.words} word{'s' * (block.words != 1)}"
    if info is None:
        label = "not in the output"
        tip = ("trafilatura alone keeps this block; no rule removed it: extraction chose differently "
               f"once the page was pruned. {took}.")
        tip_html = f'<strong>no rule</strong><span>{e(tip)}</span>'
        action = ""
    else:
        label = f"{STAGES.get(kind, kind)} · {block.rule}"
        tip_html = (f'<strong class="rule-name">{e(block.rule)}</strong>'
                    f'<span class="rule-file">{e(STAGES.get(kind, kind))} · {e(info.file)}</span>'
                    f'<span class="rule-evidence">{e(info.evidence or "no evidence comment")}</span>'
                    f'<span class="rule-words">took {e(took)}</span>')
        action = "" if kind == "builtin" else (
            f'<button type="button" class="copy disable" data-snippet="{e(disable_snippet(block.rule, site))}">'
            f'Copy: turn off {e(block.rule)}{" for " + e(site) if site else ""}</button>')
    return (f'<div class="block {e(block.state)} kind-{e(kind)}" tabindex="0" data-baseline="{baseline}" '
            f'data-rule="{e(block.rule)}" aria-describedby="t{n}" id="b{n}">'
            f'<span class="tag">{e(label)}</span><p>{e(block.text)}</p>'
            f'<span class="tip" role="tooltip" id="t{n}">{tip_html}</span>{action}</div>\n')


def _legend() -> str:
    items = "".join(f'<span class="swatch kind-{k}">{e(v)}</span>' for k, v in STAGES.items())
    return f'<p class="legend">Removed by: {items}</p>'


def page_html(page: PageReview, rules: dict[str, RuleInfo], depth: str = "../", index_href: str = "../index.html",
              inline: tuple[str, str] | None = None) -> str:
    """The page view: metadata, warnings, then every block in reading order; with `inline`
    (css, js) a single self-contained file."""
    meta = page.meta
    title = meta.get("title") or page.source
    rows = "".join(f"<dt>{label}</dt><dd>{e(meta.get(key))}</dd>" for key, label in _META_LABELS
                   if meta.get(key) not in (None, ""))
    site = page.site
    rows += f"<dt>Rules site</dt><dd>{e(site or '(none: generic rules only)')}</dd>"
    warnings = [f"safety net: {r}" for r in page.reverted] + page.risk()[1]
    warn_html = "".join(f'<li>{e(w)}</li>' for w in warnings)
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in page.notes)
    reverted = "".join(f'<li class="reverted">{e(_reverted_line(r, rules))}</li>' for r in page.reverted)
    removed = sum(b.words for b in page.blocks if b.state in ("removed", "lost") and b.baseline)
    if page.ordered and page.baseline_words is not None:
        toggle = (f'<label class="toggle"><input type="checkbox" id="tf-toggle"> As trafilatura alone would</label>'
                  f'<p class="tf-summary" id="tf-summary" hidden>trafilatura alone keeps {page.baseline_words} words; '
                  f'of these the rules removed {removed} (struck through) and kept the rest. '
                  f'Blocks trafilatura alone would not keep are hidden.</p>')
    else:
        toggle = ('<label class="toggle"><input type="checkbox" id="tf-toggle" disabled> As trafilatura alone would '
                  '(needs the raw page)</label>')
    order = "" if page.ordered else '<p class="note">Removed blocks are listed after the kept text: their position is not known without the raw page.</p>'
    body = "".join(_block(b, n, site, rules, page.text_input) for n, b in enumerate(page.blocks))
    failure = f'<p class="failure">Failed: {e(page.failure)}</p>' if page.failure else ""
    nav = f'<nav><a href="{e(index_href)}" id="back">← all pages</a></nav>' if index_href else ""
    script = f"<script>{inline[1]}</script>" if inline else ""
    return (_head(f"{title} · scraper review", depth, inline) +
            f'<body class="page-view">{nav}'
            f'<header class="meta"><h1>{e(title)}</h1><dl>{rows}</dl>'
            + (f'<ul class="warnings">{warn_html}</ul>' if warn_html else "")
            + (f'<h2>Removals refused</h2><ul class="reverted-list">{reverted}</ul>' if reverted else "")
            + f'</header>{notes}{failure}<div class="controls">{toggle}{_legend()}</div>{order}'
            f'<main id="blocks">{body}</main>'
            f'<p class="copied" id="copied" role="status" aria-live="polite"></p>{script}</body></html>\n')


def _reverted_line(note: str, rules: dict[str, RuleInfo]) -> str:
    name = note.split(":", 1)[0]
    info = rules.get(name)
    return f"{note}" + (f" ({info.file})" if info else "")


def index_html(summaries: list[dict[str, Any]], rules: dict[str, RuleInfo], title: str, took: str = "") -> str:
    """The job view: rules, sites and pages by risk, with filters by rule and site."""
    pages = sorted(summaries, key=lambda s: (-s["risk"], s["source"]))
    rule_pages: dict[str, list[int]] = {}
    rule_count: dict[str, int] = {}
    rule_words: dict[str, int] = {}
    sites: dict[str, dict[str, int]] = {}
    for s in pages:
        st = sites.setdefault(s["site"], {"pages": 0, "failed": 0, "kept": 0, "removed": 0, "risky": 0})
        st["pages"] += 1
        st["failed"] += s["failure"] is not None
        st["kept"] += s["words"]
        st["removed"] += s["removed_words"]
        st["risky"] += s["risk"] >= 30
        for rule, n in s["rules"].items():
            rule_count[rule] = rule_count.get(rule, 0) + n
            rule_words[rule] = rule_words.get(rule, 0) + s["rule_words"].get(rule, 0)
            rule_pages.setdefault(rule, []).append(1)
    failed = sum(1 for s in pages if s["failure"] is not None)
    rule_rows = []
    for rule in sorted(rule_count, key=lambda r: (-rule_words[r], r)):
        info = describe(rule, rules)
        rule_rows.append(
            f'<tr data-rule="{e(rule)}"><td><a class="rule-link kind-{e(info.kind)}" href="#rule={e(quote(rule, safe=""))}">{e(rule)}</a></td>'
            f'<td>{e(STAGES.get(info.kind, info.kind))}</td><td>{e(info.file)}</td>'
            f'<td class="num">{rule_count[rule]}</td><td class="num">{rule_words[rule]}</td>'
            f'<td class="num">{len(rule_pages[rule])}</td><td class="evidence"><div>{e(info.evidence)}</div></td></tr>')
    site_rows = [
        f'<tr data-site="{e(site)}"><td><a class="site-link" href="#site={e(quote(site, safe=""))}">{e(site or "(no site)")}</a></td>'
        f'<td class="num">{st["pages"]}</td><td class="num">{st["failed"]}</td><td class="num">{st["risky"]}</td>'
        f'<td class="num">{st["kept"]}</td><td class="num">{st["removed"]}</td></tr>'
        for site, st in sorted(sites.items(), key=lambda kv: (-kv[1]["pages"], kv[0]))]
    page_rows = [_page_row(s, hidden=i >= PAGE_ROWS) for i, s in enumerate(pages)]
    rule_opts = "".join(f'<option value="{e(r)}">{e(r)}</option>' for r in sorted(rule_count))
    site_opts = "".join(f'<option value="{e(s)}">{e(s or "(no site)")}</option>' for s in sorted(sites))
    return (_head(title, "") + '<body class="index-view">'
            f'<header><h1>{e(title)}</h1><p class="summary">{len(pages)} pages, {failed} failed, '
            f'{len(rule_count)} rules fired{e(took)}.</p></header>'
            '<section><h2>Rules</h2><table id="rules"><thead><tr><th>Rule</th><th>Kind</th><th>File</th>'
            '<th>Removals</th><th>Words removed</th><th>Pages</th><th>Evidence</th></tr></thead><tbody>'
            + "\n".join(rule_rows) + '</tbody></table></section>'
            '<section><h2>Sites</h2><table id="sites"><thead><tr><th>Site</th><th>Pages</th><th>Failed</th>'
            '<th>At risk</th><th>Words kept</th><th>Words removed</th></tr></thead><tbody>'
            + "\n".join(site_rows) + '</tbody></table></section>'
            '<section><h2>Pages by risk</h2><form class="filters" id="filters">'
            f'<label>Rule <select id="rule-filter"><option value="">any</option>{rule_opts}</select></label>'
            f'<label>Site <select id="site-filter"><option value="">any</option>{site_opts}</select></label>'
            f'<span id="shown" role="status">{len(pages)} pages</span>'
            '<button type="button" id="prev-rows" hidden>← previous</button>'
            f'<button type="button" id="next-rows"{"" if len(pages) > PAGE_ROWS else " hidden"}>next →</button></form>'
            '<table id="pages"><thead><tr><th>Risk</th><th>Page</th><th>Site</th><th>Words</th>'
            '<th>Removed</th><th>Rules fired</th><th>Why at risk</th></tr></thead><tbody>'
            + "\n".join(page_rows) + '</tbody></table></section></body></html>\n')


def _page_row(s: dict[str, Any], hidden: bool = False) -> str:
    rules = " ".join(sorted(s["rules"]))
    label = s["title"] or s["source"]
    link = (f'<a class="page-link" href="{e(s["file"])}">{e(label)}</a>' if s["file"] else e(label))
    return (f'<tr data-site="{e(s["site"])}" data-rules=" {e(rules)} " class="{"failed" if s["failure"] else ""}"'
            f'{" hidden" if hidden else ""}>'
            f'<td class="num">{s["risk"]}</td><td>{link}<div class="source">{e(s["source"])}</div></td>'
            f'<td>{e(s["site"])}</td><td class="num">{s["words"]}</td><td class="num">{s["removed_words"]}</td>'
            f'<td class="rules">{e(", ".join(f"{r} ×{n}" for r, n in sorted(s["rules"].items())))}</td>'
            f'<td>{e("; ".join(s["reasons"]))}</td></tr>')


def summary(page: PageReview, file: str | None) -> dict[str, Any]:
    """What the index keeps of one page: small, so that 10,000 pages fit in memory at once."""
    count, taken = page.removed_by_rule()
    risk, reasons = page.risk()
    return {"source": page.source, "title": page.meta.get("title"), "site": page.site, "file": file,
            "words": int(page.meta.get("word_count") or 0), "removed_words": sum(taken.values()),
            "rules": dict(count), "rule_words": dict(taken), "risk": risk, "reasons": reasons,
            "failure": page.failure}

