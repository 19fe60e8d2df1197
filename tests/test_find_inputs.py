"""Folders given to `clean` are searched recursively, symlinked sub-folders included, each real
folder once, so a symlink loop ends."""

from __future__ import annotations

import os

from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli
from scraper.run.batch import find_inputs


def test_a_symlinked_sub_folder_is_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.html").write_text(article_page("Linked story"), encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "own.html").write_text(article_page("Own story"), encoding="utf-8")
    os.symlink(elsewhere, root / "link")
    assert [i.source for i in find_inputs([str(root)])] == [
        str(root / "own.html"), str(root / "link" / "linked.html")]
    result = CliRunner().invoke(cli, ["clean", str(root), "-o", str(tmp_path / "o.jsonl"), "-j", "1", "-q"])
    assert result.exit_code == 0 and "2 cleaned, 0 failed" in result.stderr


def test_a_symlink_loop_is_walked_once(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "page.html").write_text(article_page(), encoding="utf-8")
    os.symlink(root, root / "sub" / "back-to-root")
    os.symlink(root / "sub", root / "sub-again")
    assert [i.source for i in find_inputs([str(root)])] == [str(root / "sub" / "page.html")]
