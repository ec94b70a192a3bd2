"""Origin regexes: the syntax corskit accepts, read once into a tree both engines share.

A ``corskit.Regex`` is matched by RE2 (linear time) and judged by an automaton built from the
same parsed tree (``automaton``), so the check and the matcher can never read one pattern two
ways. The accepted syntax is the part Python's ``re`` and RE2 read alike, plus spellings from
either that mean one thing (``\\Z`` and ``\\z``, ``(?<name>...)``, comments, verbose mode).
Constructs a linear-time engine cannot run (back-references, look-arounds, possessive and
atomic repetition, conditionals) and spellings the two read differently (``{,n}``,
``[[:alpha:]]``) are refused with the RE2 spelling where there is one.

Origins are ASCII (browsers send hosts in punycode), so every character set is kept as its
ASCII part: a bit mask over code points 0-127. The tree is then rendered back as a canonical
RE2 expression (classes, non-capturing groups, ``\\A`` and ``\\z``) that means exactly what the
tree means on ASCII text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import re2  # type: ignore[import-untyped]

__all__ = [
    "Alternation",
    "Anchor",
    "Chars",
    "CompiledRegex",
    "Concat",
    "Node",
    "RefusedRegexError",
    "Repeat",
    "full_match_set",
    "parse",
    "to_re2",
    "walk_nodes",
]

ASCII: Final = (1 << 128) - 1
MAX_PATTERN_LENGTH: Final = 4096
MAX_REPEAT: Final = 1000  # RE2's own limit on {n,m}
# The parser and the tree walks recurse about six frames per group: 50 levels stay far from
# Python's recursion limit however deep the caller's stack already is (a RecursionError at
# 190 levels was a crash, not a ConfigError).
_MAX_NESTING: Final = 50

_IGNORECASE: Final = 1
_DOTALL: Final = 2
_VERBOSE: Final = 4
_FLAG_LETTERS: Final = {
    "i": _IGNORECASE,
    "s": _DOTALL,
    "x": _VERBOSE,
    "m": 0,
    "U": 0,
    "a": 0,
    "u": 0,
}


def _bit(code: int) -> int:
    return 1 << code if code < 128 else 0


def _range(low: int, high: int) -> int:
    """The ASCII code points from low to high inclusive, as a mask."""
    high = min(high, 127)
    return ((1 << (high + 1)) - 1) & ~((1 << low) - 1) if low <= high else 0


_DIGITS: Final = _range(48, 57)
_WORD: Final = _DIGITS | _range(65, 90) | _range(97, 122) | _bit(95)
_SPACE: Final = _bit(9) | _bit(10) | _bit(11) | _bit(12) | _bit(13) | _bit(32)
_CLASS_ESCAPES: Final = {
    "d": _DIGITS,
    "D": ASCII & ~_DIGITS,
    "w": _WORD,
    "W": ASCII & ~_WORD,
    "s": _SPACE,
    "S": ASCII & ~_SPACE,
}
_CONTROL_ESCAPES: Final = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
# Non-ASCII characters whose case folds onto ASCII letters (Python and RE2 both fold them).
_FOLDS_TO_ASCII: Final = {0x212A: "kK", 0x017F: "sS"}


@dataclass(frozen=True, slots=True)
class Chars:
    """One character out of ``mask`` (bit i set: code point i may be read). 0 reads nothing."""

    mask: int


@dataclass(frozen=True, slots=True)
class Concat:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alternation:
    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Repeat:
    body: Node
    low: int
    high: int | None  # None: no upper bound


@dataclass(frozen=True, slots=True)
class Anchor:
    """``^``/``\\A`` (end=False) or ``$``/``\\z`` (end=True). Origins hold no line breaks, so the
    multi-line readings of ``^`` and ``$`` never differ from these."""

    end: bool


Node = Chars | Concat | Alternation | Repeat | Anchor


@dataclass(frozen=True, slots=True)
class CompiledRegex:
    """A configured regex corskit accepted: as written, and in the RE2 spelling it runs."""

    pattern: str
    canonical: str


def walk_nodes(node: Node) -> Iterator[Node]:
    """Every node of a tree, the root first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Concat):
            stack.extend(current.parts)
        elif isinstance(current, Alternation):
            stack.extend(current.options)
        elif isinstance(current, Repeat):
            stack.append(current.body)


