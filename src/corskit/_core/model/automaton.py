"""The automaton of an origin regex, restricted to the origins a browser can send.

Built once at start-up from the parsed tree (``regex``): a Thompson NFA, then one subset
construction in product with the grammar of a serialized origin (``scheme://host[:port]``,
the hosts a browser serializes: lower-case labels, an IPv4 address, a bracketed IPv6 one).
Every state knows whether it is reading the scheme, the host or the port, which lets
``breadth`` read the hosts a regex admits label by label from the right, where the public
suffix and the registrable domain are.

All work is bounded: a pattern whose automaton would grow past the bounds raises
:class:`TooComplexError` instead of taking the server's start-up hostage. Nothing here is on the
request path (requests are matched by RE2).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Final

from .regex import Alternation, Anchor, Chars, Concat, Node, Repeat, parse

__all__ = [
    "HostReader",
    "OriginAutomaton",
    "TooComplexError",
    "admits_prefix",
    "origin_automaton",
    "shortest",
]

# The characters a serialized origin can hold, most readable first (witnesses use this order).
ORIGIN_CHARS: Final = "abcdefghijklmnopqrstuvwxyz0123456789-._:/[]+"
_INDEX: Final = {char: index for index, char in enumerate(ORIGIN_CHARS)}
_LONGEST_ORIGIN: Final = 512  # MAX_ORIGIN_LENGTH in origins: longer values are refused unread
_MAX_NFA_STATES: Final = 40_000
_MAX_DFA_STATES: Final = 6_000
_WORK: Final = 2_000_000  # NFA-state visits over one whole decision, about a second at most

SCHEME, HOST, PORT = 0, 1, 2

_LABEL: Final = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
# A last label that is not all digits (a host ending in a number is parsed as IPv4 by browsers)
_NAMED_LAST: Final = (
    r"(?:[a-z_](?:[a-z0-9_-]*[a-z0-9_])?|[0-9][a-z0-9_-]*[a-z_]"
    r"|[0-9][a-z0-9_-]*[a-z_-][a-z0-9_-]*[0-9])"
)
# A superset of what browsers send is safe here (a judged origin no browser sends can only make
# the check stricter), and a coarser grammar keeps the automaton small: any four numbers of up
# to three digits for IPv4, hex digits and colons with a '::' or seven colons for IPv6 (the
# compressed form browsers serialize has one or the other), any five-digit port.
ADDRESS_GRAMMAR: Final = r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
NAME_GRAMMAR: Final = (
    r"\[[0-9a-f:]*::[0-9a-f:]*\]|\[[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}\]"
    rf"|(?:{_LABEL}\.)*{_NAMED_LAST}"
)
_PORT_GRAMMAR: Final = r"[1-9][0-9]{0,4}"
LABEL_GRAMMAR: Final = _LABEL


class TooComplexError(Exception):
    """The automaton outgrew the bounds: corskit cannot decide this pattern quickly."""


class Budget:
    """Work left for one decision; every construction below spends from it."""

    __slots__ = ("left",)

    def __init__(self, work: int = _WORK) -> None:
        self.left = work

    def spend(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise TooComplexError("the automaton needs more work than the bound allows")


# ---------------------------------------------------------------------------------------------
# Thompson NFA


class _Nfa:
    """Edges read one character of a mask (over ORIGIN_CHARS indices); ``bol``/``eol`` edges are
    the anchors, taken only before the first or after the last character."""

    __slots__ = ("bol", "edges", "eol", "eps")

    def __init__(self) -> None:
        self.edges: list[list[tuple[int, int]]] = []
        self.eps: list[list[int]] = []
        self.bol: list[list[int]] = []
        self.eol: list[list[int]] = []

    def state(self) -> int:
        if len(self.edges) >= _MAX_NFA_STATES:
            raise TooComplexError(f"the expression expands to more than {_MAX_NFA_STATES} states")
        self.edges.append([])
        self.eps.append([])
        self.bol.append([])
        self.eol.append([])
        return len(self.edges) - 1


@cache
def _index_mask(ascii_mask: int) -> int:
    """An ASCII mask as a mask over ORIGIN_CHARS indices (other characters never occur)."""
    return sum(1 << index for index, char in enumerate(ORIGIN_CHARS) if ascii_mask >> ord(char) & 1)


def _nullable(node: Node) -> bool:
    if isinstance(node, Chars):
        return False
    if isinstance(node, Anchor):
        return True
    if isinstance(node, Concat):
        return all(_nullable(part) for part in node.parts)
    if isinstance(node, Alternation):
        return any(_nullable(option) for option in node.options)
    return node.low == 0 or _nullable(node.body)


def _build(nfa: _Nfa, node: Node, start: int, end: int) -> None:
    if isinstance(node, Chars):
        mask = _index_mask(node.mask)
        if mask:
            nfa.edges[start].append((mask, end))
    elif isinstance(node, Anchor):
        (nfa.eol if node.end else nfa.bol)[start].append(end)
    elif isinstance(node, Concat):
        current = start
        for index, part in enumerate(node.parts):
            following = end if index == len(node.parts) - 1 else nfa.state()
            _build(nfa, part, current, following)
            current = following
        if not node.parts:
            nfa.eps[start].append(end)
    elif isinstance(node, Alternation):
        for option in node.options:
            inner_start, inner_end = nfa.state(), nfa.state()
            nfa.eps[start].append(inner_start)
            nfa.eps[inner_end].append(end)
            _build(nfa, option, inner_start, inner_end)
    else:
        _build_repeat(nfa, node, start, end)


def _build_repeat(nfa: _Nfa, node: Repeat, start: int, end: int) -> None:
    # Origins are at most 512 characters, and each turn that reads nothing can be skipped: on
    # what can reach the regex, X{n,m} with m > 512 is X{n,}, and n > 512 reads nothing.
    low, high = node.low, node.high
    if low > _LONGEST_ORIGIN:
        if not _nullable(node.body):
            return
        low, high = 0, None
    if high is not None and high > _LONGEST_ORIGIN:
        high = None
    current = start
    # X{n,} is X{n-1} then X+, and X+ is one copy with a way back: nested '+' stay linear.
    copies = low - 1 if high is None and low > 0 else low
    for _ in range(copies):
        following = nfa.state()
        _build(nfa, node.body, current, following)
        current = following
    if high is None:
        loop_in, loop_out = nfa.state(), nfa.state()
        nfa.eps[current].append(loop_in)
        _build(nfa, node.body, loop_in, loop_out)
        nfa.eps[loop_out].append(loop_in)
        nfa.eps[loop_out if low > 0 else loop_in].append(end)
        return
    nfa.eps[current].append(end)
    for _ in range(high - low):
        following = nfa.state()
        _build(nfa, node.body, current, following)
        nfa.eps[following].append(end)
        current = following


def _nfa(tree: Node) -> tuple[_Nfa, int, int]:
    nfa = _Nfa()
    start, accept = nfa.state(), nfa.state()
    _build(nfa, tree, start, accept)
    return nfa, start, accept


def _closure(
    nfa: _Nfa, states: set[int], *, at_start: bool, at_end: bool, budget: Budget
) -> frozenset[int]:
    seen = set(states)
    stack = list(states)
    while stack:
        state = stack.pop()
        followers = nfa.eps[state]
        if at_start and nfa.bol[state]:
            followers = followers + nfa.bol[state]
        if at_end and nfa.eol[state]:
            followers = followers + nfa.eol[state]
        for target in followers:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    budget.spend(len(seen))
    return frozenset(seen)


def admits_prefix(tree: Node, prefix: str) -> bool:
    """Whether some text the regex matches in full starts with ``prefix`` (an NFA run over
    the prefix alone: cheap even when the whole automaton is too large to build).

    When even the NFA outgrows its bound (counted repetitions nested in counted repetitions),
    the answer is taken on a looser expression, every ``X{n,m}`` read as ``X*`` or ``X+``: a
    superset, so a pattern is never cleared of a prefix it can match.
    """
    try:
        return _admits_prefix(tree, prefix)
    except TooComplexError:
        return _admits_prefix(_loosened(tree), prefix)


def _loosened(node: Node) -> Node:
    """``node`` with every repetition unbounded: ``X{0,m}`` as ``X*``, ``X{n,m}`` as ``X+``."""
    if isinstance(node, Concat):
        return Concat(tuple(_loosened(part) for part in node.parts))
    if isinstance(node, Alternation):
        return Alternation(tuple(_loosened(option) for option in node.options))
    if isinstance(node, Repeat):
        return Repeat(_loosened(node.body), min(node.low, 1), None)
    return node


def _admits_prefix(tree: Node, prefix: str) -> bool:
    budget = Budget()
    nfa, start, accept = _nfa(tree)
    states = _closure(nfa, {start}, at_start=True, at_end=False, budget=budget)
    for char in prefix:
        bit = 1 << _INDEX[char]
        moved = {t for s in states for mask, t in nfa.edges[s] if mask & bit}
        states = _closure(nfa, moved, at_start=False, at_end=False, budget=budget)
        if not states:
            return False
    return _reaches(nfa, states, accept)


def _reaches(nfa: _Nfa, states: frozenset[int], accept: int) -> bool:
    seen = set(states)
    stack = list(states)
    while stack:
        state = stack.pop()
        if state == accept:
            return True
        for target in (*nfa.eps[state], *nfa.eol[state], *(t for _, t in nfa.edges[state])):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return False


# ---------------------------------------------------------------------------------------------
# Deterministic automata over ORIGIN_CHARS


@dataclass(frozen=True, slots=True)
class Dfa:
    """A complete DFA over ORIGIN_CHARS (``step[state][char index]``, a dead state included),
    initial state 0."""

    step: tuple[tuple[int, ...], ...]
    accept: tuple[bool, ...]

    def accepts(self, text: str) -> bool:
        state = 0
        for char in text:
            index = _INDEX.get(char)
            if index is None:
                return False
            state = self.step[state][index]
        return self.accept[state]


def _classes(masks: list[int], extra: list[tuple[int, ...]] | None = None) -> list[list[int]]:
    """Partition ORIGIN_CHARS into characters no mask (and no ``extra`` signature) tells apart."""
    groups: dict[tuple[object, ...], list[int]] = {}
    distinct = sorted(set(masks))
    for index in range(len(ORIGIN_CHARS)):
        key: tuple[object, ...] = tuple(mask >> index & 1 for mask in distinct)
        if extra is not None:
            key += (extra[index],)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def compile_dfa(pattern: str, budget: Budget | None = None) -> Dfa:
    """The complete DFA of one of corskit's own grammar expressions (no anchors)."""
    budget = budget or Budget()
    nfa, start, accept = _nfa(parse(pattern))
    classes = _classes([mask for edges in nfa.edges for mask, _ in edges])
    initial = _closure(nfa, {start}, at_start=False, at_end=False, budget=budget)
    ids: dict[frozenset[int], int] = {initial: 0}
    order = [initial]
    rows: list[list[int]] = []
    for current in order:
        row = [0] * len(ORIGIN_CHARS)
        for members in classes:
            bit = 1 << members[0]
            moved = {t for s in current for mask, t in nfa.edges[s] if mask & bit}
            target = _closure(nfa, moved, at_start=False, at_end=False, budget=budget)
            if target not in ids:
                if len(order) >= _MAX_DFA_STATES:
                    raise TooComplexError("grammar automaton too large")
                ids[target] = len(order)
                order.append(target)
            for index in members:
                row[index] = ids[target]
        rows.append(row)
    return Dfa(tuple(map(tuple, rows)), tuple(accept in states for states in order))


