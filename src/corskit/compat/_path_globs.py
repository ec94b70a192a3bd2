"""Which path globs cover exactly the paths a path regex covers, decided on automata.

corskit routes with shell globs (``fnmatch``: ``*`` is any text, slashes and line feeds
included; ``?`` any one character; ``[...]`` a class). A peer covered a path when
``re.match(regex, path)`` succeeded. :func:`translate` proposes globs for a regex (one per
alternative it can spell out, at most :data:`MAX_GLOBS`) and then *decides* the question on
the automata of both sides, over every path a router can pass (any text after a leading
``/``):

- ``exact``: the globs cover the same paths, all of them;
- else ``line_feeds_only``: they differ only on paths that contain a line feed (``%0A`` once
  decoded), where ``re``'s ``.`` and ``$`` treat the line feed specially and a glob does not;
- else neither, and ``counterexample`` is a shortest path on which they differ.

``r"/test_acl*"`` is ``/test_ac*`` exactly (``re.match`` needs only a prefix, and ``l*`` may be
empty), so is ``r"/api_\\w*"`` as ``/api_*``; ``r"^/api/.*$"`` is ``/api/*`` on line-feed-free
paths only; ``r"^/api/v\\d+/"`` is no glob (``\\d`` is any Unicode digit, one or more).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._charset import ANY, ANY_BUT_LINE_FEED, CharSet, boundaries
from ._path_regex import Alt, Branch, Char, Node, Rep, Seq, parse

__all__ = ["MAX_GLOBS", "Translation", "translate"]

MAX_GLOBS = 8
SLASH = CharSet.of("/")
_CLASS_PUNCTUATION = "_./:@+,;=%$'()*?"  # members a fnmatch class reads literally
_RANGES = (("0", "9"), ("a", "z"), ("A", "Z"))


@dataclass(frozen=True)
class GChar:
    """One character from ``chars``."""

    chars: CharSet


@dataclass(frozen=True)
class GStar:
    """Any number of characters from ``chars``."""

    chars: CharSet


Token = GChar | GStar


@dataclass(frozen=True)
class Translation:
    globs: tuple[str, ...]  # empty: the regex covers no path at all
    exact: bool
    line_feeds_only: bool
    counterexample: str | None  # a path the two sides disagree on (None when exact)
    regex_covers_counterexample: bool


def translate(pattern: str) -> Translation | None:
    """The globs for ``pattern`` and how exact they are; None: no glob proposal at all.

    Raises ``re.error`` for an invalid regex and ``_path_regex.UnreadableRegexError`` for one this
    module does not read exactly.
    """
    branches = parse(pattern)
    regex = _regex_automaton(branches)
    if _difference(regex, _Automaton.empty(), ANY) is None:
        return Translation((), True, False, None, False)  # covers no path: nothing to route
    proposed = _propose(branches)
    if proposed is None:
        return None
    globs = _Automaton.of_globs(proposed)
    texts = tuple(dict.fromkeys(_render(tokens) for tokens in proposed))
    everywhere = _difference(regex, globs, ANY)
    if everywhere is None:
        return Translation(texts, True, False, None, False)
    without_line_feeds = _difference(regex, globs, ANY_BUT_LINE_FEED)
    shown = everywhere if without_line_feeds is None else without_line_feeds
    return Translation(texts, False, without_line_feeds is None, shown[0], shown[1])


# -- automata ------------------------------------------------------------------------------


class _Automaton:
    """A nondeterministic automaton over code points, with epsilon moves."""

    def __init__(self) -> None:
        self.moves: list[list[tuple[CharSet, int]]] = []
        self.epsilon: list[list[int]] = []
        self.finals: set[int] = set()
        self.start = self.state()

    def state(self) -> int:
        self.moves.append([])
        self.epsilon.append([])
        return len(self.moves) - 1

    def link(self, source: int, target: int, chars: CharSet | None = None) -> None:
        if chars is None:
            self.epsilon[source].append(target)
        elif chars:
            self.moves[source].append((chars, target))

    def closure(self, states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        todo = list(seen)
        while todo:
            for target in self.epsilon[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return frozenset(seen)

    @classmethod
    def empty(cls) -> _Automaton:
        return cls()

    @classmethod
    def of_globs(cls, globs: Sequence[Sequence[Token]]) -> _Automaton:
        automaton = cls()
        for tokens in globs:
            at = automaton.state()
            automaton.link(automaton.start, at)
            for token in tokens:
                if isinstance(token, GStar):
                    automaton.link(at, at, token.chars)
                else:
                    following = automaton.state()
                    automaton.link(at, following, token.chars)
                    at = following
            automaton.finals.add(at)
        return automaton


def _regex_automaton(branches: Sequence[Branch]) -> _Automaton:
    """The paths ``re.match`` accepts: a prefix match unless the branch ends in $ or \\Z."""
    automaton = _Automaton()
    for branch in branches:
        start, end = _fragment(automaton, branch.body)
        automaton.link(automaton.start, start)
        automaton.finals.add(end)
        if branch.ending == "open":  # anything may follow what matched
            automaton.link(end, end, ANY)
        elif branch.ending == "dollar":  # '$' also matches before a final line feed
            after = automaton.state()
            automaton.link(end, after, CharSet.of("\n"))
            automaton.finals.add(after)
    return automaton


def _fragment(automaton: _Automaton, node: Node) -> tuple[int, int]:
    start = automaton.state()
    if isinstance(node, Char):
        end = automaton.state()
        automaton.link(start, end, node.chars)
        return start, end
    if isinstance(node, Seq):
        end = start
        for item in node.items:
            first, last = _fragment(automaton, item)
            automaton.link(end, first)
            end = last
        return start, end
    if isinstance(node, Alt):
        end = automaton.state()
        for option in node.options:
            first, last = _fragment(automaton, option)
            automaton.link(start, first)
            automaton.link(last, end)
        return start, end
    end = start
    for _ in range(node.low):
        first, last = _fragment(automaton, node.item)
        automaton.link(end, first)
        end = last
    if node.high is None:
        first, last = _fragment(automaton, node.item)
        automaton.link(end, first)
        automaton.link(last, end)
        return start, end
    finish = automaton.state()
    automaton.link(end, finish)
    for _ in range(node.high - node.low):
        first, last = _fragment(automaton, node.item)
        automaton.link(end, first)
        automaton.link(last, finish)
        end = last
    return start, finish


def _difference(a: _Automaton, b: _Automaton, alphabet: CharSet) -> tuple[str, bool] | None:
    """A shortest path ('/' then characters of ``alphabet``) in exactly one language.

    Breadth-first over pairs of state sets (the two automata determinized together); the bool
    says whether ``a`` accepts the path. None: the languages agree on every such path.
    """
    first = (_step(a, a.closure([a.start]), SLASH), _step(b, b.closure([b.start]), SLASH))
    parents: dict[_Pair, tuple[_Pair | None, str]] = {first: (None, "/")}
    queue = deque([first])
    while queue:
        pair = queue.popleft()
        in_a, in_b = bool(pair[0] & a.finals), bool(pair[1] & b.finals)
        if in_a != in_b:
            return _path(parents, pair), in_a
        for chars, following in _successors(a, b, pair, alphabet):
            if following not in parents and (following[0] or following[1]):
                parents[following] = (pair, chars.pick())
                queue.append(following)
    return None


_Pair = tuple[frozenset[int], frozenset[int]]


def _path(parents: dict[_Pair, tuple[_Pair | None, str]], pair: _Pair) -> str:
    chars: list[str] = []
    at: _Pair | None = pair
    while at is not None:
        at, char = parents[at]
        chars.append(char)
    return "".join(reversed(chars))


def _step(automaton: _Automaton, states: frozenset[int], chars: CharSet) -> frozenset[int]:
    code = chars.intervals[0][0]
    targets = [t for s in states for label, t in automaton.moves[s] if code in label]
    return automaton.closure(targets)


def _successors(
    a: _Automaton,
    b: _Automaton,
    pair: _Pair,
    alphabet: CharSet,
) -> list[tuple[CharSet, _Pair]]:
    """The distinct next pairs, each with the characters that lead there."""
    moves = [(0, label, t) for s in pair[0] for label, t in a.moves[s]]
    moves += [(1, label, t) for s in pair[1] for label, t in b.moves[s]]
    points = boundaries([alphabet, *(label for _, label, _ in moves)])
    grouped: dict[_Pair, list[tuple[int, int]]] = {}
    by_signature: dict[tuple[bool, ...], _Pair] = {}
    for index, low in enumerate(points):
        if low not in alphabet:
            continue
        high = points[index + 1] - 1 if index + 1 < len(points) else ANY.intervals[0][1]
        signature = tuple(low in label for _, label, _ in moves)
        following = by_signature.get(signature)
        if following is None:
            hits = [(side, t) for (side, _, t), hit in zip(moves, signature, strict=True) if hit]
            following = (
                a.closure(t for side, t in hits if side == 0),
                b.closure(t for side, t in hits if side == 1),
            )
            by_signature[signature] = following
        grouped.setdefault(following, []).append((low, high))
    return [(CharSet(spans), following) for following, spans in grouped.items()]


# -- proposing globs -----------------------------------------------------------------------


def _propose(branches: Sequence[Branch]) -> list[tuple[Token, ...]] | None:
    """Globs that spell out the regex where they can, the nearest superset where not."""
    proposed: list[tuple[Token, ...]] = []
    for branch in branches:
        spelled = _spell(branch.body)
        if spelled is None:
            return None
        for tokens in spelled:
            tail: list[Token] = [GStar(ANY)] if branch.ending == "open" else []
            tidy = _tidy([*tokens, *tail])
            if tidy is not None:
                proposed.append(tidy)
            if len(proposed) > MAX_GLOBS:
                return None
    return proposed


def _spell(node: Node) -> list[list[Token]] | None:
    if isinstance(node, Char):
        return [[GChar(node.chars)]]
    if isinstance(node, Seq):
        return _product([_spell(item) for item in node.items])
    if isinstance(node, Alt):
        if all(isinstance(option, Char) for option in node.options):
            union = CharSet()
            for option in node.options:
                assert isinstance(option, Char)
                union = union | option.chars
            return [[GChar(union)]]
        options = [_spell(option) for option in node.options]
        if any(option is None for option in options):
            return None
        flat = [tokens for option in options if option is not None for tokens in option]
        return flat if len(flat) <= MAX_GLOBS else None
    return _spell_repeat(node)


def _spell_repeat(node: Rep) -> list[list[Token]] | None:
    item, low, high = node.item, node.low, node.high
    if isinstance(item, Char):
        fixed: list[Token] = [GChar(item.chars)] * low
        if high is None:
            return [[*fixed, GStar(item.chars)]]
        if high - low <= 2:
            return [[*fixed, *[GChar(item.chars)] * extra] for extra in range(high - low + 1)]
        return [[*fixed, GStar(item.chars)]]  # the nearest superset; the decision will tell
    once = _spell(item)
    if once is None:
        return None
    if high == low:
        return _product([once] * low)
    if (low, high) == (0, 1):
        return [[], *once]
    required = _product([once] * low)
    if required is None:
        return None
    return [[*tokens, GStar(ANY)] for tokens in required]  # the nearest superset


def _product(parts: Sequence[list[list[Token]] | None]) -> list[list[Token]] | None:
    if any(part is None for part in parts):
        return None
    combined: list[list[Token]] = [[]]
    for part in parts:
        assert part is not None
        combined = [[*head, *tail] for head, tail in itertools.product(combined, part)]
        if len(combined) > MAX_GLOBS:
            return None
    return combined


def _tidy(tokens: list[Token]) -> tuple[Token, ...] | None:
    """Spellable tokens: a trailing '*' swallows the stars before it; a glob starts with '/'.

    None: the alternative's first character is never '/', so it covers no path.
    """
    tokens = [_spellable(token) for token in tokens]
    while len(tokens) >= 2 and tokens[-1] == GStar(ANY) and isinstance(tokens[-2], GStar):
        del tokens[-2]
    merged: list[Token] = []
    for token in tokens:
        if not (merged and isinstance(token, GStar) and merged[-1] == token):
            merged.append(token)
    if merged and isinstance(merged[0], GChar):
        if ord("/") not in merged[0].chars:
            return None
        merged[0] = GChar(SLASH)  # every path starts with '/'
    elif not merged or merged[0] != GChar(SLASH):
        merged.insert(0, GChar(SLASH))  # a proposal only; the decision checks it
    return tuple(merged)


def _spellable(token: Token) -> Token:
    """The token a glob can write: its class when there is one, else any character."""
    if isinstance(token, GStar):
        return GStar(ANY)
    chars = token.chars
    if chars.single() is not None or _class_members(chars) or _class_members(ANY - chars):
        return token
    return GChar(ANY)


def _class_members(chars: CharSet) -> str | None:
    """``chars`` written for a fnmatch class (ranges for digit and letter runs), or None."""
    if not chars or chars.size() > 128:
        return None
    members = [chr(code) for low, high in chars.intervals for code in range(low, high + 1)]
    if any(not (c.isascii() and (c.isalnum() or c in _CLASS_PUNCTUATION)) for c in members):
        return None
    written: list[str] = []
    remaining = set(members)
    for first, last in _RANGES:
        span = [chr(code) for code in range(ord(first), ord(last) + 1)]
        for key, run in itertools.groupby(span, key=lambda c: c in remaining):
            run_chars = list(run)
            if key and len(run_chars) >= 3:
                written.append(f"{run_chars[0]}-{run_chars[-1]}")
                remaining.difference_update(run_chars)
    written.extend(sorted(remaining))
    return "".join(written)


def _render(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    for token in tokens:
        if isinstance(token, GStar):
            out.append("*")
            continue
        single = token.chars.single()
        if single is not None:
            out.append(f"[{single}]" if single in "*?[" else single)
        elif token.chars == ANY:
            out.append("?")
        else:
            members = _class_members(token.chars)
            if members is not None:
                out.append(f"[{members}]")
            else:
                negated = _class_members(ANY - token.chars)
                assert negated is not None  # _spellable left nothing else
                out.append(f"[!{negated}]")
    return "".join(out)
