"""Refusing origin regexes that can take exponential time on a crafted Origin (ReDoS).

Python's ``re`` backtracks: when a match fails it tries every way the text could have been
read. If some stretch of text can be read in two ways inside a loop, ``k`` turns of the loop
give ``2**k`` readings, and an Origin of a few dozen characters blocks the server for seconds
(an event loop: every request). ``(a+)+``, ``(a|a)*`` and the label pattern
``([a-z0-9]+[a-z0-9-]*[a-z0-9]+\\.)*`` all do this.

The check is the exact test for that: exponential ambiguity of the expression's automaton
(Weber and Seidl). The parsed expression (``re._parser``, the tree ``re.compile`` uses) is
turned into a Glushkov automaton, one state per character position, whose edges count the
ways (up to two) to get from one position to the next, so that nested optional or empty
parts keep their ambiguity. The expression is exponentially ambiguous exactly when, in the
graph of pairs of positions reading the same character, one loop holds both a pair of equal
positions and a pair of different ones, or a loop of equal pairs uses a doubled edge.

Characters are judged over those a parsed Origin can hold (lower-case ASCII letters, digits
and ``_-.:/[]+``): a regex only ever sees an Origin that parsed. A possessive repetition
(``a++``) or an atomic group (``(?>...)``) never gives back what it matched, so it counts as
one step; a committed repetition of one character class is a maximal run, which whatever
follows cannot continue (so the error's suggested fixes, ``(a++)+``, pass), though a part
before it that gives back still decides where the run starts. Polynomial slowness (three or more
overlapping runs in a row) is left to the bound on the Origin's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

__all__ = ["backtracking_risk"]

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
# Characters beyond ASCII that re's IGNORECASE matches with an ASCII letter.
_FOLDS_TO_ASCII = {0x130: ord("i"), 0x131: ord("i"), 0x17F: ord("s"), 0x212A: ord("k")}
_SINGLE_CHARACTER = {sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT}
_MOST_POSITIONS = 10_000  # beyond this, ask for the expression in parts
_MOST_PAIRS = 300_000
_MOST_STEPS = 3_000_000  # pairs looked at: a bound on the check's own time (~1 s)
_FEW_COPIES = 4  # (...){1,4} is unrolled (a few tries at most); larger counts are loops
_TOO_COMPLEX = "it is too large to check; split it into several corskit.Regex entries"
_AMBIGUOUS = "some text can be read two ways inside a repetition"

Item = tuple[Any, Any]
Ways = dict[int, int]  # position -> number of ways (1 or 2) it starts or ends a part
Part = tuple[int, Ways, Ways]  # ways to match nothing (0-2), first positions, last positions


class _TooComplexError(Exception):
    pass


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` can backtrack exponentially, or None when it cannot."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None  # compiling reports it
    try:
        automaton = _Glushkov(tree.state, bool(tree.state.flags & re.IGNORECASE))
        automaton.sequence(list(tree), automaton.ignore_case)
        return automaton.look_risk or _exponentially_ambiguous(automaton)
    except Exception:  # too large, too deep, or a tree this reading does not know: say so
        return _TOO_COMPLEX


class _Glushkov:
    """Positions (each with the characters it reads) and counted edges between them."""

    def __init__(self, state: Any, ignore_case: bool) -> None:
        self.state = state  # the parse's group widths, for back-references
        self.ignore_case = ignore_case
        self.reads: list[frozenset[int]] = []
        self.edges: dict[tuple[int, int], int] = {}
        self.runs: set[int] = set()  # positions standing for a maximal committed run
        self.look_risk: str | None = None  # found inside a look-ahead or look-behind
        self.work = 0  # edges made: a bound on the check's own time

    def position(self, characters: frozenset[int]) -> Part:
        if len(self.reads) >= _MOST_POSITIONS:
            raise _TooComplexError
        self.reads.append(characters)
        index = len(self.reads) - 1
        return 0, {index: 1}, {index: 1}

    def spend(self, work: int) -> None:
        self.work += work + 1
        if self.work > _MOST_STEPS:
            raise _TooComplexError

    def link(self, last: Ways, first: Ways) -> None:
        self.spend(len(last) * len(first))
        for p, m in last.items():
            for q, n in first.items():
                self.edges[p, q] = min(2, self.edges.get((p, q), 0) + m * n)

    def then(self, left: Part, right: Part) -> Part:
        """Concatenation: ``left`` followed by ``right``."""
        empty_l, first_l, last_l = left
        empty_r, first_r, last_r = right
        self.spend(len(first_l) + len(first_r) + len(last_l) + len(last_r))
        self.link(last_l, first_r)
        first = _add(first_l, _scaled(first_r, empty_l))
        last = _add(last_r, _scaled(last_l, empty_r))
        return min(2, empty_l * empty_r), first, last

    def sequence(self, items: list[Item], ignore_case: bool) -> Part:
        part: Part = (1, {}, {})
        for item in items:
            part = self.then(part, self.item(item, ignore_case))
        return part

    def item(self, item: Item, ignore_case: bool) -> Part:
        op, argument = item
        if op in _SINGLE_CHARACTER:
            return self.position(_reads(op, argument, ignore_case))
        if op is sre.SUBPATTERN:
            _, add_flags, del_flags, body = argument
            if add_flags & re.IGNORECASE:
                ignore_case = True
            if del_flags & re.IGNORECASE:
                ignore_case = False
            return self.sequence(list(body), ignore_case)
        if op is sre.BRANCH:
            return self.either([list(alt) for alt in argument[1]], ignore_case)
        if op is sre.GROUPREF_EXISTS:
            _, yes, no = argument
            return self.either([list(yes), list(no) if no else []], ignore_case)
        if op in _REPEATS:
            return self.repeat(argument, ignore_case)
        if op is sre.POSSESSIVE_REPEAT or op is sre.ATOMIC_GROUP:
            return self.committed(item, ignore_case)
        if op is sre.GROUPREF:  # a back-reference can stand for any text
            _, first, last = self.position(_ALPHABET)
            (index,) = first
            self.edges[index, index] = 1
            return 1, first, last
        if op is sre.ASSERT or op is sre.ASSERT_NOT:
            # It reads nothing here, but it is tried in full, backtracking and all.
            inner = _Glushkov(self.state, ignore_case)
            inner.sequence(list(argument[1]), ignore_case)
            self.look_risk = self.look_risk or _exponentially_ambiguous(inner)
        return 1, {}, {}  # anchors and look-arounds read nothing

    def either(self, alternatives: list[list[Item]], ignore_case: bool) -> Part:
        empty, first, last = 0, dict[int, int](), dict[int, int]()
        for alternative in alternatives:
            e, f, l_ = self.sequence(alternative, ignore_case)
            empty, first, last = min(2, empty + e), _add(first, f), _add(last, l_)
        return empty, first, last

    def repeat(self, argument: Any, ignore_case: bool) -> Part:
        low, high, body = argument
        body = list(body)
        part: Part = (1, {}, {})
        if high > _FEW_COPIES:
            # A loop, also when bounded: two ways a turn, 64 turns, is 2**64 tries. At most
            # two mandatory copies matter for ambiguity, then the loop itself.
            for _ in range(min(low, 2)):
                part = self.then(part, self.sequence(body, ignore_case))
            empty, first, last = self.sequence(body, ignore_case)
            self.link(last, first)
            return self.then(part, (min(2, 1 + empty), first, last))
        for _ in range(low):
            part = self.then(part, self.sequence(body, ignore_case))
        return self.then(part, self.optionals(body, high - low, ignore_case))

    def optionals(self, body: list[Item], count: int, ignore_case: bool) -> Part:
        """``body{0,count}`` as ``(body(body(...)?)?)?``: one way to take each count."""
        if count == 0:
            return 1, {}, {}
        empty, first, last = self.then(
            self.sequence(body, ignore_case), self.optionals(body, count - 1, ignore_case)
        )
        return min(2, 1 + empty), first, last

    def committed(self, item: Item, ignore_case: bool) -> Part:
        """A possessive repetition or atomic group, which never gives back what it matched."""
        if not _is_maximal_run(item):
            # Read as if it could give back: that only over-counts the ways, never misses one.
            return self.item(_released(item), ignore_case)
        # 'x++', '(?>[a-z]+)': it reads every character it can, so whatever follows starts
        # with one it cannot read ('(a++)+' is linear). A part before it that gives back still
        # decides where it starts ('[a-z]+x++' reads 'axx' two ways).
        low, _, body = _repeat_of(item)
        (single,) = body
        _, first, last = self.position(_reads(single[0], single[1], ignore_case))
        (index,) = first
        self.runs.add(index)
        return (1 if low == 0 else 0), first, last


def _is_maximal_run(item: Item) -> bool:
    """A committed greedy repetition of one character class: it stops only where it must."""
    repeat = _repeat_of(item)
    if repeat is None:
        return False
    _, high, body = repeat
    # Unbounded only: 'a{1,2}+' can stop while the next character still reads as its own.
    return high == sre.MAXREPEAT and len(body) == 1 and body[0][0] in _SINGLE_CHARACTER


def _repeat_of(item: Item) -> Any:
    """The (low, high, body) of ``x++`` or ``(?>x+)``, else None."""
    op, argument = item
    if op is sre.POSSESSIVE_REPEAT:
        return argument
    if op is sre.ATOMIC_GROUP and len(argument) == 1 and argument[0][0] is sre.MAX_REPEAT:
        return argument[0][1]
    return None


def _released(item: Item) -> Item:
    """The same part without the commitment, to learn what it reads and if it can be empty."""
    op, argument = item
    if op is sre.POSSESSIVE_REPEAT:
        return sre.MAX_REPEAT, argument
    return sre.SUBPATTERN, (None, 0, 0, argument)


def _reads(op: Any, argument: Any, ignore_case: bool) -> frozenset[int]:
    """The characters of a parsed Origin that one single-character item reads."""
    if op is sre.ANY:
        return _ALPHABET
    if op is sre.LITERAL:
        return _folded({argument}, ignore_case)
    if op is sre.NOT_LITERAL:
        return _ALPHABET - _folded({argument}, ignore_case)
    members: set[int] = set()
    negate = False
    for kind, value in argument:
        if kind is sre.NEGATE:
            negate = True
        elif kind is sre.LITERAL:
            members.add(value)
        elif kind is sre.RANGE:
            low, high = value
            members.update(c for c in range(low, min(high, 0x7F) + 1))
            members.update(c for c in _FOLDS_TO_ASCII if low <= c <= high)
        elif kind is sre.CATEGORY:
            members |= _CATEGORIES.get(value, _ALPHABET)
        else:
            members |= _ALPHABET
    folded = _folded(members, ignore_case)
    return _ALPHABET - folded if negate else folded


def _folded(characters: set[int], ignore_case: bool) -> frozenset[int]:
    if ignore_case:  # an 'A' (or a Kelvin sign) in the pattern reads the 'a' of an Origin
        characters = characters | {c + 32 for c in characters if 65 <= c <= 90}
        characters |= {_FOLDS_TO_ASCII[c] for c in characters if c in _FOLDS_TO_ASCII}
    return frozenset(characters) & _ALPHABET


def _add(left: Ways, right: Ways) -> Ways:
    merged = dict(left)
    for position, ways in right.items():
        merged[position] = min(2, merged.get(position, 0) + ways)
    return merged


def _scaled(ways: Ways, factor: int) -> Ways:
    return {position: min(2, count * factor) for position, count in ways.items() if factor}


def _exponentially_ambiguous(automaton: _Glushkov) -> str | None:
    """Weber-Seidl on the pairs of positions that can read the same character."""
    reads, runs = automaton.reads, automaton.runs
    steps: dict[int, list[tuple[int, frozenset[int]]]] = {p: [] for p in range(len(reads))}
    for p in runs:
        steps[p].append((p, reads[p]))  # a run goes on reading
    for (p, q), _ in automaton.edges.items():
        # What follows a run starts with a character the run cannot read.
        characters = reads[q] - reads[p] if p in runs else reads[q]
        if characters:
            steps[p].append((q, characters))

    budget = [_MOST_STEPS]

    def neighbours(pair: tuple[int, int]) -> Iterator[tuple[int, int]]:
        p, q = pair
        budget[0] -= len(steps[p]) * len(steps[q])
        if budget[0] < 0:
            raise _TooComplexError
        for p2, read_p in steps[p]:
            for q2, read_q in steps[q]:
                if not read_p.isdisjoint(read_q):
                    yield p2, q2

    components = _strong_components([(p, p) for p in range(len(reads)) if reads[p]], neighbours)
    for members in components:
        diagonal = [pair for pair in members if pair[0] == pair[1]]
        if not diagonal:
            continue
        if len(members) > len(diagonal):
            return _AMBIGUOUS
        inside = set(members)
        for p, _ in diagonal:
            for p2, _ in steps[p]:
                if automaton.edges.get((p, p2), 0) >= 2 and (p2, p2) in inside:
                    return _AMBIGUOUS
    return None


def _strong_components(
    roots: list[tuple[int, int]],
    neighbours: Any,
) -> list[list[tuple[int, int]]]:
    """Tarjan's algorithm, iterative, over the pairs reachable from ``roots``."""
    index: dict[tuple[int, int], int] = {}
    lowest: dict[tuple[int, int], int] = {}
    on_stack: set[tuple[int, int]] = set()
    stack: list[tuple[int, int]] = []
    components: list[list[tuple[int, int]]] = []
    for root in roots:
        if root in index:
            continue
        index[root] = lowest[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, neighbours(root))]
        while work:
            node, pending = work[-1]
            for following in pending:
                if following not in index:
                    if len(index) >= _MOST_PAIRS:
                        raise _TooComplexError
                    index[following] = lowest[following] = len(index)
                    stack.append(following)
                    on_stack.add(following)
                    work.append((following, neighbours(following)))
                    break
                if following in on_stack:
                    lowest[node] = min(lowest[node], index[following])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowest[parent] = min(lowest[parent], lowest[node])
                if lowest[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == node:
                            break
                    components.append(members)
    return components
