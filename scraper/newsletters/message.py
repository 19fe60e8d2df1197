"""One e-mail message: MIME parsed with the standard library, its body part chosen and decoded,
and its metadata read from the headers.

The HTML part is preferred (it carries the structure the template rules need), else
text/plain. Transfer encodings (quoted-printable, base64) are undone by `email`; the charset is
decoded by our own decoder, so an unknown or wrong charset label falls back to detection
instead of to replacement characters. RFC 2047 encoded words in headers are decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from scraper.clean.decode import decode_bytes
from scraper.errors import ExtractionError, InputError

# Errors the stdlib header parser is known to raise on hostile headers instead of recording
# a defect; a bad header must cost that header, never the message.
_HEADER_ERRORS = (MessageError, ValueError, IndexError, AttributeError, TypeError, LookupError)
# C0 controls are not text and lxml refuses to write them back into a tree it parsed them into.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_REPLY_PREFIX = re.compile(r"^\s*((fwd?|fw|tr|wg|re|aw)\s*:\s*)+", re.IGNORECASE)
# Words that make a sender's display name a publication rather than a person: "Canteen Notes",
# "The Daily Bulletin", "Harbour Weekly", "Acme Team".
_ORG_WORDS = frozenset("""
the daily weekly monthly morning evening news newsletter newsletters briefing brief digest team
notes letter letters post times journal club report review insider bulletin magazine media
update updates dispatch edition roundup weekend today week inc ltd llc co gmbh sa press
""".split())
# Lower-case words inside a person's name: "Jan van der Berg", "Ana de la Cruz".
_PARTICLES = frozenset("van von der den de del della da di du la le bin ibn al el y".split())
# "Jane Doe from Canteen Notes", "Jane Doe at Harbour Weekly", "Jane Doe | Canteen Notes".
_PERSON_OF = re.compile(r"^(?P<person>.+?)\s+(?:from|at|of|\||–|—|-)\s+(?P<site>.+)$")


@dataclass(frozen=True)
class Headers:
    """What the headers say about a message, ready for `Article` fields."""

    title: str | None = None
    sitename: str | None = None
    author: str | None = None
    date: str | None = None
    id: str | None = None
    list_id: str | None = None
    list_unsubscribe: str | None = None


@dataclass(frozen=True)
class Body:
    """The chosen body part, decoded: `kind` is "html" or "plain"."""

    kind: str
    text: str
    encoding: str


def parse_message(data: bytes) -> EmailMessage:
    """Parse bytes as a message; raise `InputError` when they hold no header at all."""
    if not data.strip():
        raise InputError("empty input")
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not message.keys():
        raise InputError("not an e-mail message: no headers")
    return message  # type: ignore[return-value]


def header(message: Message, name: str) -> str | None:
    """A header's decoded value, whitespace collapsed; None when absent or empty."""
    try:
        value = message.get(name)
        text = None if value is None else str(value)
    except _HEADER_ERRORS:
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None) \
            if hasattr(message, "raw_items") else None
        try:
            text = str(make_header(decode_header(raw))) if raw else None
        except _HEADER_ERRORS:
            text = raw
    text = " ".join(text.split()) if text else None
    return text or None


def iso_date(value: str | None) -> str | None:
    """An RFC 5322 date (or the "Tue, 7 Oct 2025 at 06:00" and "Tuesday, October 7, 2025
    6:00 AM" forms of forwarding blocks) as an ISO 8601 day, `YYYY-MM-DD`, the sender's local
    day: the one form web records use too (scraper.clean.dates); None when it cannot be read."""
    if not value:
        return None
    # Outlook's forms first: the RFC parser reads "4:30 PM" as 04:30.
    for form in ("%A, %B %d, %Y %I:%M %p", "%A, %d %B %Y %H:%M", "%a, %b %d, %Y at %I:%M %p"):
        try:
            return datetime.strptime(value.strip(), form).date().isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(value.replace(" at ", " ")).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def sender(value: str | None) -> tuple[str | None, str | None]:
    """(sitename, author) from a From value: a publication's name is the site; a person's
    name is both (a one-person newsletter); "Person from Publication" splits."""
    if not value:
        return None, None
    try:
        name, _ = getaddresses([value])[0]
    except _HEADER_ERRORS:
        name = value
    name = name.strip().strip("\"'")
    if not name:
        return None, None
    if match := _PERSON_OF.match(name):
        person, site = match["person"].strip(), match["site"].strip()
        return site, person if _is_person(person) else None
    return name, name if _is_person(name) else None


def _name_word(word: str) -> bool:
    """"Quill", "Łukasz", "O’Neill", "Smith-Jones" or an initial "J."; not "NEWS" or "co"."""
    letters = word.replace("-", "").replace("'", "").replace("’", "")
    if len(word) == 2 and word[0].isupper() and word[1] == ".":
        return True
    return letters.isalpha() and word[0].isupper() and (len(word) == 1 or not word[1:].isupper())


def _is_person(name: str) -> bool:
    words = name.split()
    named = [w for w in words if w.lower() not in _PARTICLES]
    return (2 <= len(words) <= 5 and len(named) >= 2 and all(_name_word(w) for w in named)
            and words[0] in named and not any(w.lower().strip(".") in _ORG_WORDS for w in words))


def read_headers(message: Message) -> Headers:
    """Subject → title, From → sitename (and author), Date → ISO date, Message-ID → id, the
    list headers as they are."""
    sitename, author = sender(header(message, "From"))
    subject = header(message, "Subject")
    msgid = header(message, "Message-ID")
    return Headers(
        title=_REPLY_PREFIX.sub("", subject) or None if subject else None,
        sitename=sitename, author=author, date=iso_date(header(message, "Date")),
        id=msgid.strip("<> ") if msgid else None,
        list_id=header(message, "List-Id"), list_unsubscribe=header(message, "List-Unsubscribe"),
    )


def sender_key(message: Message) -> str | None:
    """Who sends this newsletter, for learning its template across issues: the List-Id's
    identifier, else the From address, lower-cased."""
    list_id = header(message, "List-Id") or ""
    if match := re.search(r"<([^<>\s]+)>", list_id):
        return match[1].lower()
    try:
        address = getaddresses([header(message, "From") or ""])[0][1]
    except _HEADER_ERRORS:
        return None
    return address.lower() or None


def attached_message(message: EmailMessage) -> EmailMessage | None:
    """A message forwarded as an attachment (message/rfc822), if there is one."""
    for part in message.walk():
        if part is not message and part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                inner = inner[0]
            if isinstance(inner, Message):
                return inner  # type: ignore[return-value]
    return None


def body(message: EmailMessage) -> Body:
    """The HTML part, else the text/plain part, decoded; raise when there is neither or it is
    empty (a message with only an image or an attachment has no article)."""
    try:
        part = message.get_body(preferencelist=("html", "plain"))
    except _HEADER_ERRORS as exc:
        raise InputError(f"cannot parse MIME structure: {exc}") from exc
    if part is None:
        raise ExtractionError("message has no text or HTML part")
    kind = part.get_content_subtype()
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        raise ExtractionError("message has no body")
    try:
        charset = part.get_content_charset()
    except _HEADER_ERRORS:
        charset = None
    text, encoding = decode_bytes(payload, charset)
    return Body(kind, _CONTROL.sub("", text), encoding)
