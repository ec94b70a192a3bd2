"""Sets of characters as sorted code point intervals, with Python's ``re`` as their oracle.

A path regex may say ``\\w`` or ``[^/]``; what those match is whatever CPython's ``re`` says for
``str`` patterns (Unicode word characters, for one). Rather than keep tables that could drift
from ``re``, a class's set is read from ``re`` itself, by running the class over every code
point once. The result is exact by construction, and cached per class.
"""

from __future__ import annotations

import array
import bisect
import functools
import re
from collections.abc import Iterable, Sequence

__all__ = ["ANY", "ANY_BUT_LINE_FEED", "CharSet"]

MAX_CODE_POINT = 0x10FFFF
# Characters a counterexample is best shown with, in order of preference.
_READABLE = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~!$&'()+,;=:@/%"


class CharSet:
    """An immutable set of code points: disjoint, sorted, non-adjacent ``(low, high)`` pairs."""

    __slots__ = ("_key", "intervals")

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()) -> None:
        merged: list[tuple[int, int]] = []
        for low, high in sorted(intervals):
            if merged and low <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        self.intervals: tuple[tuple[int, int], ...] = tuple(merged)
        self._key = tuple(bound for pair in self.intervals for bound in pair)

    @classmethod
    def of(cls, chars: str) -> CharSet:
        return cls((ord(c), ord(c)) for c in chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharSet) and self.intervals == other.intervals

    def __hash__(self) -> int:
        return hash(self.intervals)

    def __repr__(self) -> str:
        return f"CharSet({self.intervals!r})"

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def __contains__(self, code: int) -> bool:
        index = bisect.bisect_right(self._key, code)
        return index % 2 == 1 or (index > 0 and self._key[index - 1] == code)

    def __or__(self, other: CharSet) -> CharSet:
        return CharSet(self.intervals + other.intervals)

    def __and__(self, other: CharSet) -> CharSet:
        return self - (ANY - other)

    def __sub__(self, other: CharSet) -> CharSet:
        result: list[tuple[int, int]] = []
        cuts = other.intervals
        for low, high in self.intervals:
            start = low
            for cut_low, cut_high in cuts:
                if cut_high < start or cut_low > high:
                    continue
                if cut_low > start:
                    result.append((start, cut_low - 1))
                start = cut_high + 1
                if start > high:
                    break
            if start <= high:
                result.append((start, high))
        return CharSet(result)

    def issuperset(self, other: CharSet) -> bool:
        return not (other - self)

    def size(self) -> int:
        return sum(high - low + 1 for low, high in self.intervals)

    def single(self) -> str | None:
        """The one character of a one-character set, else None."""
        if len(self.intervals) == 1 and self.intervals[0][0] == self.intervals[0][1]:
            return chr(self.intervals[0][0])
        return None

    def pick(self) -> str:
        """A member worth showing in a message: a readable one when there is one."""
        for char in _READABLE:
            if ord(char) in self:
                return char
        return chr(self.intervals[0][0])


ANY = CharSet([(0, MAX_CODE_POINT)])
ANY_BUT_LINE_FEED = ANY - CharSet.of("\n")


def boundaries(sets: Sequence[CharSet]) -> list[int]:
    """The points where membership in any of ``sets`` can change, sorted, starting at 0."""
    points = {0}
    for charset in sets:
        for low, high in charset.intervals:
            points.add(low)
            if high < MAX_CODE_POINT:
                points.add(high + 1)
    return sorted(points)


# A class of ASCII members only, each a plain character or an escaped punctuation mark: what
# it matches outside ASCII is known without looking (nothing; everything when negated).
_ASCII_CLASS = re.compile(r"\[(\^?)((?:[\x20-\x5b\x5d-\x7e]|\\[^A-Za-z0-9])*)\]")


@functools.lru_cache(maxsize=256)
def from_re(atom: str) -> CharSet:
    """What the single-character regex ``atom`` (a class or an escape) matches, per ``re``."""
    plain = _ASCII_CLASS.fullmatch(atom)
    if plain is not None:
        positive = f"[{plain.group(2)}]"
        members = CharSet(_runs(re.compile(f"(?:{positive})+"), "".join(map(chr, range(128)))))
        return ANY - members if plain.group(1) else members
    return CharSet(_runs(re.compile(f"(?:{atom})+"), _every_code_point()))


def _runs(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The code point intervals of ``text`` (code point i at index i) that ``pattern`` matches."""
    return [(match.start(), match.end() - 1) for match in pattern.finditer(text)]


def _every_code_point() -> str:
    """Every code point, in order, as one string (surrogates included, one by one)."""
    below = array.array("I", range(0xD800)).tobytes().decode("utf-32-le")
    surrogates = "".join(map(chr, range(0xD800, 0xE000)))
    above = array.array("I", range(0xE000, MAX_CODE_POINT + 1)).tobytes().decode("utf-32-le")
    return below + surrogates + above
