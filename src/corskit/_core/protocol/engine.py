"""The decision: request facts plus a policy in, a Decision out. Pure and fast.

The engine knows nothing of ASGI or WSGI. It works on the adapter's own string type (``bytes``
for ASGI, ``str`` for WSGI) so that neither side converts header values per request: every
constant is built once in both types, and request values are compared and echoed as they came.

Step comments cite the Fetch Standard sections the server-side behaviour answers to:
"CORS check", "CORS-preflight fetch", "HTTP responses" and "CORS protocol and HTTP caches".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Generic, Literal, TypeVar, cast

from ...config import Route
from ...policy import Policy
from ...reasons import Reason
from ..model import http as _http
from .ask import SourceAsker

__all__ = ["Decision", "Engine", "Kind"]

W = TypeVar("W", bytes, str)
K = TypeVar("K")
V = TypeVar("V")

logger = logging.getLogger("corskit")

# Bounds on attacker-controlled Access-Control-Request-Headers (design rule 17).
MAX_REQUEST_HEADERS_LENGTH = 8192
MAX_REQUEST_HEADERS = 256
MAX_EMPTY_ELEMENTS = 16
# Bounded memo of decisions for repeated request facts; cleared when full.
DECISION_CACHE_SIZE = 1024
MAX_CACHED_KEY_LENGTH = 1024


SourceVerdict = bool | Reason | None
"""What a dynamic origin source said: True/False, a Reason when it failed, None: not asked."""


def _from_source(verdict: SourceVerdict) -> Reason:
    """The denial reason for a source's negative answer."""
    return verdict if isinstance(verdict, Reason) else Reason.ORIGIN_NOT_ALLOWED


class Kind(Enum):
    NOT_CORS = "not_cors"
    PREFLIGHT_OK = "preflight_ok"
    PREFLIGHT_DENIED = "preflight_denied"
    ACTUAL_OK = "actual_ok"
    ACTUAL_DENIED = "actual_denied"
    ASK_SOURCE = "ask_source"  # static patterns missed; the policy's origin_source decides


def _latin1_encode(text: str) -> bytes:
    return text.encode("latin-1")


def _latin1_decode(value: bytes) -> str:
    return value.decode("latin-1")


def _same(text: str) -> str:
    return text


def wire_encoder(wire: type[W]) -> Callable[[str], W]:
    """str -> the adapter's string type: latin-1 bytes for ASGI, str itself for WSGI."""
    return cast("Callable[[str], W]", _latin1_encode if wire is bytes else _same)


class Decision(Generic[W]):
    """What the adapter must do. Immutable by convention: ``headers`` is a tuple.

    For actual requests ``headers`` are the CORS headers to add to the app's response (the
    adapter merges ``Vary: Origin`` itself); ``status`` is set only when the request must be
    refused before the app. For preflights ``headers`` is the whole answer, Vary included.
    ``body`` is empty but for a refused preflight explained in debug mode, whose ``headers``
    then carry its Content-Type and Content-Length.
    """

    __slots__ = ("body", "headers", "kind", "reason", "status")

    headers: tuple[tuple[W, W], ...]

    def __init__(
        self,
        kind: Kind,
        headers: tuple[tuple[W, W], ...] = (),
        status: int | None = None,
        reason: Reason | None = None,
        body: bytes = b"",
    ) -> None:
        self.kind = kind
        self.headers = headers
        self.status = status
        self.reason = reason
        self.body = body

    def __repr__(self) -> str:
        return (
            f"Decision({self.kind.name}, status={self.status}, reason={self.reason}, "
            f"{self.headers!r})"
        )


