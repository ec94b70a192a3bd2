"""The fenced blocks of README.md and docs/*.md, found one way for every test that runs them.

A block is what a reader copies: its info string (```python, ```toml, ```sh ...), its text, the
heading it sits under, and, for a quick start, the file it is (a first line ``# main.py``
names the file; ``# mysite/settings.py, at the end`` says the lines go at the end of one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.MULTILINE)
_FILE_LINE = re.compile(r"# ([\w./-]+\.py)(, at the end)?(?:[ :].*)?$")


@dataclass(frozen=True)
class Block:
    doc: str  # relative to the repository: "README.md", "docs/flask.md"
    line: int  # the line of the block's first line of code
    info: str  # the whole info string: "python", "python run", "toml"
    code: str
    headings: tuple[str, ...]  # the enclosing headings, outermost first

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def file(self) -> str | None:
        """The file a quick-start block is (``# main.py``), or None."""
        match = _FILE_LINE.fullmatch(self.code.split("\n", 1)[0])
        return match.group(1) if match else None

    @property
    def appends(self) -> bool:
        """True when the block's lines go at the end of an existing file."""
        match = _FILE_LINE.fullmatch(self.code.split("\n", 1)[0])
        return bool(match and match.group(2))

    @property
    def section(self) -> str:
        return self.headings[-1] if self.headings else ""

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def doc_files() -> list[str]:
    """README.md and every page of docs/, as paths relative to the repository."""
    return ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]


def blocks(doc: str) -> list[Block]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    fences = list(_FENCE.finditer(text))
    inside = [(m.start(), m.end()) for m in fences]
    headings = [
        (m.start(), len(m.group(1)), m.group(2))
        for m in _HEADING.finditer(text)
        if not any(start <= m.start() < end for start, end in inside)  # a shell comment
    ]
    found = []
    for match in fences:
        stack: list[tuple[int, str]] = []
        for start, level, title in headings:
            if start > match.start():
                break
            stack = [(lvl, t) for lvl, t in stack if lvl < level] + [(level, title)]
        found.append(
            Block(
                doc=doc,
                line=text.count("\n", 0, match.start(2)) + 1,
                info=match.group(1).strip(),
                code=match.group(2),
                headings=tuple(title for _, title in stack),
            )
        )
    return found


def all_blocks() -> list[Block]:
    return [block for doc in doc_files() for block in blocks(doc)]


def python_blocks() -> list[Block]:
    return [block for block in all_blocks() if block.language == "python"]


def toml_before(block: Block) -> Block | None:
    """The nearest TOML block above ``block`` on its page: the cors.toml the block loads."""
    earlier = [b for b in blocks(block.doc) if b.language == "toml" and b.line < block.line]
    return earlier[-1] if earlier else None


def quick_starts() -> dict[str, list[Block]]:
    """The README's quick starts: heading -> its blocks, in order (files and commands)."""
    found: dict[str, list[Block]] = {}
    for block in blocks("README.md"):
        if len(block.headings) >= 3 and block.headings[1] == "Quick start":
            found.setdefault(block.section, []).append(block)
    return found