# ---------------------------------------------------------------------------------------------
# The grammar of a serialized origin, each state tagged with the part it reads


@dataclass(frozen=True, slots=True)
class _Grammar:
    step: tuple[tuple[int, ...], ...]  # -1: no such origin
    accept: tuple[bool, ...]
    phase: tuple[int, ...]
    address: tuple[bool, ...]  # a complete IPv4 address has been read
    host_start: int


def _dead(dfa: Dfa) -> int:
    return next(
        s
        for s, row in enumerate(dfa.step)
        if not dfa.accept[s] and all(target == s for target in row)
    )


def _host_grammar() -> tuple[Dfa, tuple[bool, ...]]:
    """Addresses and names in one DFA, each state knowing whether an address ends there."""
    address, name = compile_dfa(ADDRESS_GRAMMAR), compile_dfa(NAME_GRAMMAR)
    ids = {(0, 0): 0}
    order = [(0, 0)]
    rows: list[tuple[int, ...]] = []
    for first, second in order:
        row = []
        for index in range(len(ORIGIN_CHARS)):
            key = (address.step[first][index], name.step[second][index])
            if key not in ids:
                ids[key] = len(order)
                order.append(key)
            row.append(ids[key])
        rows.append(tuple(row))
    accept = tuple(address.accept[a] or name.accept[b] for a, b in order)
    return Dfa(tuple(rows), accept), tuple(address.accept[a] for a, _ in order)


