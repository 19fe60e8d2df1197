"""Our parser makes the same element classes as lxml.html's own, looked up faster."""

from __future__ import annotations

import lxml.html

from scraper.clean.parse import parse_html

PAGE = ("<html><head><title>t</title></head><body><form action='/s'><input name=q><select name=s>"
        "<option>1</option></select><textarea>x</textarea><label>l</label></form><p>Text</p></body></html>")


def test_each_element_is_of_the_class_lxml_html_gives_it():
    ours = parse_html(PAGE)
    theirs = lxml.html.document_fromstring(PAGE)
    assert [type(el) for el in ours.iter()] == [type(el) for el in theirs.iter()]
    assert ours.forms[0].fields["q"] is None  # FormElement's own API works
