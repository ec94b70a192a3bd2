"""Every "design rule N" the code cites is one docs/design.md states."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"\b(?:design )?rule (\d+)\b", re.IGNORECASE)


def _stated_rules() -> set[int]:
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = text.split("## The protocol rules", 1)[1].split("\n## ", 1)[0]
    return {int(number) for number in re.findall(r"^(\d+)\. ", section, flags=re.MULTILINE)}


def test_design_doc_numbers_its_rules_without_gaps() -> None:
    stated = _stated_rules()
    assert stated == set(range(1, max(stated) + 1))


def test_every_cited_rule_is_stated() -> None:
    stated = _stated_rules()
    cited = {
        (path.relative_to(ROOT).as_posix(), int(number))
        for path in (ROOT / "src").rglob("*.py")
        for number in CITATION.findall(path.read_text(encoding="utf-8"))
    }
    assert cited, "the code cites design rules; the scan must find them"
    missing = sorted((path, number) for path, number in cited if number not in stated)
    assert not missing