@cache
def _grammar() -> _Grammar:
    (host, addresses), port = _host_grammar(), compile_dfa(_PORT_GRAMMAR)
    host_dead, port_dead = _dead(host), _dead(port)
    # scheme states: 0 start, 1 in the scheme, 2 after ':', 3 after ':/'
    host_base = 4
    port_base = host_base + len(host.step)
    rows: list[list[int]] = [[-1] * len(ORIGIN_CHARS) for _ in range(port_base + len(port.step))]
    for char, index in _INDEX.items():
        if char.isalpha():
            rows[0][index] = 1
        if char.isalnum() or char in "+.-":
            rows[1][index] = 1
    rows[1][_INDEX[":"]] = 2
    rows[2][_INDEX["/"]] = 3
    rows[3][_INDEX["/"]] = host_base
    colon = _INDEX[":"]
    for state, row in enumerate(host.step):
        for index, target in enumerate(row):
            if target != host_dead:
                rows[host_base + state][index] = host_base + target
        if host.accept[state]:
            assert row[colon] == host_dead, "a complete host never continues with ':'"
            rows[host_base + state][colon] = port_base
    for state, row in enumerate(port.step):
        for index, target in enumerate(row):
            if target != port_dead:
                rows[port_base + state][index] = port_base + target
    accept = [False] * host_base + list(host.accept) + list(port.accept)
    phase = [SCHEME] * host_base + [HOST] * len(host.step) + [PORT] * len(port.step)
    address = [False] * host_base + list(addresses) + [False] * len(port.step)
    return _Grammar(tuple(map(tuple, rows)), tuple(accept), tuple(phase), tuple(address), host_base)


