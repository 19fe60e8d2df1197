"""Newsletter e-mails as input: `.eml` files, mbox files and Maildir folders, cleaned into
articles with their metadata taken from the headers.

    reader   find messages lazily (mbox spans, Maildir files, sniffing stdin)
    message  MIME: the body part, charsets, headers → metadata
    forward  forwarded newsletters: the forwarding header block dropped
    markup   the body as text blocks; tracking pixels and tracking parameters removed
    digest   a briefing split into one story per heading
    cleaner  `clean_message`: one message → one article (or one per story)

The template rules are data, in `scraper/rulesets/email/`.
"""

from __future__ import annotations

from scraper.newsletters.cleaner import MailOptions, clean_message, email_rule_files
from scraper.newsletters.reader import EML_SUFFIXES, MBOX_SUFFIXES, MessageRef, expand, is_maildir, looks_like_message, maildir_files, read_span

__all__ = [
    "EML_SUFFIXES",
    "MBOX_SUFFIXES",
    "MailOptions",
    "MessageRef",
    "clean_message",
    "email_rule_files",
    "expand",
    "is_maildir",
    "looks_like_message",
    "maildir_files",
    "read_span",
]
