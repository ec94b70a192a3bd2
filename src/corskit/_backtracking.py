"""Refusing origin regexes that can take exponential time on a crafted Origin (ReDoS).

Python's ``re`` backtracks. A repetition nested in a repetition, such as ``(a+)+``, lets the
same text be split between iterations in exponentially many ways, and an Origin a little over
twenty characters long then blocks the server for seconds (an event loop: every request).
Origins are bounded and parsed before a regex sees them, which keeps any other expression
cheap; these shapes are the ones the bound cannot save, so configuration refuses them.

The check reads the parsed expression (``re._parser``, the tree ``re.compile`` itself uses)
and flags a repeated group when either:

* its length can vary inside (an inner repetition, an optional part) and no fixed part at
  the start or end of a turn that the varying parts cannot match, such as the dot in
  ``([a-z0-9-]+\\.)*``, marks where one turn ends (a mark in the middle, as in
  ``([a-z]+-[a-z]+)+``, leaves the boundary between two turns free); or
* it holds alternatives that can start with the same character, such as ``(ab|a\\w)+``.

Possessive repetitions (``a++``) and atomic groups (``(?>...)``) never backtrack into what
they matched, so they are the fix and pass the check.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

__all__ = ["backtracking_risk"]

# Characters are judged over those a serialized origin can hold: a regex only ever sees an
# Origin that parsed (lower-case scheme and host, digits, '-', '_', '.', ':', '/', '[]').
_ALPHABET = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-.:/[]+")
_DIGITS = frozenset(b"0123456789")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_CATEGORIES: dict[Any, frozenset[int]] = {
    sre.CATEGORY_DIGIT: _DIGITS,
    sre.CATEGORY_NOT_DIGIT: _ALPHABET - _DIGITS,
    sre.CATEGORY_SPACE: frozenset(),
    sre.CATEGORY_NOT_SPACE: _ALPHABET,
    sre.CATEGORY_WORD: _WORD,
    sre.CATEGORY_NOT_WORD: _ALPHABET - _WORD,
}

_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT}
_SINGLE_CHARACTER = {sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN}
_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}
_VARIABLE = {sre.BRANCH, sre.GROUPREF, sre.GROUPREF_EXISTS}

Item = tuple[Any, Any]


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` can backtrack exponentially, or None when it cannot in these ways."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None  # compiling reports it
    checker = _Checker(tree.state)
    try:
        return checker.find(list(tree))
    except RecursionError:
        return "it is nested too deeply to be checked"
    except Exception:  # a parse tree this reading does not know: say nothing, never crash
        return None


class _Checker:
    def __init__(self, state: Any) -> None:
        self._state = state
        self._ignore_case = bool(state.flags & re.IGNORECASE)

    def find(self, sequence: list[Item]) -> str | None:
        for op, argument in sequence:
            if op in _REPEATS:
                _, high, body = argument
                if high > 1:
                    reason = self._repeat_risk(list(body))
                    if reason is not None:
                        return reason
                found = self.find(list(body))
            else:  # a possessive repetition or atomic group is itself safe, not what it holds
                found = None
                for child in _children(op, argument):
                    found = found or self.find(child)
            if found is not None:
                return found
        return None

    def _repeat_risk(self, body: list[Item]) -> str | None:
        flat = _flatten(body)
        backtracking = _walk(flat, into_committed=False)
        for op, argument in backtracking:
            if op is sre.BRANCH:
                empty = [a for a in argument[1] if all(self._can_be_empty(i) for i in a)]
                if len(empty) > 1:  # (a|a)* is parsed as a(?:|): two ways to read nothing
                    return "a repeated group whose alternatives can start alike"
                seen: set[int] = set()
                for alternative in argument[1]:
                    first = self._first_characters(list(alternative))
                    if not seen.isdisjoint(first):
                        return "a repeated group whose alternatives can start alike"
                    seen |= first
        if self._turn_is_marked(flat):
            return None
        return "a repetition inside a repeated group, with nothing that ends each turn"

    def _turn_is_marked(self, flat: list[Item]) -> bool:
        """Whether one turn of a repetition can only end one way."""
        variable = [i for i in _walk(flat, into_committed=False) if self._is_variable(i)]
        if not variable:
            return True  # every turn has the same length: the turns cannot shift
        stretchable = self._characters(variable)
        consuming = [item for item in flat if item[0] not in _ZERO_WIDTH]
        for item in consuming[:1] + consuming[-1:]:  # only a mark at a turn's edge fixes it
            low, high = self._width(item)
            if low == high >= 1 and self._characters([item]).isdisjoint(stretchable):
                return True  # e.g. the dot of ([a-z0-9-]+\.)*: it ends each turn
        if len(flat) == 1 and flat[0][0] is sre.BRANCH:
            # Alternatives that start differently (checked above): each must end its own way.
            return all(self._turn_is_marked(_flatten(list(alt))) for alt in flat[0][1][1])
        return False

    def _is_variable(self, item: Item) -> bool:
        if item[0] not in _REPEATS and item[0] not in _VARIABLE:
            return False
        low, high = self._width(item)
        return low != high

    def _width(self, item: Item) -> tuple[int, int]:
        low, high = sre_parse.SubPattern(self._state, [item]).getwidth()
        return int(low), int(high)

    def _characters(self, sequence: list[Item]) -> frozenset[int]:
        """Every character the sequence can consume (an over-estimate is safe)."""
        found: set[int] = set()
        for op, argument in _walk(sequence, into_committed=True):
            if op in _SINGLE_CHARACTER:
                found |= self._single(op, argument)
            elif op is sre.GROUPREF or op is sre.GROUPREF_EXISTS:
                found |= _ALPHABET
        return frozenset(found)

    def _first_characters(self, sequence: list[Item]) -> set[int]:
        first: set[int] = set()
        for item in sequence:
            op, argument = item
            if op in _SINGLE_CHARACTER:
                first |= self._single(op, argument)
            elif op in _ZERO_WIDTH:
                continue
            else:
                first |= self._characters([item])  # groups, repeats: an over-estimate
            if not self._can_be_empty(item):
                break
        return first

    def _single(self, op: Any, argument: Any) -> frozenset[int]:
        if op is sre.ANY:
            return _ALPHABET
        if op is sre.LITERAL:
            return self._cased({argument})
        if op is sre.NOT_LITERAL:
            return _ALPHABET - self._cased({argument})
        members: set[int] = set()
        negate = False
        for kind, value in argument:
            if kind is sre.NEGATE:
                negate = True
            elif kind is sre.LITERAL:
                members.add(value)
            elif kind is sre.RANGE:
                low, high = value
                members.update(c for c in _ALPHABET if low <= c <= high)
            elif kind is sre.CATEGORY:
                members |= _CATEGORIES.get(value, _ALPHABET)
            else:
                members |= _ALPHABET
        members = set(self._cased(members))
        return _ALPHABET - members if negate else frozenset(members)

    def _cased(self, characters: set[int]) -> frozenset[int]:
        """The characters as matched: under IGNORECASE an 'A' in the pattern reads an 'a'."""
        if self._ignore_case:
            characters = characters | {c + 32 for c in characters if 65 <= c <= 90}  # A-Z
        return frozenset(characters) & _ALPHABET

    def _can_be_empty(self, item: Item) -> bool:
        op, argument = item
        if op in _SINGLE_CHARACTER:
            return False
        if op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
            return bool(argument[0] == 0 or all(self._can_be_empty(i) for i in argument[2]))
        if op is sre.SUBPATTERN:
            return all(self._can_be_empty(i) for i in argument[3])
        if op is sre.ATOMIC_GROUP:
            return all(self._can_be_empty(i) for i in argument)
        if op is sre.BRANCH:
            return any(all(self._can_be_empty(i) for i in alt) for alt in argument[1])
        return True  # zero-width assertions, back-references, conditionals


def _children(op: Any, argument: Any) -> list[list[Item]]:
    """The sub-sequences inside one parsed item."""
    if op is sre.SUBPATTERN:
        return [list(argument[3])]
    if op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
        return [list(argument[2])]
    if op is sre.ATOMIC_GROUP:
        return [list(argument)]
    if op is sre.BRANCH:
        return [list(alternative) for alternative in argument[1]]
    if op is sre.ASSERT or op is sre.ASSERT_NOT:
        return [list(argument[1])]
    if op is sre.GROUPREF_EXISTS:
        return [list(branch) for branch in argument[1:] if branch is not None]
    return []


def _flatten(sequence: list[Item]) -> list[Item]:
    """A group's items in line with its neighbours: ``(a+)`` is ``a+`` for these checks."""
    flat: list[Item] = []
    for op, argument in sequence:
        if op is sre.SUBPATTERN:
            flat.extend(_flatten(list(argument[3])))
        else:
            flat.append((op, argument))
    return flat


def _walk(sequence: list[Item], *, into_committed: bool) -> list[Item]:
    """Every item in the sequence and inside it; possessive and atomic parts, which never
    give back what they matched, only when ``into_committed``."""
    found: list[Item] = []
    for op, argument in sequence:
        if not into_committed and (op is sre.POSSESSIVE_REPEAT or op is sre.ATOMIC_GROUP):
            continue
        found.append((op, argument))
        for child in _children(op, argument):
            found.extend(_walk(child, into_committed=into_committed))
    return found
