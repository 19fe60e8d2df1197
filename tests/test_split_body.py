"""An article body that the page splits into several containers of one class (between ad rows)
is extracted whole: the parts are joined, in order, before trafilatura picks a container."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml.html import document_fromstring

from scraper import CleanOptions, clean_html
from scraper.clean.extract import ExtractOptions, join_split_body

PAGE = (Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "split-body-allotments.html").read_bytes()
FIRST = "The allotments behind Mill Lane have been worked since 1921"
SECOND = "The council is now looking at a strip of unused land beside the railway"
LONG = "A paragraph long enough to be prose rather than a caption or a teaser line, with more words. "


def test_both_parts_of_a_split_body_are_kept_in_order():
    text = clean_html(PAGE).text
    assert FIRST in text and SECOND in text
    assert text.index(FIRST) < text.index(SECOND)
    assert "Advertisement" not in text


def test_without_joining_only_the_first_part_comes_out():
    text = clean_html(PAGE, options=CleanOptions(extract=ExtractOptions(join_split_body=False))).text
    assert FIRST in text and SECOND not in text


def boxes(cls: str) -> str:
    return "".join(f'<div class="{cls}"><p>{LONG}{i}</p><p>{LONG}</p></div><div class="ad">Ad</div>'
                   for i in range(2))


@pytest.mark.parametrize("cls", ["comment-content", "c-product-widget__content", "teaser-text"])
def test_comments_product_boxes_and_teasers_of_one_class_are_not_joined(cls):
    root = document_fromstring(f"<html><body>{boxes(cls)}</body></html>")
    join_split_body(root)
    assert len(root.xpath(f"//div[@class='{cls}']")) == 2


def test_parts_with_a_paragraph_between_them_are_not_joined():
    part = f'<div class="entry-text"><p>{LONG}</p><p>{LONG}</p></div>'
    root = document_fromstring(f"<html><body>{part}<p>{LONG}</p>{part}</body></html>")
    join_split_body(root)
    assert len(root.xpath("//div[@class='entry-text']")) == 2


def test_headings_between_the_parts_go_along_in_order():
    part = '<div class="post-body"><p>{0}A</p><p>{0}B</p></div>'.format(LONG)
    root = document_fromstring(f"<html><body>{part}<div><h2>Second section</h2></div>{part}</body></html>")
    join_split_body(root)
    (body,) = root.xpath("//div[@class='post-body']")
    assert [el.tag for el in body] == ["p", "p", "h2", "p", "p"]


def test_body_parts_are_joined_into_the_first():
    root = document_fromstring(f"<html><body>{boxes('article__body')}</body></html>")
    join_split_body(root)
    (body,) = root.xpath("//div[@class='article__body']")
    assert [p.text[-1] for p in body.xpath("p")] == ["0", " ", "1", " "]
