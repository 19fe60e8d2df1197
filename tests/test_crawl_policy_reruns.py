"""What a re-run does after the user changes a policy, and cleaning pages a crawl saved."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from faultserver import FaultServer
from pages import article_page
from scraper.cli import cli


def crawl(tmp_path: Path, *flags: str) -> tuple[int, str, list[dict], list[dict]]:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["crawl", str(tmp_path / "urls.txt"), "-o", str(out),
                                      "--delay", "0", "-j", "1", "-q", *flags])
    read = lambda p: [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []  # noqa: E731
    return result.exit_code, result.stderr, read(out), read(tmp_path / "out.failures.jsonl")


def test_allow_private_alone_fetches_urls_a_run_without_it_refused(tmp_path: Path) -> None:
    with FaultServer() as server:
        (tmp_path / "urls.txt").write_text(server.url("/article") + "\n")
        code, err, articles, failures = crawl(tmp_path)
        assert code == 1 and [f["reason"] for f in failures] == [
            "private address refused: 127.0.0.1 (use --allow-private to allow)"]
        code, err, articles, failures = crawl(tmp_path, "--allow-private")
    assert code == 0, err
    assert [a["source"] for a in articles] == [server.url("/article")] and failures == []


def test_ignore_robots_alone_fetches_urls_robots_txt_kept_out(tmp_path: Path) -> None:
    with FaultServer(robots_txt="User-agent: *\nDisallow: /private\n") as server:
        (tmp_path / "urls.txt").write_text(server.url("/private/page") + "\n")
        code, _, articles, failures = crawl(tmp_path, "--allow-private")
        assert code == 0 and [f["reason"] for f in failures] == ["disallowed by robots.txt"]
        code, err, articles, failures = crawl(tmp_path, "--allow-private", "--ignore-robots")
    assert code == 0, err
    assert len(articles) == 1 and failures == []


def test_cleaning_a_save_html_folder_keeps_each_pages_url_and_http_charset(tmp_path: Path) -> None:
    page = article_page(title="Café owners reopen the old harbour kiosk",
                        paragraphs=["The café on the pier reopened on Saturday after a winter of repairs. " * 4] * 3)
    body = page.encode("cp1252", "replace").replace(b'<meta charset="utf-8">', b"")
    with FaultServer() as server:
        server.add_page("/news/kiosk", body, content_type="text/html; charset=windows-1252")
        (tmp_path / "urls.txt").write_text(server.url("/news/kiosk") + "\n")
        code, err, crawled, _ = crawl(tmp_path, "--allow-private", "--save-html", str(tmp_path / "raw"))
    assert code == 0, err
    again = CliRunner().invoke(cli, ["clean", str(tmp_path / "raw"), "-o", str(tmp_path / "again.jsonl"),
                                     "-j", "1", "-q"])
    assert again.exit_code == 0, again.stderr
    [article] = [json.loads(x) for x in (tmp_path / "again.jsonl").read_text().splitlines()]
    assert article["url"] == server.url("/news/kiosk") == crawled[0]["url"]
    assert article["encoding"] == "windows-1252" and "café on the pier" in article["text"]
