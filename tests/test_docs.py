"""The README and the tutorials run as written.

Every fenced ``python`` block of a page runs, in order, in one fresh interpreter (a page is one
script); every ``bash`` block runs command by command from the repository root, with the
project's virtual environment first on ``PATH``. A block whose preceding line is
``<!-- not run by the tests: REASON -->`` is skipped (hours of training, a server, an LLM on a
CPU); the reason is part of the page. Tutorials read ``MEMENV_TUTORIAL_BUDGET=tiny`` and shrink
their runs; the README's runnable blocks are fast as they are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = re.compile(r"<!--\s*not run by the tests:\s*(.+?)\s*-->")
LOCOMO = ROOT.parent / "shared" / "data" / "locomo" / "locomo10_trainval.json"


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    skip: str | None


def code_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a markdown page, with the skip reason before each, if any."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^```(\w*)\s*$", lines[i])
        if not match:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        before = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        reason = SKIP.search(before)
        blocks.append(
            Block(match.group(1), "\n".join(body), start + 1, reason.group(1) if reason else None)
        )
        i += 1
    return blocks


def shell_commands(code: str) -> list[str]:
    """The commands of a bash block: continuation lines joined, comments dropped."""
    commands, current = [], ""
    for line in code.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current = f"{current} {line.strip()}" if current else line.strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        commands.append(current)
        current = ""
    return commands


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["MEMENV_TUTORIAL_BUDGET"] = "tiny"
    env["MPLBACKEND"] = "Agg"
    return env


def run_page(path: Path, timeout: int = 900) -> None:
    blocks = [b for b in code_blocks(path) if b.language in ("python", "bash")]
    assert blocks, f"{path} has no code block"
    needs_locomo = any("shared/data/locomo" in b.code for b in blocks if b.skip is None)
    if needs_locomo and not LOCOMO.exists():
        pytest.skip(f"{path.name} reads {LOCOMO}, which is not here")
    script = "\n\n".join(b.code for b in blocks if b.language == "python" and b.skip is None)
    if script:
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert proc.returncode == 0, f"{path.name} python blocks:\n{proc.stderr[-4000:]}"
    for block in blocks:
        if block.language != "bash" or block.skip is not None:
            continue
        for command in shell_commands(block.code):
            proc = subprocess.run(
                ["bash", "-eo", "pipefail", "-c", command],
                cwd=ROOT,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            where = f"{path.name}:{block.line}: {command}"
            assert proc.returncode == 0, f"{where}\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"


def test_readme_runs_as_written():
    run_page(ROOT / "README.md")


def test_every_skipped_block_says_why():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs" / "tutorials").glob("*.md"))]
    for page in pages:
        for block in code_blocks(page):
            if block.skip is not None:
                assert len(block.skip) > 10, f"{page.name}:{block.line}: say why it is skipped"


@pytest.mark.parametrize(
    "page",
    sorted((ROOT / "docs" / "tutorials").glob("[0-9]*.md")),
    ids=lambda p: p.stem,
)
def test_tutorial_runs_top_to_bottom(page):
    run_page(page)


def test_the_block_reader():
    page = ROOT / "README.md"
    blocks = code_blocks(page)
    assert blocks[0].language == "bash" and "make demo" in blocks[0].code
    assert shell_commands("a \\\n  b\n# c\n\nd") == ["a b", "d"]