# ---------------------------------------------------------------------------------------------
# The product: what the regex admits, among the origins a browser can send


@dataclass(frozen=True, slots=True)
class OriginAutomaton:
    """A DFA over classes of ORIGIN_CHARS, trimmed to states on some accepted origin."""

    classes: tuple[tuple[int, ...], ...]  # char indices of each class
    class_of: tuple[int, ...]  # class of each char index
    step: tuple[tuple[int, ...], ...]  # step[state][class], -1 when no accepted origin follows
    accept: tuple[bool, ...]
    phase: tuple[int, ...]
    host_start: frozenset[int]  # states where a host begins (right after '://')
    address: frozenset[int]  # states where an IPv4 address has just been read
    empty: bool  # the regex admits no origin a browser can send


def origin_automaton(tree: Node, budget: Budget) -> OriginAutomaton:
    """Determinize the regex in product with the origin grammar, then trim."""
    grammar = _grammar()
    nfa, start, accept_state = _nfa(tree)
    signatures = [tuple(row[index] for row in grammar.step) for index in range(len(ORIGIN_CHARS))]
    classes = _classes([mask for edges in nfa.edges for mask, _ in edges], signatures)
    class_bits = [sum(1 << index for index in members) for members in classes]
    initial = (_closure(nfa, {start}, at_start=True, at_end=False, budget=budget), 0)
    ids = {initial: 0}
    order = [initial]
    rows: list[list[int]] = []
    accepting: list[bool] = []
    # The regex's own subset moves do not depend on the grammar's state: compute each once.
    moves: dict[tuple[frozenset[int], int], frozenset[int]] = {}
    for states, place in order:
        row = [-1] * len(classes)
        for number, members in enumerate(classes):
            following = grammar.step[place][members[0]]
            if following < 0:
                continue
            target = moves.get((states, number))
            if target is None:
                bits = class_bits[number]
                budget.spend(len(states))
                moved = {t for s in states for mask, t in nfa.edges[s] if mask & bits}
                target = _closure(nfa, moved, at_start=False, at_end=False, budget=budget)
                moves[states, number] = target
            if not target:
                continue
            key = (target, following)
            if key not in ids:
                if len(order) >= _MAX_DFA_STATES:
                    raise TooComplexError(f"the automaton has more than {_MAX_DFA_STATES} states")
                ids[key] = len(order)
                order.append(key)
            row[number] = ids[key]
        rows.append(row)
        ends = grammar.accept[place] and accept_state in _closure(
            nfa, set(states), at_start=False, at_end=True, budget=budget
        )
        accepting.append(ends)
    live = _live(rows, accepting)
    trimmed = tuple(
        tuple(t if t >= 0 and t in live else -1 for t in row) if s in live else (-1,) * len(row)
        for s, row in enumerate(rows)
    )
    class_of = [0] * len(ORIGIN_CHARS)
    for number, members in enumerate(classes):
        for index in members:
            class_of[index] = number
    phase = tuple(grammar.phase[place] for _, place in order)
    return OriginAutomaton(
        classes=tuple(tuple(members) for members in classes),
        class_of=tuple(class_of),
        step=trimmed,
        accept=tuple(accepting),
        phase=phase,
        host_start=frozenset(
            s for s, (_, place) in enumerate(order) if place == grammar.host_start and s in live
        ),
        address=frozenset(
            s for s, (_, place) in enumerate(order) if grammar.address[place] and s in live
        ),
        empty=0 not in live,
    )


