"""Bad e-mail input never stops a batch: each message ends as an article or a failure with a reason."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scraper.cli import cli

NEWSLETTERS = Path(__file__).resolve().parent.parent / "fixtures" / "newsletters"
GOOD = (NEWSLETTERS / "kit-woodshop.eml").read_bytes()
ENVELOPE = b"From dan@woodshopletters.example Sat Oct 25 14:30:12 2025\n"


def run_clean(tmp_path: Path, *files: Path) -> tuple[int, list[dict], list[dict]]:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["clean", *map(str, files), "-o", str(out), "-j", "1", "-q"])
    articles = [json.loads(line) for line in out.read_text().splitlines()]
    failures = [json.loads(line) for line in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    return result.exit_code, articles, failures


def message(content_type: str, body: bytes, extra: str = "") -> bytes:
    return (f"From: Dan Rivera <dan@woodshopletters.example>\nTo: reader@example.org\n"
            f"Subject: A test issue\nDate: Sat, 25 Oct 2025 14:30:12 +0000\nMIME-Version: 1.0\n"
            f"Content-Type: {content_type}\n{extra}\n").encode() + body


def test_empty_eml_is_a_failure_and_the_batch_goes_on(tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    good = tmp_path / "good.eml"
    good.write_bytes(GOOD)
    code, articles, failures = run_clean(tmp_path, empty, good)
    assert code == 1 and len(articles) == 1
    assert [(f["source"], f["reason"]) for f in failures] == [(str(empty), "empty input")]


def test_mbox_with_a_truncated_last_message(tmp_path):
    box = tmp_path / "cut.mbox"
    box.write_bytes(ENVELOPE + GOOD + b"\n" + ENVELOPE + GOOD[:200])  # cut inside the headers
    code, articles, failures = run_clean(tmp_path, box)
    assert code == 1
    assert len(articles) == 1 and "card scraper" in articles[0]["text"]
    assert [f["reason"] for f in failures] == ["message has no body"]
    assert failures[0]["source"] == f"{box}#2"  # the cut message lost its Message-ID: numbered


def test_unknown_charset_is_decoded_by_detection(tmp_path):
    text = ("Les élèves du lycée ont planté trois cents arbres le long du canal, "
            "et la mairie promet d'en arroser chacun jusqu'à l'été prochain.")
    eml = tmp_path / "klingon.eml"
    eml.write_bytes(message('text/plain; charset="x-klingon-9"', text.encode("cp1252")))
    code, articles, failures = run_clean(tmp_path, eml)
    assert code == 0 and not failures
    assert articles[0]["text"] == text and articles[0]["encoding"] == "windows-1252"


def test_a_message_with_only_an_image_is_a_failure(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    import base64
    eml = tmp_path / "image.eml"
    eml.write_bytes(message("image/png", base64.encodebytes(png), "Content-Transfer-Encoding: base64\n"))
    code, articles, failures = run_clean(tmp_path, eml)
    assert code == 1 and not articles
    assert failures[0]["reason"] == "message has no text or HTML part"
