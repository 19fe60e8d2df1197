"""Shared by the newsletter tests: where the fixtures are, and small ways to clean them."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner

from scraper.article import Article
from scraper.cli import cli
from scraper.run.batch import BatchOptions, Input, clean_input

NEWSLETTERS = Path(__file__).resolve().parent.parent / "fixtures" / "newsletters"
MBOX = NEWSLETTERS / "inbox.mbox"
EXPECTATIONS = tomllib.loads((NEWSLETTERS.parent / "expectations.toml").read_text(encoding="utf-8"))


def cleaned(name: str) -> Article:
    result = clean_input(Input(str(NEWSLETTERS / name)), BatchOptions())
    assert isinstance(result, Article), result
    return result


def run(*args: str, input: bytes | None = None) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, [*args, "-o", "-", "-q", "-j", "1"], input=input)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def plain(*paragraphs: str) -> bytes:
    body = "\n\n".join(paragraphs)
    return ("From: Harbour Weekly <news@harbourweekly.org>\nSubject: An issue\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}").encode()
