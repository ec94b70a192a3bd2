"""The public surface is what tests/public_api.json recorded (see tests/public_api.py)."""

from __future__ import annotations

import json
from pathlib import Path

from public_api import surface

RECORDED = Path(__file__).with_name("public_api.json")


def test_public_names_and_signatures_are_the_recorded_ones() -> None:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    current = surface()
    assert sorted(current) == sorted(recorded)
    for module in recorded:
        assert current[module] == recorded[module], module
