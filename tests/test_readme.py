"""The README's console sessions and library examples, run against the shipped fixtures.

Every ```console block is run in a scratch folder holding a copy of `fixtures/`: each `$ ` line
is a shell command and the lines under it are its exact output (stdout and stderr together).
Every ```python block must run without error there. `$SITE` is the address of a local web
server that serves that folder, so crawl sessions need no network. A README that drifts from
what the tool does fails here.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```(console|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MARK = "@@readme-command@@"


def blocks(kind: str) -> list[tuple[int, str]]:
    """(line number, body) of each README block of `kind`."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(2)) for m in _BLOCK.finditer(text)
            if m.group(1) == kind]


def session(body: str) -> list[tuple[str, str]]:
    """The commands of a console block with the output shown under each."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line.rstrip())
    return [(command, "\n".join(out).strip("\n")) for command, out in steps]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def workdir(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SITE": f"http://127.0.0.1:{server.server_address[1]}", "COLUMNS": "100"}
    env.pop("CI", None)
    try:
        yield tmp_path, env
    finally:
        server.shutdown()
        server.server_close()


def _run_session(body: str, cwd: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Run a block's commands in one shell; return (command, shown, actual) for each."""
    steps = session(body)
    # `$?` must survive the marker line, so `echo $?` in the README shows the command's status.
    script = "rc=0\n" + "".join(f"echo '{_MARK}'; (exit $rc)\n{command}\nrc=$?\n" for command, _ in steps)
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    outputs = done.stdout.split(_MARK + "\n")[1:]
    assert len(outputs) == len(steps), f"the session stopped early:\n{done.stdout}"
    # Paths under the scratch folder are shown relative to it, as a reader in the repo sees them.
    return [(command, shown, actual.replace(f"{cwd}/", "").strip("\n"))
            for (command, shown), actual in zip(steps, outputs)]


@pytest.mark.parametrize("line,body", blocks("console"), ids=lambda v: f"line-{v}" if isinstance(v, int) else "")
def test_console_session_prints_what_the_readme_shows(line: int, body: str,
                                                      workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    for command, shown, actual in _run_session(body, cwd, env):
        assert [a.rstrip() for a in actual.splitlines()] == shown.splitlines(), \
            f"README line {line}: `{command}` printed:\n{actual}"


@pytest.mark.parametrize("line,body", blocks("python"), ids=lambda v: f"line-{v}" if isinstance(v, int) else "")
def test_library_example_runs(line: int, body: str, workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    done = subprocess.run([sys.executable, "-c", body], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"README line {line}:\n{done.stderr}"


def test_the_readme_has_sessions_and_examples() -> None:
    assert len(blocks("console")) >= 2 and len(blocks("python")) >= 1
