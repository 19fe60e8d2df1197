"""Publication dates: parsing what pages write into ISO 8601, and the fallbacks that find one.

Pages write dates in every shape (ISO datetimes, "3rd March 2024", `2024/03/03`, `03.03.2024`,
RFC 2822, Unix timestamps), so one normaliser turns them all into ISO 8601 days (`YYYY-MM-DD`) and rejects implausible
years. When a page declares no date, the date line a reader sees next to the headline is tried,
and only then htmldate, which is slower. Kept apart from metadata.py so each reads at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement

VISIBLE = "not(parent::script or parent::style)"  # in case the page still has them
_AFTER_H1 = XPath(f"(/descendant::h1)[1]/following::text()[position() <= 60][{VISIBLE}]")
_BEFORE_H1 = XPath(f"(/descendant::h1)[1]/preceding::text()[position() <= 20][{VISIBLE}]")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})|(\d{4})(\d{2})(\d{2})$")
_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_TEXT_DATE = re.compile(r"\b(?:([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
                        r"|(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]{3,9})\.?,?\s+(\d{4}))\b", re.I)
MONTHS = {name: number for number, names in enumerate((
    "jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
    "aug august", "sep sept september", "oct october", "nov november", "dec december"), 1)
    for name in names.split()}
_MIN_YEAR = 1995


def shown_date(root: HtmlElement) -> str | None:
    """A short date line just after, else just before, the headline: what a reader sees."""
    for path in (_AFTER_H1, _BEFORE_H1):
        for node in path(root):
            if len(node) < 60 and (text := node.strip()) and (found := iso_date(text)):
                return found
    return None


def guessed_date(root: HtmlElement, url: str | None) -> str | None:
    """htmldate's guess at the original publication date, the last resort; None if it fails."""
    try:  # htmldate copies a tree it is given before pruning it, so ours stays intact
        return find_date(root, extensive_search=False, original_date=True, url=url)
    except (ValueError, TypeError, OverflowError):
        return None


def iso_date(value: str | None) -> str | None:
    """A date as ISO 8601 `YYYY-MM-DD`, the calendar day as the page writes it; None if none.

    One form for every record, so that `pandas.to_datetime` loads a column without a format
    argument. Days, not timestamps: many pages give no time, and the time they give is often
    naive; and days as written, not converted to UTC, which would move evening stories in the
    Americas to the next day (readers, and benchmark truths, date a story by its local day).
    """
    if not value or not (value := value.strip()):
        return None
    if match := _ISO.search(value):
        return _ymd(*match.groups()[:3])
    if match := _YMD.match(value):
        return _ymd(*[g for g in match.groups() if g])
    for match in _TEXT_DATE.finditer(value):
        month, day, year, day2, month2, year2 = match.groups()
        if number := MONTHS.get((month or month2).lower()):
            return _ymd(year or year2, number, day or day2)
    if match := _DMY.search(value):
        return _ymd(match[3], match[2], match[1])
    try:
        if value.isdigit() and 9 <= len(value) <= 13:  # a Unix timestamp, in seconds or milliseconds
            found = datetime.fromtimestamp(int(value) / (1000 if len(value) > 10 else 1), timezone.utc)
        else:
            found = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return _ymd(found.year, found.month, found.day)


def _ymd(year: Any, month: Any, day: Any) -> str | None:
    try:
        found = date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None
    return found.isoformat() if _plausible(found) else None


def _plausible(found: date) -> bool:
    return _MIN_YEAR <= found.year <= date.today().year + 1