def _live(rows: list[list[int]], accepting: list[bool]) -> set[int]:
    """States from which some accepted origin continues."""
    incoming: list[list[int]] = [[] for _ in rows]
    for source, row in enumerate(rows):
        for target in row:
            if target >= 0:
                incoming[target].append(source)
    live = {s for s, ok in enumerate(accepting) if ok}
    stack = list(live)
    while stack:
        for source in incoming[stack.pop()]:
            if source not in live:
                live.add(source)
                stack.append(source)
    return live


# ---------------------------------------------------------------------------------------------
# Witnesses: the shortest (then most readable) origin with a given shape


def shortest(
    auto: OriginAutomaton,
    *,
    scheme: str | None = None,
    host: Dfa | None = None,
    outside: bool = False,
) -> str | None:
    """The shortest origin the automaton admits whose scheme is ``scheme`` (if given) and whose
    host is accepted by ``host`` (or, with ``outside``, refused by it); None if there is none.
    Breadth-first with characters in ORIGIN_CHARS order: among the shortest, the most readable.
    """
    if auto.empty:
        return None
    prefix = None if scheme is None else f"{scheme}://"
    begin = (0, 0, 0)
    parents: dict[tuple[int, int, int], tuple[tuple[int, int, int], str] | None] = {begin: None}
    queue = deque([begin])
    while queue:
        node = queue.popleft()
        state, position, checked = node
        if auto.accept[state] and _host_done(auto, state, checked, host, outside):
            return _path(parents, node)
        for index, char in enumerate(ORIGIN_CHARS):
            target = auto.step[state][auto.class_of[index]]
            if target < 0:
                continue
            phase, following = auto.phase[state], auto.phase[target]
            new_position, new_checked = position, checked
            if phase == SCHEME:
                if prefix is not None:
                    if position >= len(prefix) or prefix[position] != char:
                        continue
                    new_position = position + 1
                if following == HOST:
                    if prefix is not None and new_position != len(prefix):
                        continue
                    new_checked = 0  # the host constraint's initial state
            elif phase == HOST:
                if following == HOST:
                    new_checked = host.step[checked][index] if host is not None else 0
                elif not _host_done(auto, state, checked, host, outside, leaving=True):
                    continue
                else:
                    new_checked = -1
            key = (target, new_position, new_checked)
            if key not in parents:
                parents[key] = (node, char)
                queue.append(key)
    return None


