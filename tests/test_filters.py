"""Text filters: promo lines and headline lists go, sentences that mention promo words stay."""

from __future__ import annotations

import pytest

from scraper.clean.cleaner import rulebook
from scraper.clean.filters import filter_lines

RULES = rulebook(()).for_url(None)


def kept(lines: list[str]) -> list[str]:
    return list(filter_lines(lines, RULES).lines)


@pytest.mark.parametrize("sentence", [
    "The company said its newsletter, which now reaches 80,000 readers, would add a weekly edition.",
    "Residents must sign up for the new recycling scheme before the end of March, the council said.",
    "Related species of the beetle are found across the Alps and the Pyrenees.",
    "More from the interview: the minister said she had no plans to resign before the election.",
    "She told readers to subscribe to local papers if they wanted councils held to account.",
])
def test_legitimate_sentences_with_promo_words_are_kept(sentence):
    lines = ["A long first paragraph about the news of the day, with enough words to matter.", sentence]
    assert kept(lines) == lines


@pytest.mark.parametrize("line", [
    "Sign up for our free newsletters",
    "A free daily email with the biggest news stories of the day",
    "More From This Section",
    "Read more: Council approves harbour budget",
    "Advertisement",
    "Share this article",
    "You have 3 free articles left this month.",
    "Follow BBC Wales on Facebook, X and Instagram.",
])
def test_promo_lines_are_dropped(line):
    body = ["The harbour wall will be rebuilt before winter, the council decided on Tuesday night."]
    assert kept(body + [line] + body) == body + body


def test_dash_separated_headline_list_is_dropped_whole():
    body = ["The defence secretary said the threat from groups abroad was growing, and that the cells were in contact.",
            "He confirmed that 440 more troops had been sent last month at the request of allies, to train local forces.",
            "The final paragraph of the story ends here with a full stop, as stories do."]
    teasers = ["-", "Five key questions about the deal", "The Explainer Many hurdles remain",
               "-", "Sudoku hard: October 7, 2025", "The Week's daily hard sudoku puzzle",
               "-", "Kabul braces for a waterless future", "THE EXPLAINER A confluence of factors"]
    result = filter_lines(body + teasers, RULES)
    assert list(result.lines) == body
    assert [r.rule for r in result.removed] == ["headline-run"]


@pytest.mark.parametrize("items", [
    # An FAQ rendered as a list: questions with their answers.
    ["-", "Do I need a permit for a harbour mooring?", "Yes. The council issues permits each spring for a small fee.",
     "-", "How long is the waiting list?", "About two years, though it is shorter for small boats.",
     "-", "Can I transfer my mooring?", "Only to a family member, and only with the harbour master's consent."],
    # Bullet points that are sentences, as in "10 things you need to know" stories.
    ["-", "The harbour master is retiring after thirty years in the job.", "Her deputy will take over in May.",
     "-", "The ferry timetable changes next week.", "Sailings will leave every forty minutes.",
     "-", "A new café opens on the quay on Saturday.", "It will stay open until ten at night."],
])
def test_lists_of_sentences_or_answered_questions_are_not_headline_lists(items):
    body = ["The council published its answers to the questions residents ask most often about the harbour, "
            "after a year in which the number of boats on the waiting list doubled and the quay was rebuilt.",
            "Officials said the list below would be updated every spring, when the new permits are issued."] * 2
    assert kept(body + items) == body + items


def test_single_dash_line_is_not_a_headline_list():
    lines = ["Prices rose in March.", "-", "Analysts expect a cut in June, the bank said."]
    assert kept(lines) == lines


def test_headlines_after_a_related_heading_are_dropped_until_prose_resumes():
    lines = ["The council met on Tuesday.", "Related stories", "Harbour wall to be rebuilt",
             "Ferry timetable changes in May", "The vote was unanimous, the clerk confirmed."]
    assert kept(lines) == ["The council met on Tuesday.", "The vote was unanimous, the clerk confirmed."]


BODY = ["Most advice says to keep three to six months of spending in an emergency fund.",
        "Rebuild the fund after you use it before you start saving for anything else."]


def test_heading_of_a_closing_promo_box_goes_with_its_pitch():
    lines = BODY + ["Saving made simple", "Start saving with a Rainy Day Saver today"]
    assert kept(lines) == BODY


def test_heading_of_a_promo_box_between_sections_goes_with_its_pitch():
    lines = BODY[:1] + ["Saving made simple", "Shop Gucci Now", "Where to keep the money", BODY[1]]
    assert kept(lines) == BODY[:1] + ["Where to keep the money", BODY[1]]


def test_heading_stays_when_article_text_follows_the_pitch():
    lines = BODY[:1] + ["Where to keep the money", "Shop Gucci Now", BODY[1]]
    assert kept(lines) == BODY[:1] + ["Where to keep the money", BODY[1]]


def test_exclamation_naming_the_site_is_a_pitch_only_when_the_brand_is_known():
    pitch = "Centralize, simplify, and scale your training with Easy LMS!"
    assert list(filter_lines(BODY + [pitch], RULES, brand="Easy LMS").lines) == BODY
    assert kept(BODY + [pitch]) == BODY + [pitch]


