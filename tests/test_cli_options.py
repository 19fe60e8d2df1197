"""Options every command shares: -v before or after the subcommand, sizes, exit codes, help examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pages import article_page
from scraper.cli import _size, cli


def scraper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command in a process of its own, so logging goes to its real stderr."""
    return subprocess.run([sys.executable, "-m", "scraper", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("args", [
    ("-v", "clean", "page.html", "-o", "out.jsonl", "-j", "1"),
    ("clean", "-v", "page.html", "-o", "out.jsonl", "-j", "1"),
    ("clean", "page.html", "-o", "out.jsonl", "-j", "1", "--verbose"),
])
def test_verbose_works_before_and_after_the_subcommand(tmp_path, args):
    (tmp_path / "page.html").write_text(article_page(), encoding="utf-8")
    result = scraper(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "INFO cleaned page.html" in result.stderr


def test_crawl_takes_verbose_after_the_subcommand(tmp_path):
    (tmp_path / "urls.txt").write_text("https://example.com/a\nhttps://example.com/b\n", encoding="utf-8")
    result = scraper("crawl", "-v", "urls.txt", "-o", "out.jsonl", "--load-only", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "INFO read 2 URLs, 2 new to this job" in result.stderr


def test_without_verbose_there_is_no_log(tmp_path):
    (tmp_path / "page.html").write_text(article_page(), encoding="utf-8")
    result = scraper("clean", "page.html", "-o", "out.jsonl", "-j", "1", cwd=tmp_path)
    assert result.returncode == 0 and "INFO" not in result.stderr


def test_show_exits_1_with_the_reason_when_the_page_fails(tmp_path):
    page = tmp_path / "menu.html"
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["show", str(page)])
    assert result.exit_code == 1
    assert "failed: no article text found" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("text, size", [
    ("10M", 10 << 20), ("10MB", 10 << 20), ("10MiB", 10 << 20), ("10 mb", 10 << 20),
    ("512k", 512 << 10), ("512KB", 512 << 10), ("1.5GB", 3 << 29), ("1048576", 1 << 20),
    ("100B", 100), (" 2 GiB ", 2 << 30),
])
def test_sizes_take_common_spellings_as_binary_multiples(text, size):
    assert _size(text) == size


@pytest.mark.parametrize("junk", ["junk", "", "10X", "MB", "-5", "0", "1.5", "10 m b", "1e3"])
def test_a_junk_size_is_refused(junk):
    with pytest.raises(click.BadParameter):
        _size(junk)


def test_a_junk_size_is_a_one_line_usage_error(tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.com/a\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["crawl", str(urls), "-o", str(tmp_path / "o.jsonl"),
                                      "--max-bytes", "ten megs", "--load-only"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: --max-bytes: 'ten megs' is not a size such as "
                                     "10MB, 10MiB, 512k or 1048576")


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    yield path
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


@pytest.mark.parametrize("path", list(_commands(cli)), ids=lambda p: " ".join(p) or "scraper")
def test_every_help_ends_with_examples_of_that_command(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    epilog = result.stdout.rstrip().split("\n\n")[-1].splitlines()
    assert epilog[0].strip() == "Examples:"
    examples = [line.strip() for line in epilog[1:]]
    assert examples and all(line.startswith("scraper ") or "| scraper " in line for line in examples)
    # Each example on a line of its own, not rewrapped into a paragraph.
    assert any(line.startswith(" ".join(("scraper", *path))) for line in examples)