class RefusedRegexError(Exception):
    """An expression corskit will not run: ``reason`` says why, ``fix`` what to write."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


_INVALID_FIX: Final = "fix the expression; it is matched in full against the origin"
_LINEAR = "a linear-time engine (RE2) cannot run"


def parse(pattern: str) -> Node:
    """Read ``pattern`` into a tree, or raise :class:`RefusedRegexError` saying what to write."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RefusedRegexError(
            f"is longer than {MAX_PATTERN_LENGTH} characters",
            "split it into several corskit.Regex entries",
        )
    return _Parser(pattern).parse()


def fold_case(mask: int) -> int:
    """``mask`` with the other case of every ASCII letter in it."""
    upper = mask & _range(65, 90)
    lower = mask & _range(97, 122)
    return mask | (upper << 32) | (lower >> 32)


class _Parser:
    """Recursive descent over the pattern; ``flags`` hold i/s/x for the current group."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.flags = 0
        self.depth = 0

    # -- errors ----------------------------------------------------------------------------

    def _invalid(self, what: str, at: int | None = None) -> RefusedRegexError:
        where = self.pos if at is None else at
        return RefusedRegexError(
            f"is not a valid regular expression ({what} at position {where})", _INVALID_FIX
        )

    # -- structure -------------------------------------------------------------------------

    def parse(self) -> Node:
        node = self._alternation()
        if self.pos < len(self.text):  # only a ')' stops an alternation early
            raise self._invalid("unbalanced parenthesis")
        return node

    def _alternation(self) -> Node:
        options = [self._concat()]
        while self._peek() == "|":
            self.pos += 1
            options.append(self._concat())
        return options[0] if len(options) == 1 else Alternation(tuple(options))

    def _concat(self) -> Node:
        parts: list[Node] = []
        while True:
            self._skip_verbose()
            char = self._peek()
            if char is None or char in "|)":
                break
            start = self.pos
            atom = self._atom()
            if atom is None:  # an inline flag group such as (?i): nothing to repeat
                if self._quantifier_ahead():
                    raise self._invalid("nothing to repeat")
                continue
            parts.append(self._quantified(atom, start))
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def _peek(self, offset: int = 0) -> str | None:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else None

    def _skip_verbose(self) -> None:
        if not self.flags & _VERBOSE:
            return
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\n\r\f\v":
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end == -1 else end + 1
            else:
                return

    # -- repetition ------------------------------------------------------------------------

    def _quantifier_ahead(self) -> bool:
        self._skip_verbose()
        char = self._peek()
        return char in ("*", "+", "?") or (char == "{" and self._brace() is not None)

    def _quantified(self, atom: Node, start: int) -> Node:
        self._skip_verbose()
        bounds = self._quantifier()
        if bounds is None:
            return atom
        if isinstance(atom, Anchor):
            raise self._invalid("nothing to repeat", start)
        low, high = bounds
        if self._peek() == "?":
            self.pos += 1  # lazy: the same set of full matches
        elif self._peek() == "+":
            spelled = self.text[start : self.pos]
            raise RefusedRegexError(
                f"uses the possessive repetition '{spelled}+', which RE2 does not have",
                f"write '{spelled}': RE2 never backtracks, so nothing needs guarding",
            )
        if self._quantifier_ahead():
            raise RefusedRegexError(
                f"repeats a repetition without a group at position {self.pos}",
                f"group it first: '(?:{self.text[start : self.pos]}){self._peek()}...'",
            )
        return Repeat(atom, low, high)

    def _quantifier(self) -> tuple[int, int | None] | None:
        char = self._peek()
        if char == "*":
            self.pos += 1
            return 0, None
        if char == "+":
            self.pos += 1
            return 1, None
        if char == "?":
            self.pos += 1
            return 0, 1
        if char == "{":
            bounds = self._brace()
            if bounds is not None:
                self.pos = self.text.index("}", self.pos) + 1
            return bounds
        return None

    def _brace(self) -> tuple[int, int | None] | None:
        """The bounds of a ``{n}``, ``{n,}`` or ``{n,m}`` at pos, or None for a literal '{'."""
        close = self.text.find("}", self.pos)
        if close == -1:
            return None
        inside = self.text[self.pos + 1 : close]
        low_text, comma, high_text = inside.partition(",")
        high: int | None
        if not comma and low_text.isdigit() and low_text.isascii():
            low, high = int(low_text), int(low_text)
        elif comma and low_text.isdigit() and low_text.isascii():
            high_ok = high_text == "" or (high_text.isdigit() and high_text.isascii())
            if not high_ok:
                return None
            low = int(low_text)
            high = int(high_text) if high_text else None
        elif comma and low_text == "" and high_text.isdigit() and high_text.isascii():
            raise RefusedRegexError(
                f"writes '{{{inside}}}', a repetition in Python's re and plain text in RE2",
                f"write '{{0,{high_text}}}'",
            )
        else:
            return None
        if low > MAX_REPEAT or (high is not None and high > MAX_REPEAT):
            raise RefusedRegexError(
                f"repeats {{{inside}}} times, more than RE2's limit of {MAX_REPEAT}",
                "no origin is longer than 512 characters: write a smaller bound or '+'",
            )
        if high is not None and high < low:
            raise self._invalid(f"the repetition {{{inside}}} has min above max")
        return low, high

    # -- atoms -----------------------------------------------------------------------------

    def _atom(self) -> Node | None:
        char = self.text[self.pos]
        if char == "(":
            return self._group()
        if char == "[":
            return self._class()
        if char == ".":
            self.pos += 1
            return Chars(ASCII if self.flags & _DOTALL else ASCII & ~_bit(10))
        if char == "^":
            self.pos += 1
            return Anchor(end=False)
        if char == "$":
            self.pos += 1
            return Anchor(end=True)
        if char == "\\":
            return self._escape()
        if char in "*+?" or (char == "{" and self._brace() is not None):
            raise self._invalid("nothing to repeat")
        self.pos += 1
        return Chars(self._literal(ord(char)))

    def _literal(self, code: int) -> int:
        if code >= 128 and code not in _FOLDS_TO_ASCII:
            raise RefusedRegexError(
                f"has the non-ASCII character {chr(code)!r}; browsers send hosts in punycode",
                "write the host as it is sent, e.g. 'xn--bcher-kva' for 'bücher'",
            )
        return self._fold(_bit(code), code)

    def _fold(self, mask: int, code: int | None = None) -> int:
        if not self.flags & _IGNORECASE:
            return mask
        folded = fold_case(mask)
        for special, letters in _FOLDS_TO_ASCII.items():
            if code == special:
                folded |= _bit(ord(letters[0])) | _bit(ord(letters[1]))
        return folded

    def _group(self) -> Node | None:
        start = self.pos
        self.pos += 1
        if self._peek() != "?":
            return self._group_body(start)
        self.pos += 1
        char = self._peek()
        if char == ":":
            self.pos += 1
            return self._group_body(start)
        if (char == "P" and self._peek(1) == "<") or (
            char == "<" and self._peek(1) not in ("=", "!")
        ):
            self.pos += 2 if char == "P" else 1
            close = self.text.find(">", self.pos)
            name = self.text[self.pos : close] if close != -1 else ""
            if not name.isidentifier() or not name.isascii():
                raise self._invalid("bad group name")
            self.pos = close + 1
            return self._group_body(start)
        if char == "#":
            close = self.text.find(")", self.pos)
            if close == -1:
                raise self._invalid("unterminated comment", start)
            self.pos = close + 1
            return None
        self._refuse_extension(char, start)
        return self._flag_group(start)

    def _refuse_extension(self, char: str | None, start: int) -> None:
        two = self.text[self.pos : self.pos + 2]
        if char in ("=", "!") or two in ("<=", "<!"):
            raise RefusedRegexError(
                f"uses the look-around '(?{two if char == '<' else char}...)' at position {start}, "
                f"which {_LINEAR}",
                "say what may match instead of what may not: list the allowed names, e.g. "
                "r'https://(?:app|api)\\.example\\.com', or narrow a class ([a-z0-9-])",
            )
        if char == "P" and self._peek(1) in ("=", ">"):
            raise RefusedRegexError(
                f"uses the back-reference '(?P{self._peek(1)}...)' at position {start}, "
                f"which {_LINEAR}",
                "write each alternative out in full: (?:a\\.a|b\\.b)",
            )
        if char == ">":
            raise RefusedRegexError(
                f"uses the atomic group '(?>...)' at position {start}, which RE2 does not have",
                "write '(?:...)': RE2 never backtracks, so nothing needs guarding",
            )
        if char == "(":
            raise RefusedRegexError(
                f"uses the conditional '(?(...)...)' at position {start}, which {_LINEAR}",
                "write the cases as alternatives: r'https://(?:a\\.example\\.com|b\\.example\\.com)'",
            )

    def _flag_group(self, start: int) -> Node | None:
        on, off, seen_dash, letters = 0, 0, False, 0
        while True:
            char = self._peek()
            if char is None:
                raise self._invalid("unterminated flag group", start)
            self.pos += 1
            if char == "-" and not seen_dash:
                seen_dash = True
            elif char in _FLAG_LETTERS and not (seen_dash and char in "au"):
                letters += 1
                if seen_dash:
                    off |= _FLAG_LETTERS[char]
                else:
                    on |= _FLAG_LETTERS[char]
            elif char == "L":
                raise RefusedRegexError(
                    "uses the locale flag (?L), which applies to bytes patterns only",
                    "remove it",
                )
            elif char in ":)" and letters:
                break
            else:
                raise self._invalid(f"unknown flag or group '(?{char}'", start)
        flags = (self.flags | on) & ~off
        if char == ")":  # (?i): from here to the end of the enclosing group, as in RE2
            self.flags = flags
            return None
        outer, self.flags = self.flags, flags
        try:
            return self._group_body(start)
        finally:
            self.flags = outer

    def _group_body(self, start: int) -> Node:
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise RefusedRegexError(
                f"nests groups more than {_MAX_NESTING} deep",
                "flatten the expression or split it into several corskit.Regex entries",
            )
        outer = self.flags
        node = self._alternation()
        self.flags = outer  # an inline (?i) inside ends with its group
        self.depth -= 1
        if self._peek() != ")":
            raise self._invalid("missing ), unterminated subpattern", start)
        self.pos += 1
        return node

    # -- escapes ---------------------------------------------------------------------------

    def _escape(self) -> Node:
        start = self.pos
        self.pos += 1
        char = self._peek()
        if char is None:
            raise self._invalid("bad escape (end of pattern)", start)
        self.pos += 1
        if char in _CLASS_ESCAPES:
            return Chars(_CLASS_ESCAPES[char])
        if char == "A":
            return Anchor(end=False)
        if char in "zZ":
            return Anchor(end=True)
        if char in "bB":
            raise RefusedRegexError(
                f"uses the word boundary '\\{char}' at position {start}, which corskit "
                "cannot judge",
                "remove it: the whole origin is matched, and between labels write '\\.'",
            )
        if char.isdigit() and char != "0" and not self._octal_follows(2):
            raise RefusedRegexError(
                f"uses the back-reference '\\{char}' at position {start}, which {_LINEAR}",
                "write each alternative out in full: (?:a\\.a|b\\.b)",
            )
        self.pos -= 1
        code = self._escaped_code(start, in_class=False)
        return Chars(self._literal(code))

    def _octal_follows(self, count: int) -> bool:
        digits = self.text[self.pos : self.pos + count]
        return len(digits) == count and all(d in "01234567" for d in digits)

    def _escaped_code(self, start: int, in_class: bool) -> int:
        """The code point of a one-character escape; pos is on the character after '\\'."""
        char = self.text[self.pos]
        self.pos += 1
        if char in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[char]
        if char == "x":
            return self._hex_escape(start)
        if char in "uU":
            return self._fixed_hex(4 if char == "u" else 8, start)
        if char in "01234567" and (char == "0" or self._octal_follows(2)):
            digits = char
            while len(digits) < 3 and self._octal_follows(1):
                digits += self.text[self.pos]
                self.pos += 1
            return int(digits, 8)
        if char in "pP":
            raise RefusedRegexError(
                f"uses the Unicode class '\\{char}' at position {start}",
                "origins are ASCII: write the class out, e.g. [a-z] or [0-9]",
            )
        if char.isascii() and char.isalnum():
            what = "in a class" if in_class else ""
            raise RefusedRegexError(
                f"uses the unknown escape '\\{char}' {what} at position {start}".replace("  ", " "),
                "escape only punctuation ('\\.'), or use \\d, \\w or \\s",
            )
        return ord(char)

    def _hex_escape(self, start: int) -> int:
        if self._peek() == "{":
            close = self.text.find("}", self.pos)
            digits = self.text[self.pos + 1 : close] if close != -1 else ""
            if (
                not digits
                or len(digits) > 8
                or not all(d in "0123456789abcdefABCDEF" for d in digits)
            ):
                raise self._invalid("bad \\x{...} escape", start)
            self.pos = close + 1
            code = int(digits, 16)
        else:
            code = self._fixed_hex(2, start)
        if code > 0x10FFFF:
            raise self._invalid("bad \\x{...} escape", start)
        return code

    def _fixed_hex(self, count: int, start: int) -> int:
        digits = self.text[self.pos : self.pos + count]
        if len(digits) != count or not all(d in "0123456789abcdefABCDEF" for d in digits):
            raise self._invalid(f"bad escape, {count} hex digits expected", start)
        self.pos += count
        code = int(digits, 16)
        if code > 0x10FFFF:
            raise self._invalid("bad escape, beyond Unicode", start)
        return code

    # -- classes ---------------------------------------------------------------------------

    def _class(self) -> Chars:
        start = self.pos
        self.pos += 1
        negate = self._peek() == "^"
        if negate:
            self.pos += 1
        mask = 0
        first = True
        while True:
            char = self._peek()
            if char is None:
                raise self._invalid("unterminated character set", start)
            if char == "]" and not first:
                self.pos += 1
                break
            first = False
            if char == "[" and self._peek(1) == ":":
                self._refuse_posix(start)
            low, low_mask = self._class_item(start)
            if self._peek() == "-" and self._peek(1) not in ("]", None) and low is not None:
                self.pos += 1
                high, _ = self._class_item(start)
                if high is None:
                    raise self._invalid("bad character range", start)
                if high < low:
                    raise self._invalid("bad character range", start)
                mask |= self._fold_range(low, high)
            elif low is None:
                if self._peek() == "-" and self._peek(1) not in ("]", None):
                    raise self._invalid("bad character range", start)
                mask |= low_mask
            else:
                mask |= self._fold(_bit(low), low)
        return Chars(ASCII & ~mask if negate else mask)

    def _refuse_posix(self, start: int) -> None:
        """RE2 reads '[:alpha:]' inside a class as a class; Python's re as its characters."""
        close = self.text.find(":]", self.pos + 2)
        name = self.text[self.pos + 2 : close] if close != -1 else "-"
        if not name.removeprefix("^").isalpha() and name not in ("", "^"):
            return  # no POSIX class here: '[' and ':' are characters to both
        spelled = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "lower": "a-z"}
        raise RefusedRegexError(
            f"uses the POSIX class '[:{name}:]' at position {start}, which RE2 reads as a class "
            "and Python's re as the characters in it",
            f"write the range: [{spelled.get(name, 'a-z0-9')}]",
        )

    def _class_item(self, start: int) -> tuple[int | None, int]:
        """One member of a class: (code point, 0) for a character, (None, mask) for \\d etc."""
        char = self.text[self.pos]
        if char != "\\":
            self.pos += 1
            return ord(char), 0
        if self.pos + 1 >= len(self.text):
            raise self._invalid("unterminated character set", start)
        escaped = self.text[self.pos + 1]
        if escaped in _CLASS_ESCAPES:
            self.pos += 2
            return None, _CLASS_ESCAPES[escaped]
        if escaped == "b" or (escaped.isdigit() and escaped != "0" and not self._octal_at(2)):
            raise RefusedRegexError(
                f"writes '\\{escaped}' in a class at position {self.pos}, which Python's re "
                "and RE2 read differently",
                "write the character you mean, e.g. '\\x08'",
            )
        at = self.pos
        self.pos += 1
        return self._escaped_code(at, in_class=True), 0

    def _octal_at(self, count: int) -> bool:
        digits = self.text[self.pos + 2 : self.pos + 2 + count]
        return len(digits) == count and all(d in "01234567" for d in digits)

    def _fold_range(self, low: int, high: int) -> int:
        mask = _range(low, high)
        if self.flags & _IGNORECASE:
            mask = fold_case(mask)
            for special, letters in _FOLDS_TO_ASCII.items():
                if low <= special <= high:
                    mask |= _bit(ord(letters[0])) | _bit(ord(letters[1]))
        return mask