@pytest.mark.parametrize("line, brand", [
    ("Marronnier Park was packed and Jeongdong Theater presented the beauty of Korea!", "Jeongdong Theater"),
    ("The streets were packed with people!", "People"),
    ("I was shocked by Vox's reporting!", "Vox"),
])
def test_an_exclamation_that_names_the_site_without_selling_it_stays(line, brand):
    assert list(filter_lines(BODY + [line], RULES, brand=brand).lines) == BODY + [line]


@pytest.mark.parametrize("line", [
    "Dec 19, 2025",
    "Thank you for subscribing to our daily newsletter.",
    "NOT FDIC INSURED · NOT BANK GUARANTEED · MAY LOSE VALUE",
    "Get the cash you need with a low-interest personal loan today",
    "Use code HARVEST20 at checkout for 20% off your first box.",
])
def test_stamps_appeals_and_small_print_are_dropped(line):
    assert kept(BODY + [line]) == BODY


@pytest.mark.parametrize("sentence", [
    "The campaign offers 25% off annual plans, and it runs until the end of November.",
    "Grab the result. We're going to take it to our coding environment now.",
    "The loan was repaid on Dec 19, 2025, two years early.",
    "Call of Duty is bigger than ever now.",
    "Book sales are up 20 percent today.",
    "Follow the money",
    "Student loans made by private lenders carry higher rates.",
    "Smith, who is a registered investment adviser in Ohio, said the fund was sound.",
    "The company gave developers $300 million in free credits last year.",
    "Police said anyone with information should not hesitate to call 101.",
    "Netflix gives you a free month when you subscribe.",
    "Retailers are offering up to 50% off select items this weekend, analysts said.",
    "Hi, I'm Sarah, and I have lived with MS for twenty years.",
])
def test_sentences_near_promo_wording_are_kept(sentence):
    assert kept(BODY + [sentence]) == BODY + [sentence]


# A review paragraph longer than the affiliate rule's 70 words once its ending is added.
REVIEW = ("The faeries stole Sydney Carton as a child and made him a mortal servant of the Faery "
          "Realm. Now he has a rare chance for revenge against the fae and Charles Darnay, the "
          "changeling left in his stead. It will take magic and cunning to hide his intentions "
          "from humans and fae alike")
SMALL_PRINT = " As an Amazon Associate we earn from qualifying purchases."


def test_small_print_is_cut_off_the_end_of_a_paragraph():
    review = (REVIEW + ". Shuttling between London and Paris, he is led to a heartbreaking choice "
              "in the shadow of the guillotine. This is A Tale of Two Cities, but with fae magic "
              "and revenge!")
    result = filter_lines(BODY + [review + SMALL_PRINT], RULES)
    assert list(result.lines) == BODY + [review]
    assert [r.rule for r in result.removed] == ["affiliate-small-print"]


def test_a_sentence_ending_in_a_quote_is_not_taken_with_the_small_print():
    review = (REVIEW + ", and the book never lets the tension drop for a moment. "
              'The author called it "a love letter to Dickens."')
    result = filter_lines(BODY + [review + SMALL_PRINT], RULES)
    assert list(result.lines) == BODY + [review]


def test_news_about_commissions_keeps_its_last_sentence():
    story = ("Estate agents in the region have cut their fees for the third year running, according "
             "to a survey of 400 firms published on Monday. Sellers now pay less than at any time "
             "since the survey began, and online agents have taken a fifth of the market. Several "
             "high-street chains have closed branches in smaller towns as a result of the pressure. "
             "Under the old rules, agents typically earn a commission of 5 to 6 percent of the sale price.")
    assert kept(BODY + [story]) == BODY + [story]


def test_short_paragraph_ending_in_small_print_goes_whole():
    appeal = ("Follow @BGRDeals on Twitter to keep up with the latest deals. Prices are subject to change. "
              "BGR may receive a commission on orders placed through this article.")
    assert kept(BODY + [appeal]) == BODY


def test_a_card_kicker_goes_with_its_date_stamp():
    card = ["Airlines", "Dec 19, 2025", "Cathay Pacific launches a new suite on its Boeing 777s"]
    result = kept(BODY + card)
    assert "Airlines" not in result and "Dec 19, 2025" not in result


def test_a_newsletter_name_line_above_its_pitch_goes_mid_article():
    body = ["The harbour wall will be rebuilt before winter, the council decided on Tuesday night after a long debate.",
            "Work starts in October and should take eleven weeks if the weather allows it, the engineers said."]
    pitch = ["Harbour Weekly", "Every Friday: the week's harbour news and the tide tables. Join 12,000 readers."]
    assert kept(body[:1] + pitch + body[1:]) == body


def test_a_section_heading_in_sentence_case_above_a_pitch_stays():
    body = ["The harbour wall will be rebuilt before winter, the council decided on Tuesday night after a long debate.",
            "Work starts in October and should take eleven weeks if the weather allows it, the engineers said."]
    lines = body[:1] + ["What happens next", "Join 12,000 readers who get the harbour news every Friday."] + body[1:]
    assert kept(lines) == body[:1] + ["What happens next"] + body[1:]


def test_a_line_repeating_the_title_goes_whatever_its_case_and_punctuation():
    body = ["The harbour reopened on Monday after a week of storm repairs, the port authority said.",
            "Ships queued outside the breakwater through the weekend while divers checked the moorings."]
    lines = ["HARBOUR REOPENS — after the storm", *body, "The harbour reopens after the storm, in pictures"]
    assert list(filter_lines(lines, RULES, title="Harbour reopens after the storm").lines) == lines[1:]