class Engine(Generic[W]):
    """One policy compiled for one string type. Build once; call per request.

    ``name`` is the policy's name in its config and ``routes`` that config's routes: what a
    denial report names (which policy, which route), read only on the denial path.
    """

    _exact: frozenset[W]
    _methods: frozenset[W] | None
    _headers: frozenset[W] | None
    _token: Callable[[W], object]
    _comma: W
    _ows: W
    _true: W
    _authorization: W
    _star_authorization: W
    _acao: W
    _acam: W
    _acah: W
    _star: W
    _acam_value: W | None
    _acah_value: W | None
    _actual_rest: tuple[tuple[W, W], ...]
    _actual_any: Decision[W]
    _actual_denied: dict[Reason, Decision[W]]
    _preflight_credentials: tuple[tuple[W, W], ...]
    _preflight_vary: tuple[W, W]
    _preflight_tail: tuple[tuple[W, W], ...]
    _preflight_denied: dict[Reason, Decision[W]]
    _acapn: tuple[W, W]
    _ask_source: Decision[W]

    def __init__(
        self,
        policy: Policy,
        wire: type[W],
        name: str = "default",
        routes: Sequence[Route] = (),
    ) -> None:
        self.policy = policy
        self.name = name
        self.routes = routes
        encode = wire_encoder(wire)
        self._decode: Callable[[W], str] = cast(
            "Callable[[W], str]", _latin1_decode if wire is bytes else _same
        )
        matcher = policy.matcher
        self._exact = cast("frozenset[W]", matcher.exact_bytes if wire is bytes else matcher.exact)
        self._any = matcher.allow_any
        self._slow_match = matcher.needs_parse
        self._matches_parsed = matcher.matches_parsed
        self.source_asker = SourceAsker.for_policy(policy)
        """Asks the policy's origin source (None without one): see actual_sync/_async."""
        self._has_source = self.source_asker is not None
        self._generation: Callable[[], int] | None = (
            None if self.source_asker is None else self.source_asker.generation
        )
        """The store's generation() (see CachingStore.generation), or None: no source memo."""
        self._pushes: Callable[[], bool] | None = None
        """The store's pushes_changes(), once this engine listens to it: see _serve_hot."""
        self._credentials = policy.credentials
        self._private_network = policy.private_network
        self._methods = None
        if policy.allowed_methods is not None:
            allowed = policy.allowed_methods | _http.SAFELISTED_METHODS
            self._methods = frozenset(encode(m) for m in allowed)
        self._headers = None
        if policy.allowed_request_headers is not None:
            self._headers = frozenset(encode(h) for h in policy.allowed_request_headers)
        self._token = re.compile(encode(_http.TOKEN_PATTERN)).fullmatch
        self._comma = encode(",")
        self._ows = encode(" \t")
        self._true = encode("true")
        self._authorization = encode(_http.NON_WILDCARD_REQUEST_HEADER)
        # Design rule 18 under '*': never granted, so never echoed (browsers never ask for them).
        self._forbidden_methods: frozenset[W] = frozenset(map(encode, _http.FORBIDDEN_METHODS))
        self._forbidden_headers: frozenset[W] = frozenset(
            map(encode, _http.FORBIDDEN_REQUEST_HEADERS)
        )
        self._forbidden_prefixes: tuple[W, ...] = tuple(
            map(encode, _http.FORBIDDEN_REQUEST_HEADER_PREFIXES)
        )
        # Bounded memos of decisions for repeated request facts; cleared when full.
        self.known_actual: dict[W, Decision[W]] = {}
        """Memo of actual-request decisions by origin, allowed and denied (read by actual())."""
        self.allowed_cors: dict[W, tuple[tuple[W, W], ...]] = {}
        """The CORS headers of origins known to be allowed, for the adapters' hot path: one
        lookup there instead of a lookup, a truth test and two attribute reads on a Decision."""
        self.known_preflights: dict[tuple[W | None, ...], Decision[W]] = {}
        """Memo of preflight decisions by (origin, method, request headers, private network)."""
        self.source_actual: dict[W, tuple[int, Decision[W]]] = {}
        """Memo of the decisions the origin source made (allow and deny), each with the
        store generation it was made under: valid only while the store says that number."""
        self.source_preflights: dict[tuple[W | None, ...], tuple[int, Decision[W]]] = {}
        """The same for preflights, by the facts of ``known_preflights``."""
        self._build_actual_constants(policy, encode)
        self._build_preflight_constants(policy, encode)
        self._listen_to_source()

    def _listen_to_source(self) -> None:
        asker = self.source_asker
        if asker is None or asker.subscribe is None or asker.pushes_changes is None:
            return
        try:
            asker.subscribe(self._source_changed)
        except Exception:  # a custom store's bug: its answers stay off the hot path
            logger.exception("corskit: origin_source.subscribe() failed")
            return
        self._pushes = asker.pushes_changes

    def _source_changed(self) -> None:
        """The store dropped answers: what the hot paths hold may be among them."""
        self.allowed_cors.clear()
        self.known_preflights.clear()

    def _build_actual_constants(self, policy: Policy, h: Callable[[str], W]) -> None:
        self._acao = h("access-control-allow-origin")
        self._star = h("*")
        self._preflight_credentials = ()
        if policy.credentials:
            self._preflight_credentials = ((h("access-control-allow-credentials"), h("true")),)
        # Actual responses (Fetch "CORS check" + "CORS-filtered response"): ACAC and ACEH.
        expose: tuple[tuple[W, W], ...] = ()
        if policy.exposed_headers is None:
            expose = ((h("access-control-expose-headers"), h("*")),)
        elif policy.exposed_headers:
            expose = ((h("access-control-expose-headers"), h(", ".join(policy.exposed_headers))),)
        self._actual_rest = self._preflight_credentials + expose
        self._actual_any = Decision(Kind.ACTUAL_OK, ((self._acao, self._star),) + self._actual_rest)
        self._actual_denied = {
            reason: Decision(Kind.ACTUAL_DENIED, (), policy.deny_status, reason)
            for reason in Reason
        }
        self._ask_source = Decision(Kind.ASK_SOURCE)

    def _build_preflight_constants(self, policy: Policy, h: Callable[[str], W]) -> None:
        # Preflight answers (Fetch "CORS-preflight fetch").
        self._acam = h("access-control-allow-methods")
        self._acah = h("access-control-allow-headers")
        self._acam_value = None
        if policy.allowed_methods is not None:
            self._acam_value = h(", ".join(str(m) for m in policy.methods))
        self._acah_value = None
        if policy.allowed_request_headers is not None:
            self._acah_value = h(", ".join(str(n) for n in policy.request_headers if n != "*"))
        self._star_authorization = h("*, authorization")
        vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        if policy.private_network:
            vary += ", Access-Control-Request-Private-Network"
        self._preflight_vary = (h("vary"), h(vary))
        self._preflight_tail = ()
        if policy.max_age is not None:
            self._preflight_tail = ((h("access-control-max-age"), h(str(policy.max_age))),)
        self._acapn = (h("access-control-allow-private-network"), h("true"))
        self._preflight_denied = {
            reason: Decision(
                Kind.PREFLIGHT_DENIED, (self._preflight_vary,), policy.preflight_deny_status, reason
            )
            for reason in Reason
        }

    # -- origin ----------------------------------------------------------------------------

    def _verdict(self, origin: W, source_verdict: SourceVerdict) -> Reason | Literal[True] | None:
        """True: allowed. A Reason: denied. None: the dynamic source must decide."""
        if source_verdict is not None:
            return True if source_verdict is True else _from_source(source_verdict)
        if origin in self._exact:
            return True
        if self._slow_match and self._matches_parsed(self._decode(origin)):
            return True
        if self._has_source:
            return None
        return Reason.ORIGIN_NOT_ALLOWED

    # -- actual requests -------------------------------------------------------------------

    def actual(self, origin: W, source_verdict: SourceVerdict = None) -> Decision[W]:
        """Headers for the response to a non-preflight request carrying ``origin``."""
        if self._any:
            # Fetch "CORS check" step 2: '*' passes when credentials are not included.
            if source_verdict is None:
                _remember(self.allowed_cors, origin, len(origin), self._actual_any.headers)
            return self._actual_any
        if source_verdict is None:
            held = self.source_actual.get(origin)  # first: what an adapter misses on is here
            generation = self._generation
            if held is not None and generation is not None:
                try:
                    now = generation()
                except Exception:  # a custom store's bug: ask it the long way
                    now = -1
                if held[0] == now:
                    return held[1]
            known = self.known_actual.get(origin)
            if known is not None:
                return known
        verdict = self._verdict(origin, source_verdict)
        if verdict is None:
            return self._ask_source
        if verdict is True:
            # Fetch "CORS check" step 3: the value must equal the request's origin, byte for byte.
            decision: Decision[W] = Decision(
                Kind.ACTUAL_OK, ((self._acao, origin),) + self._actual_rest
            )
            if source_verdict is None:
                _remember(self.allowed_cors, origin, len(origin), decision.headers)
        else:
            decision = self._actual_denied[verdict]
        if source_verdict is None:
            _remember(self.known_actual, origin, len(origin), decision)
        return decision

    def denied_actual(self, reason: Reason) -> Decision[W]:
        return self._actual_denied[reason]

    # -- preflights ------------------------------------------------------------------------

    def preflight(
        self,
        origin: W,
        method: W,
        request_headers: W | None,
        private_network: W | None,
        source_verdict: SourceVerdict = None,
    ) -> Decision[W]:
        """The whole answer to an OPTIONS request with Origin and Access-Control-Request-Method."""
        key = (origin, method, request_headers, private_network)
        if source_verdict is None:
            cached = self.known_preflights.get(key)
            if cached is not None:
                return cached
            generation = self._generation
            if generation is not None:
                held = self.source_preflights.get(key)
                if held is not None:
                    try:
                        now = generation()
                    except Exception:  # a custom store's bug: ask it the long way
                        now = -1
                    if held[0] == now:
                        return held[1]
        decision = self._decide_preflight(
            origin, method, request_headers, private_network, source_verdict
        )
        if source_verdict is None and decision.kind is not Kind.ASK_SOURCE:
            size = sum(len(part) for part in key if part is not None)
            _remember(self.known_preflights, key, size, decision)
        return decision

    def denied_preflight(self, reason: Reason) -> Decision[W]:
        return self._preflight_denied[reason]

    # -- the whole question, the origin source asked here ------------------------------------
    #
    # actual() and preflight() answer ASK_SOURCE when only the policy's origin source can
    # decide. These four finish the question themselves, asking the source (see ask.py:
    # memo, coalescing, a worker thread for sync sources under an event loop), so an adapter
    # keeps its fast path and one guard line:
    #     if decision.kind is Kind.ASK_SOURCE: decision = await engine.actual_async(origin)
    #
    # A store with a generation (CachingStore.generation) has its yes/no kept here as the
    # finished Decision, tagged with the generation read before the question: actual() and
    # preflight() then answer a warm origin with one lookup and one call, and the store's
    # next change, poll or cache drop moves the number and retires every kept decision.
    # Failures (a Reason) are never kept; a plain callable keeps only its TTL memo (ask.py).

    def actual_sync(self, origin: W) -> Decision[W]:
        """:meth:`actual`, with the origin source asked synchronously when it must decide."""
        decision = self.actual(origin)
        if decision.kind is Kind.ASK_SOURCE:
            tag, verdict = self._asker().ask_sync_tagged(self._decode(origin))
            decision = self.actual(origin, verdict)
            self._keep_actual(origin, tag, verdict, decision)
        return decision

    async def actual_async(self, origin: W) -> Decision[W]:
        """:meth:`actual`, with the origin source awaited when it must decide."""
        decision = self.actual(origin)
        if decision.kind is Kind.ASK_SOURCE:
            tag, verdict = await self._asker().ask_async_tagged(self._decode(origin))
            decision = self.actual(origin, verdict)
            self._keep_actual(origin, tag, verdict, decision)
        return decision

    def preflight_sync(
        self, origin: W, method: W, request_headers: W | None, private_network: W | None
    ) -> Decision[W]:
        """:meth:`preflight`, with the origin source asked synchronously when it must decide."""
        decision = self.preflight(origin, method, request_headers, private_network)
        if decision.kind is Kind.ASK_SOURCE:
            tag, verdict = self._asker().ask_sync_tagged(self._decode(origin))
            decision = self.preflight(origin, method, request_headers, private_network, verdict)
            self._keep_preflight(
                (origin, method, request_headers, private_network), tag, verdict, decision
            )
        return decision

    async def preflight_async(
        self, origin: W, method: W, request_headers: W | None, private_network: W | None
    ) -> Decision[W]:
        """:meth:`preflight`, with the origin source awaited when it must decide."""
        decision = self.preflight(origin, method, request_headers, private_network)
        if decision.kind is Kind.ASK_SOURCE:
            tag, verdict = await self._asker().ask_async_tagged(self._decode(origin))
            decision = self.preflight(origin, method, request_headers, private_network, verdict)
            self._keep_preflight(
                (origin, method, request_headers, private_network), tag, verdict, decision
            )
        return decision

    def _keep_actual(
        self, origin: W, tag: int, verdict: SourceVerdict, decision: Decision[W]
    ) -> None:
        if tag >= 0 and type(verdict) is bool and self._generation is not None:
            _remember(self.source_actual, origin, len(origin), (tag, decision))
            if verdict is True and decision.kind is Kind.ACTUAL_OK:
                self._serve_hot(self.allowed_cors, origin, len(origin), decision.headers, tag)

    def _keep_preflight(
        self, key: tuple[W | None, ...], tag: int, verdict: SourceVerdict, decision: Decision[W]
    ) -> None:
        if tag >= 0 and type(verdict) is bool and self._generation is not None:
            size = sum(len(part) for part in key if part is not None)
            _remember(self.source_preflights, key, size, (tag, decision))
            if verdict is True and decision.kind is Kind.PREFLIGHT_OK:
                self._serve_hot(self.known_preflights, key, size, decision, tag)

    def _serve_hot(self, memo: dict[K, V], key: K, size: int, value: V, tag: int) -> None:
        """Put a store's yes where static answers are, when the store will say it changed.

        The hot paths (``allowed_cors``, ``known_preflights``) are read with no question to
        the store, so an entry there is only safe while the store calls ``_source_changed``
        on every change without being asked (``pushes_changes``). The order closes the race
        with a change landing meanwhile: the store moves its generation *before* it tells
        its listeners, and the entry goes in *before* the generation is read again. So either
        the change was told after the entry went in (and emptied it), or the generation
        read here differs from ``tag``, the one the answer was given under, and the entry is
        taken out again.
        """
        pushes = self._pushes
        generation = self._generation
        if pushes is None or generation is None:
            return
        try:
            if pushes() is not True:
                return
            _remember(memo, key, size, value)
            if generation() == tag:
                return
        except Exception:  # a custom store's bug: keep its answers off the hot path
            logger.exception("corskit: origin_source.pushes_changes() or generation() failed")
        memo.pop(key, None)

    @property
    def can_ask_sync(self) -> bool:
        """False when the policy's origin source is async-only (a WSGI server cannot await)."""
        return self.source_asker is None or self.source_asker.can_ask_sync

    def _asker(self) -> SourceAsker[bool]:
        asker = self.source_asker
        assert asker is not None  # ASK_SOURCE is only ever answered when there is a source
        return asker

    def _decide_preflight(
        self,
        origin: W,
        method: W,
        request_headers: W | None,
        private_network: W | None,
        source_verdict: SourceVerdict,
    ) -> Decision[W]:
        # CORS-preflight fetch: the CORS check on the origin comes first.
        if self._any:
            allow_origin = self._star
        else:
            verdict = self._verdict(origin, source_verdict)
            if verdict is None:
                return self._ask_source
            if verdict is not True:
                return self._preflight_denied[verdict]
            allow_origin = origin
        headers: list[tuple[W, W]] = [(self._acao, allow_origin)]
        headers.extend(self._preflight_credentials)

        # Then the method: a token, matched case-sensitively (Fetch "methods").
        if self._token(method) is None:
            return self._preflight_denied[Reason.METHOD_MALFORMED]
        if self._methods is None:
            if method.upper() in self._forbidden_methods:
                return self._preflight_denied[Reason.METHOD_NOT_ALLOWED]
            # '*' is literal under credentials: echo the requested method instead.
            headers.append((self._acam, method if self._credentials else self._star))
        elif method not in self._methods:
            return self._preflight_denied[Reason.METHOD_NOT_ALLOWED]
        elif self._acam_value:
            headers.append((self._acam, self._acam_value))

        # Then the request headers, read in one bounded pass.
        if request_headers is not None:
            names = self._parse_request_headers(request_headers)
            if isinstance(names, Reason):
                return self._preflight_denied[names]
            if names:
                allow_headers = self._allow_headers_value(names)
                if allow_headers is None:
                    return self._preflight_denied[Reason.HEADER_NOT_ALLOWED]
                headers.append((self._acah, allow_headers))

        # Private Network Access: granted only on request, only when the policy opts in. A
        # policy without it ignores the request header (so the answer does not vary on it):
        # Chromium sent these preflights in warning mode, and refusing would break such apps.
        if self._private_network and private_network == self._true:
            headers.append(self._acapn)

        headers.extend(self._preflight_tail)
        headers.append(self._preflight_vary)
        return Decision(Kind.PREFLIGHT_OK, tuple(headers), self.policy.preflight_status)

    def _allow_headers_value(self, names: list[W]) -> W | None:
        if self._headers is None:
            for name in names:
                if name in self._forbidden_headers or name.startswith(self._forbidden_prefixes):
                    return None
            if self._credentials:
                # '*' is literal under credentials: echo the names the browser asked for.
                return self._comma.join(names)
            # '*' never covers Authorization: name it when it was asked for.
            return self._star_authorization if self._authorization in names else self._star
        for name in names:
            if name not in self._headers:
                return None
        return self._acah_value

    def _parse_request_headers(self, value: W) -> list[W] | Reason:
        """Split a (possibly multi-line, OWS-padded) ACRH value into lower-case names."""
        if len(value) > MAX_REQUEST_HEADERS_LENGTH:
            return Reason.HEADERS_TOO_MANY
        names: list[W] = []
        empty = 0
        for element in value.split(self._comma):
            name = element.strip(self._ows)
            if not name:
                empty += 1
                if empty > MAX_EMPTY_ELEMENTS:
                    return Reason.HEADERS_MALFORMED
                continue
            if self._token(name) is None:
                return Reason.HEADERS_MALFORMED
            names.append(name.lower())
        if len(names) > MAX_REQUEST_HEADERS:
            return Reason.HEADERS_TOO_MANY
        return names


def _remember(cache: dict[K, V], key: K, size: int, decision: V) -> None:
    """Memoize a decision for repeated request facts; bounded, cleared when full."""
    if size > MAX_CACHED_KEY_LENGTH:
        return
    if len(cache) >= DECISION_CACHE_SIZE:
        cache.clear()
    cache[key] = decision
