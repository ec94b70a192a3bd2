"""A denial hook named by a dotted path in CORSKIT_ON_DENIAL."""

from __future__ import annotations

from corskit import DenialEvent

EVENTS: list[DenialEvent] = []


def record(event: DenialEvent) -> None:
    EVENTS.append(event)