def _host_done(
    auto: OriginAutomaton,
    state: int,
    checked: int,
    host: Dfa | None,
    outside: bool,
    leaving: bool = False,
) -> bool:
    if checked == -1:
        return True  # already checked when the port began
    if auto.phase[state] != HOST:
        return leaving
    return host is None or host.accept[checked] != outside


def _path(
    parents: dict[tuple[int, int, int], tuple[tuple[int, int, int], str] | None],
    node: tuple[int, int, int],
) -> str:
    chars: list[str] = []
    link = parents[node]
    while link is not None:
        node, char = link
        chars.append(char)
        link = parents[node]
    return "".join(reversed(chars))


# ---------------------------------------------------------------------------------------------
# Reading hosts backwards, one label at a time


class HostReader:
    """The admitted hosts read label by label from the right.

    A *position* is a set of automaton states. ``ends()`` is where hosts end; from a set of
    states where a label ends, :meth:`each_label` gives every label that can end there with the
    set of states where it begins (its start position), and :meth:`before_dot` steps back over
    the dot to where the label before it ends. Labels are read forwards from the states where a
    label may begin (a host's start, or just after a dot), so no backwards determinization is
    ever needed.
    """

    def __init__(self, auto: OriginAutomaton, budget: Budget) -> None:
        self.auto = auto
        self.budget = budget
        self.dot = auto.class_of[_INDEX["."]]
        colon = auto.class_of[_INDEX[":"]]
        count = len(auto.step)
        self._back: list[list[int]] = [[] for _ in range(count)]  # non-dot host moves, reversed
        self._dot_back: list[list[int]] = [[] for _ in range(count)]
        ends: set[int] = set()
        starts = set(auto.host_start)
        for source, row in enumerate(auto.step):
            if auto.phase[source] != HOST:
                continue
            for number, target in enumerate(row):
                if target < 0:
                    continue
                if auto.phase[target] != HOST:
                    if number == colon:
                        ends.add(source)
                elif number == self.dot:
                    self._dot_back[target].append(source)
                    starts.add(target)
                else:
                    self._back[target].append(source)
            if auto.accept[source]:
                ends.add(source)
        self._ends = frozenset(ends - auto.address)
        self._address_ends = frozenset(ends & auto.address)
        self._label_starts = frozenset(starts)
        self._distances: dict[frozenset[int], dict[int, int]] = {}
        self._starts: dict[frozenset[int], list[int]] = {}
        self._longests: dict[frozenset[int], int | None] = {}
        self._order = [
            (index, char, auto.class_of[index])
            for index, char in enumerate(ORIGIN_CHARS)
            if auto.class_of[index] != self.dot
        ]

    def ends(self) -> frozenset[int]:
        """Where host names (and IPv6 literals) end."""
        return self._ends

    def address_ends(self) -> frozenset[int]:
        """Where IPv4 addresses end."""
        return self._address_ends

    def starts_host(self, start: frozenset[int]) -> bool:
        """A label beginning at ``start`` can be the host's first."""
        return not start.isdisjoint(self.auto.host_start)

    def before_dot(self, start: frozenset[int]) -> frozenset[int]:
        """Where the label before one beginning at ``start`` ends."""
        self.budget.spend(len(start))
        return frozenset(s for t in start for s in self._dot_back[t])

    def _distance(self, ends: frozenset[int]) -> dict[int, int]:
        """Fewest label characters from each state to ``ends``."""
        known = self._distances.get(ends)
        if known is not None:
            return known
        distance = dict.fromkeys(ends, 0)
        queue = deque(ends)
        while queue:
            state = queue.popleft()
            for source in self._back[state]:
                if source not in distance:
                    distance[source] = distance[state] + 1
                    queue.append(source)
        self.budget.spend(len(distance) + 1)
        self._distances[ends] = distance
        return distance

    def finite(self, ends: frozenset[int]) -> bool:
        """Whether only finitely many labels end at ``ends``."""
        return self._longest(ends) is not None

    def _longest(self, ends: frozenset[int]) -> int | None:
        """The longest label ending at ``ends``, or None when a loop of label characters lies
        between a label start and ``ends`` (infinitely many labels)."""
        if ends in self._longests:
            return self._longests[ends]
        distance = self._distance(ends)
        step, phase, dot = self.auto.step, self.auto.phase, self.dot
        colour: dict[int, int] = {}
        longest: dict[int, int] = {}  # from each state to ``ends``; -1: none
        result: int | None = 0
        for root in self._starts_for(ends):
            if root in colour:
                continue
            colour[root] = 1
            stack = [(root, iter(enumerate(step[root])))]
            while stack and result is not None:
                state, targets = stack[-1]
                item = next(targets, None)
                if item is None:
                    colour[state] = 2
                    best = 0 if state in ends else -1
                    for number, target in enumerate(step[state]):
                        if number != dot and target in longest and longest[target] >= 0:
                            best = max(best, longest[target] + 1)
                    longest[state] = best
                    stack.pop()
                    continue
                number, target = item
                if number == dot or target < 0 or target not in distance or phase[target] != HOST:
                    continue
                mark = colour.get(target)
                if mark == 1:
                    result = None
                elif mark is None:
                    colour[target] = 1
                    stack.append((target, iter(enumerate(step[target]))))
            if result is None:
                break
            result = max(result, longest[root])
        self.budget.spend(len(colour) + 1)
        self._longests[ends] = result
        return result

    def each_label(self, ends: frozenset[int], limit: int) -> Iterator[tuple[str, frozenset[int]]]:
        """Labels ending at ``ends``, shortest then most readable first, each with its start
        position; at most ``limit`` of them, and no label twice."""
        distance = self._distance(ends)
        starts = self._starts_for(ends)
        longest = self._longest(ends)
        if not starts:
            return
        step, order = self.auto.step, self._order
        found = 0
        bound = longest if longest is not None else len(distance) + 64
        for length in range(1, bound + 1):
            first = tuple((s, s) for s in starts if distance[s] <= length)
            stack: list[tuple[tuple[tuple[int, int], ...], str]] = [(first, "")] if first else []
            while stack:
                pairs, text = stack.pop()
                left = length - len(text)
                if left == 0:
                    start = frozenset(origin for origin, state in pairs if state in ends)
                    if start:
                        yield text, start
                        found += 1
                        if found >= limit:
                            return
                    continue
                self.budget.spend(len(pairs))
                moved: dict[int, tuple[tuple[int, int], ...]] = {}
                children = []
                for _, char, number in order:
                    following = moved.get(number)
                    if following is None:
                        following = moved[number] = tuple(
                            (origin, target)
                            for origin, state in pairs
                            if (target := step[state][number]) >= 0
                            and distance.get(target, left) < left
                        )
                    if following:
                        children.append((following, text + char))
                stack.extend(reversed(children))

    def count(self, ends: frozenset[int], cap: int) -> int:
        """How many labels end at ``ends``, counted up to ``cap + 1``."""
        if not self.finite(ends):
            return cap + 1
        return sum(1 for _ in self.each_label(ends, cap + 1))

    def read(self, ends: frozenset[int], label: str) -> frozenset[int] | None:
        """The start position of ``label`` ending at ``ends``, if it can."""
        if not label or "." in label:
            return None
        distance = self._distance(ends)
        step, class_of, phase = self.auto.step, self.auto.class_of, self.auto.phase
        found = set()
        for start in self._starts_for(ends):
            if distance[start] > len(label):
                continue
            state = start
            for char in label:
                index = _INDEX.get(char)
                if index is None:
                    return None
                state = step[state][class_of[index]]
                if state < 0 or phase[state] != HOST:
                    break
            else:
                if state in ends:
                    found.add(start)
        self.budget.spend(len(label) + 1)
        return frozenset(found) or None

    def _starts_for(self, ends: frozenset[int]) -> list[int]:
        known = self._starts.get(ends)
        if known is None:
            distance = self._distance(ends)
            known = sorted(s for s in self._label_starts if s in distance)
            self._starts[ends] = known
        return known
