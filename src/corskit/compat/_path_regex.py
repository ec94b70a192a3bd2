"""A path regex as ``re.match`` reads it: parsed into a tree, then into an automaton.

flask-cors (resources) and django-cors-headers (``CORS_URLS_REGEX``) decide whether a path
gets CORS with ``re.match(regex, path)``: anchored at the start only, so any path that merely
*begins* with a match is covered, unless the regex ends in ``$`` (the end, or just before a
final line feed) or ``\\Z`` (the end). This module reads the regex with exactly those rules so
that :mod:`._path_globs` can decide, on automata, whether a glob covers the same paths.

Only what can be read exactly is read: literals, escapes, ``.``, classes, groups, alternation
and the greedy or lazy quantifiers (laziness does not change which paths match), with ``^``
or ``\\A`` starting and ``$`` or ``\\Z`` ending a top-level branch. Anything else (look-arounds,
back-references, ``\\b``, possessive and atomic repeats, inline flags, anchors elsewhere) is
:class:`UnreadableRegexError`, and the caller refuses the regex rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._charset import ANY, ANY_BUT_LINE_FEED, CharSet, from_re

__all__ = ["Alt", "Branch", "Char", "Node", "Rep", "Seq", "UnreadableRegexError", "parse"]

MAX_REPEAT = 64  # a count above this is refused: the automaton grows with the count


class UnreadableRegexError(Exception):
    """The regex uses a construct this reader does not model exactly."""


@dataclass(frozen=True)
class Char:
    chars: CharSet


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True)
class Rep:
    item: Node
    low: int
    high: int | None  # None: unbounded


Node = Char | Seq | Alt | Rep
Ending = Literal["open", "dollar", "end"]  # no anchor (re.match: a prefix), '$', '\Z'


@dataclass(frozen=True)
class Branch:
    """One top-level alternative and how it ends."""

    body: Node
    ending: Ending


_SINGLE_ESCAPES = frozenset("dDwWsSafnrtvxuUN0")
_UNSUPPORTED_ESCAPES = {"b": "a word boundary (\\b)", "B": "a non-boundary (\\B)"}


def parse(pattern: str) -> tuple[Branch, ...]:
    """The top-level branches of ``pattern``; raises UnreadableRegexError or ``re.error``."""
    re.compile(pattern)  # a regex re refuses is the caller's error to report, as re words it
    return _Parser(pattern).branches()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    # -- top level: anchors are read here only -------------------------------------------

    def branches(self) -> tuple[Branch, ...]:
        found = [self._branch()]
        while self._take("|"):
            found.append(self._branch())
        if self.at != len(self.text):  # pragma: no cover - re.compile accepted it
            raise UnreadableRegexError(f"unexpected {self.text[self.at]!r}")
        return tuple(found)

    def _branch(self) -> Branch:
        while self._take("^") or self._take("\\A"):
            pass  # re.match is anchored at the start already
        items: list[Node] = []
        ending: Ending = "open"
        while not self._done() and self._peek() != "|":
            if self._take("$"):
                ending = "dollar"
                break
            if self._take("\\Z"):
                ending = "end"
                break
            items.append(self._quantified())
        if not self._done() and self._peek() != "|":
            raise UnreadableRegexError("an anchor ('$' or '\\Z') before the end of a branch")
        return Branch(Seq(tuple(items)), ending)

    # -- inside ---------------------------------------------------------------------------

    def _alternation(self) -> Node:
        options = [self._sequence()]
        while self._take("|"):
            options.append(self._sequence())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def _sequence(self) -> Node:
        items: list[Node] = []
        while not self._done() and self._peek() not in "|)":
            items.append(self._quantified())
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def _quantified(self) -> Node:
        item = self._atom()
        while self._take("(?#"):  # re drops comments, so a quantifier after one is the item's
            self.at = self.text.index(")", self.at) + 1
        bounds = self._quantifier()
        if bounds is None:
            return item
        low, high = bounds
        if self._take("+"):
            raise UnreadableRegexError("a possessive repeat")
        self._take("?")  # lazy: the same paths match, only the match found differs
        if low > MAX_REPEAT or (high is not None and high > MAX_REPEAT):
            raise UnreadableRegexError(f"a repeat count above {MAX_REPEAT}")
        return Rep(item, low, high)

    def _quantifier(self) -> tuple[int, int | None] | None:
        if self._take("*"):
            return 0, None
        if self._take("+"):
            return 1, None
        if self._take("?"):
            return 0, 1
        found = re.compile(r"\{(\d*)(,(\d*))?\}").match(self.text, self.at)
        if found is None or found.group(0) == "{}":
            return None  # re reads such a brace as a literal
        self.at = found.end()
        low = int(found.group(1) or 0)
        if found.group(2) is None:
            return low, low
        return low, int(found.group(3)) if found.group(3) else None

    def _atom(self) -> Node:
        char = self._next()
        if char == "(":
            return self._group()
        if char == "[":
            return Char(from_re(self._class()))
        if char == ".":
            return Char(ANY_BUT_LINE_FEED)
        if char == "\\":
            return self._escape()
        if char in "^$":
            raise UnreadableRegexError(f"an anchor ({char!r}) inside the regex")
        return Char(CharSet.of(char))

    def _group(self) -> Node:
        if self._take("?"):
            if self._take(":"):
                pass
            elif self._take("P<"):
                end = self.text.index(">", self.at)
                self.at = end + 1
            elif self._take("#"):
                self.at = self.text.index(")", self.at) + 1
                return Seq(())
            else:
                kind = {
                    "=": "a look-ahead",
                    "!": "a look-ahead",
                    "<": "a look-behind",
                    ">": "an atomic group",
                    "P": "a back-reference",
                    "(": "a conditional group",
                }.get(self._peek(), "an inline flag")
                raise UnreadableRegexError(kind)
        inner = self._alternation()
        if not self._take(")"):  # pragma: no cover - re.compile accepted it
            raise UnreadableRegexError("an unclosed group")
        return inner

    def _class(self) -> str:
        """The text of a ``[...]`` class (the opening bracket already read)."""
        start = self.at - 1
        self._take("^")
        self._take("]")  # a ']' first is a member
        while self._peek() != "]":
            if self._next() == "\\":
                self._next()
        self._next()
        return self.text[start : self.at]

    def _escape(self) -> Node:
        char = self._next()
        if char in _UNSUPPORTED_ESCAPES:
            raise UnreadableRegexError(_UNSUPPORTED_ESCAPES[char])
        if char in "AZ":
            raise UnreadableRegexError(f"an anchor (\\{char}) inside the regex")
        if char.isdigit() and char != "0":
            octal = re.compile(r"[0-3][0-7]{2}").match(self.text, self.at - 1)
            if octal is None:
                raise UnreadableRegexError("a back-reference")
            self.at = octal.end()
            return Char(CharSet.of(chr(int(octal.group(0), 8))))
        if char in _SINGLE_ESCAPES:
            start = self.at - 2
            self.at = _escape_end(self.text, start)
            return Char(from_re(self.text[start : self.at]))
        if char.isalnum():  # pragma: no cover - re.compile refuses unknown letter escapes
            raise UnreadableRegexError(f"the escape \\{char}")
        return Char(CharSet.of(char))

    # -- reading --------------------------------------------------------------------------

    def _done(self) -> bool:
        return self.at >= len(self.text)

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _next(self) -> str:
        char = self._peek()
        if not char:  # pragma: no cover - re.compile accepted it
            raise UnreadableRegexError("an unexpected end")
        self.at += 1
        return char

    def _take(self, token: str) -> bool:
        if self.text.startswith(token, self.at):
            self.at += len(token)
            return True
        return False


_ESCAPE_TAIL = {
    "x": re.compile(r"[0-9a-fA-F]{2}"),
    "u": re.compile(r"[0-9a-fA-F]{4}"),
    "U": re.compile(r"[0-9a-fA-F]{8}"),
    "N": re.compile(r"\{[^}]*\}"),
    "0": re.compile(r"[0-7]{0,2}"),
}


def _escape_end(text: str, start: int) -> int:
    """Where the escape starting at ``text[start]`` (a backslash) ends."""
    letter = text[start + 1]
    tail = _ESCAPE_TAIL.get(letter)
    if tail is None:
        return start + 2
    found = tail.match(text, start + 2)
    assert found is not None  # re.compile accepted the pattern
    return found.end()


ANY_CHAR = Char(ANY)
