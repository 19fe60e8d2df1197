"""The review: a static HTML report of what the rules removed from each page, and why.

`write_review(inputs, folder)` reads stores written by `clean`/`crawl` (or cleans pages on the
fly) and writes `index.html` plus one file per page, openable from `file://` with no network.
`check_rule_file` validates a user rule file and says what it would change on given pages.
"""

from scraper.review.build import ReviewOptions, ReviewResult, page_document, write_review
from scraper.review.check import CheckOptions, CheckReport, check_rule_file
from scraper.review.sources import page_item

__all__ = ["CheckOptions", "CheckReport", "ReviewOptions", "ReviewResult", "check_rule_file", "page_document", "page_item",
           "write_review"]
