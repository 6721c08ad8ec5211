"""Read the code blocks of the docs, so tests run exactly what a reader copies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FILE_MARK = re.compile(r"^# file: (\S+)\s*$")


@dataclass(frozen=True)
class Block:
    language: str
    text: str


def blocks(path: Path, section: str | None = None) -> list[Block]:
    """Every fenced code block of a markdown file, in order; or those under one ``## section``."""
    text = path.read_text()
    if section is not None:
        start = text.index(f"\n## {section}\n")
        end = text.find("\n## ", start + 1)
        text = text[start : end if end != -1 else len(text)]
    return [Block(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def files(path: Path) -> dict[str, str]:
    """The blocks whose first line is ``# file: PATH``, as {PATH: text}; a PATH given twice fails."""
    found: dict[str, str] = {}
    for block in blocks(path):
        first = block.text.split("\n", 1)[0]
        mark = FILE_MARK.match(first)
        if mark is None:
            continue
        name = mark.group(1)
        if name in found:
            raise ValueError(f"{path.name}: {name} is given twice")
        found[name] = block.text
    return found


def commands(block: Block) -> list[str]:
    """The shell commands of a block: one per line, comments and blank lines left out."""
    lines = []
    for line in block.text.splitlines():
        command = line.split("#", 1)[0].strip()
        if command:
            lines.append(command)
    return lines