# ---------------------------------------------------------------------------------------------
# The canonical RE2 spelling of a tree


def to_re2(node: Node) -> str:
    """An RE2 expression meaning exactly ``node`` on ASCII text (no flags, no captures)."""
    if isinstance(node, Chars):
        return _class_text(node.mask)
    if isinstance(node, Anchor):
        return "\\z" if node.end else "\\A"
    if isinstance(node, Concat):
        return "".join(
            f"(?:{to_re2(part)})" if isinstance(part, Alternation) else to_re2(part)
            for part in node.parts
        )
    if isinstance(node, Alternation):
        return "|".join(to_re2(option) for option in node.options)
    body = to_re2(node.body)
    if not isinstance(node.body, Chars):
        body = f"(?:{body})"
    if node.high is None:
        return (
            f"{body}*"
            if node.low == 0
            else f"{body}+"
            if node.low == 1
            else f"{body}{{{node.low},}}"
        )
    if node.low == node.high:
        return f"{body}{{{node.low}}}"
    return f"{body}?" if (node.low, node.high) == (0, 1) else f"{body}{{{node.low},{node.high}}}"


def _char_text(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{code:02x}"


def _class_text(mask: int) -> str:
    if mask == 0:
        return "[^\\x00-\\x{10ffff}]"  # reads nothing
    ranges: list[str] = []
    code = 0
    while code < 128:
        if mask >> code & 1:
            end = code
            while end + 1 < 128 and mask >> (end + 1) & 1:
                end += 1
            ranges.append(
                _char_text(code) if end == code else f"{_char_text(code)}-{_char_text(end)}"
            )
            code = end + 1
        else:
            code += 1
    if len(ranges) == 1 and "-" not in ranges[0]:
        return ranges[0]
    return f"[{''.join(ranges)}]"


# ---------------------------------------------------------------------------------------------
# Running canonical expressions


@dataclass(frozen=True, slots=True)
class MatchSet:
    """``match(text)`` is not None when some expression matches all of ``text``."""

    match: Callable[[str], object] | None
    error: str = ""


def full_match_set(canonicals: list[str]) -> MatchSet:
    """An RE2 set of canonical expressions, anchored at both ends (linear-time matching)."""
    options: Any = re2.Options()
    options.log_errors = False
    options.never_capture = True
    matcher: Any = re2.Set.FullMatchSet(options)
    try:
        for canonical in canonicals:
            matcher.Add(canonical)
        matcher.Compile()
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return MatchSet(None, str(detail))
    match: Callable[[str], object] = matcher.Match
    return MatchSet(match)
