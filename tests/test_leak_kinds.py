"""Line kinds that leaked on pages nobody tuned for (issue 10) go; sentences that use the same
words in the article's own sense stay. Rules: credits, reader-appeals, signposts and smallprint
in scraper/rulesets/generic/."""

from __future__ import annotations

import pytest

from pages import PARAGRAPHS, article_page
from scraper import clean_html, clean_text

DROPPED = [
    # picture credits and captions that end in their credit
    "Photo: Harbour Studio",
    "Credit: Ferris Okafor / Getty Images",
    "Image courtesy of Lantern Coast Tours",
    "Image used under license from Shutterstock",
    "Quay workers unload the morning catch at Port Aske. (Photo: Getty Images)",
    # newsroom credits and author-box labels
    "Mara Quinlan contributed reporting from the harbour.",
    "Reporting by Mara Quinlan; Editing by Tom Aske",
    "Written by",
    "About the Author:",
    "About the author: Ines Farrow is a ferry historian based on the coast.",
    "By Ines Farrow",
    "December 15, 2025 // 8 min read",
    "09.10.2024",
    "(With inputs from PTI)",
    # appeals: pay, join, try, follow, listen
    "If you value our reporting, please consider supporting us with a subscription.",
    "Subscribe now – just £3 a month",
    "Get 12 weeks for £1",
    "Sign up today and get our printable walking map free.",
    "Sign up below to get the next issue in your inbox.",
    "30 day free trial, no credit card required",
    "Harbour Notes is a weekly newsletter for people who love small ports.",
    "Want more coastal walks? Follow me on Instagram for daily photos.",
    "Listen to this article",
    # pointers to other pages and to the site's own policies
    "Related Post",
    "Related articles that may interest you",
    "You may also be interested in the following articles:",
    "[Read more: Ten quiet beaches within a bus ride]",
    "Read More",
    "Read more posts by Ines Farrow",
    "Share the Blog on:",
    "Tags: ferries, harbour towns, slow travel",
    "On this page",
    "Read This Next",
    "Learn more about our editorial process.",
]

KEPT = [
    "Photographs from the 1920s hang in the waiting room of the ferry terminal.",
    "The skipper said the photo of the storm was taken from the lighthouse.",
    "More than 200 volunteers contributed to the survey of the harbour wall last year.",
    "Many visitors sign up for the pilot-history walk on their first morning.",
    "The ferry company says new customers can start a free trial month of its season ticket.",
    "He reviewed the methodology of the survey and found two errors in it.",
    "Readers who subscribe to the council's bulletin will get the timetable first.",
    "Follow the coast road for three miles and the harbour appears below you.",
    "The related costs of the repair were shared between the council and the port.",
    "She wrote about the wall for the local paper for more than a decade.",
    "By contrast, the northern harbour stayed open all winter.",
    "Source: Bureau of Labor Statistics",
    "Contents of the cargo were never found.",
]


def clean(extra: str) -> str:
    text = "\n".join([PARAGRAPHS[0], PARAGRAPHS[1], extra, *PARAGRAPHS[2:]])
    return clean_text(text).text


@pytest.mark.parametrize("line", DROPPED)
def test_leak_kind_line_is_dropped(line: str) -> None:
    text = clean(line)
    assert line not in text
    assert PARAGRAPHS[1] in text and PARAGRAPHS[2] in text


@pytest.mark.parametrize("line", KEPT)
def test_article_sentence_with_the_same_words_stays(line: str) -> None:
    assert line in clean(line)


def test_credit_and_disclaimer_elements_go_by_class_token() -> None:
    extra = ('<figure><img src="/wall.jpg" alt="The wall"><span class="image-credit">Ferris Okafor</span></figure>'
             '<div class="article-disclaimer"><p>Figures were correct at the time of publication and may have'
             ' changed since; this article is not financial advice.</p></div>')
    text = clean_html(article_page(extra_body=extra), url="https://news.example.com/local/harbour-wall").text
    assert "Ferris Okafor" not in text
    assert "Figures were correct at the time of publication" not in text
    assert PARAGRAPHS[-1] in text


def test_sections_whose_ids_only_mention_credit_or_disclosure_stay() -> None:
    extra = ('<h2 id="the-child-tax-credit">The child tax credit</h2>'
             '<p class="tax-credit">Families on the harbour estate can claim the child tax credit through the council office.</p>'
             '<h2 id="non-disclosure-agreement">The non-disclosure agreement</h2>'
             '<p>Contractors on the wall signed a non-disclosure agreement covering the survey results.</p>')
    text = clean_html(article_page(extra_body=extra), url="https://news.example.com/local/harbour-wall").text
    assert "Families on the harbour estate can claim the child tax credit" in text
    assert "Contractors on the wall signed a non-disclosure agreement" in text
