"""Timing: drive apps in-process, interleave every contender round by round, keep medians.

Why this shape:

* No server and no network: their cost (and noise) would dwarf a middleware's. ASGI apps are
  awaited in a plain loop inside one coroutine with trivial ``receive``/``send``; nothing
  suspends, so the event loop only starts the batch. WSGI apps are called with a trivial
  ``start_response`` and their iterable is consumed (and closed), as a server does.
* Interleaving: each round times every (scenario, contender) cell once, scenario by scenario
  in a fresh shuffled order, the contenders of a scenario back to back in a fresh shuffled
  order. Slow drift (CPU frequency, other processes on the machine, memory growth) so hits all
  contenders alike instead of whichever happened to run during the disturbance.
* Medians over rounds: robust to the occasional round that a neighbour's burst of work spoils.
  Overheads are paired: the median over rounds of (contender - bare) within the same round;
  ratios likewise are medians of per-round ratios.
* CPU time by default (``time.thread_time_ns``): the benchmark never sleeps or waits, so its
  thread's CPU time is its work, while wall time would also count the time other processes on
  a shared machine took the CPU away. ``--clock wall`` uses ``time.perf_counter_ns``.
* Every cell of a scenario drives the same request through the same loop, so loop and
  bookkeeping costs are identical and cancel out in "overhead over bare". The scope and the
  environ are reused across calls (the check proves no contender mutates them), except under
  Flask, whose Werkzeug writes into the environ: there every contender gets a fresh copy.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import itertools
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from benchmarks import baselines as b
from benchmarks.scenarios import Answer, Contender, Group, Scenario, check, request

_ASGI_REQUEST = {"type": "http.request", "body": b"", "more_body": False}


async def _receive() -> b.Message:
    return _ASGI_REQUEST


async def _send(message: b.Message) -> None:
    return None


def _write(data: bytes) -> None:
    return None


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return _write


Batch = Callable[[int], int]
"""Runs n requests, returns the elapsed nanoseconds."""
Clock = Callable[[], int]
CLOCKS: dict[str, Clock] = {"cpu": time.thread_time_ns, "wall": time.perf_counter_ns}


def stream(scenario: Scenario, first: dict[str, Any], asgi: bool) -> Iterator[dict[str, Any]]:
    """Endless requests for a scenario: ``first`` again and again, or with its Origin rotated.

    Cycled scenarios rewrite the Origin of the one request in place rather than cycling through
    thousands of request objects: those would fall out of the CPU caches, and a server's
    freshly built request is always in them. They visit the origins in a fixed random order,
    so that a batch too short to go round (a slow contender) still samples the whole list, not
    its head (where a linear scan is cheap).
    """
    if len(scenario.origins) == 1:
        return itertools.repeat(first)
    origins = [o or "" for o in scenario.origins]
    random.Random(len(origins)).shuffle(origins)
    return _rotated(first, origins, asgi)


def _rotated(first: dict[str, Any], origins: list[str], asgi: bool) -> Iterator[dict[str, Any]]:
    if not asgi:
        for origin in itertools.cycle(origins):
            first["HTTP_ORIGIN"] = origin
            yield first
    headers = first["headers"]
    at = [name for name, _ in headers].index(b"origin")
    for line in itertools.cycle([(b"origin", o.encode("latin-1")) for o in origins]):
        headers[at] = line
        yield first


def asgi_batch(
    loop: asyncio.AbstractEventLoop, app: b.ASGIApp, pending: Iterator[Any], clock: Clock
) -> Batch:
    """``pending`` is consumed across batches: each resumes where the last one stopped."""

    async def run(n: int) -> int:
        receive, send = _receive, _send
        start = clock()
        for scope in itertools.islice(pending, n):
            await app(scope, receive, send)
        return clock() - start

    return lambda n: loop.run_until_complete(run(n))


def wsgi_batch(
    app: b.WSGIApp, pending: Iterator[dict[str, Any]], fresh_copy: bool, clock: Clock
) -> Batch:
    def run(n: int) -> int:
        start_response = _start_response
        start = clock()
        for environ in itertools.islice(pending, n):
            result = app(environ.copy() if fresh_copy else environ, start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return clock() - start

    return run


# -- one answer, for the correctness check -------------------------------------------------------


def asgi_answer(loop: asyncio.AbstractEventLoop, app: b.ASGIApp, scope: Any) -> Answer:
    sent: list[b.Message] = []

    async def send(message: b.Message) -> None:
        sent.append(message)

    loop.run_until_complete(app(scope, _receive, send))
    start = sent[0]
    headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in start["headers"]]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return Answer(start["status"], headers, body)


def wsgi_answer(app: b.WSGIApp, environ: dict[str, Any]) -> Answer:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return _write

    result = app(environ, start_response)
    body = b"".join(result)
    close = getattr(result, "close", None)
    if close is not None:
        close()
    status, headers = started
    return Answer(int(status.split()[0]), [(k.lower(), v) for k, v in headers], body)


# -- cells and rounds ----------------------------------------------------------------------------


@dataclass
class Cell:
    """One (group, scenario, contender): its batch runner and its per-round ns/request."""

    group: Group
    scenario: Scenario
    contender: Contender
    batch: Batch
    iterations: int = 0
    batch_seconds: float = 0.0  # what a batch of ``iterations`` took when it was sized
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def build_cells(
    groups: tuple[Group, ...],
    scenarios: tuple[Scenario, ...],
    loop: asyncio.AbstractEventLoop,
    clock: Clock,
) -> list[Cell]:
    """Build every contender, check one answer from each, and wrap it in a batch runner."""
    cells: list[Cell] = []
    problems: list[str] = []
    for group in groups:
        for scenario in scenarios:
            if group.only is not None and scenario.key not in group.only:
                continue
            for contender in group.contenders:
                app = contender.build(scenario)
                first = request(scenario, group.asgi)  # its own: cycled scenarios rewrite it
                for _ in range(2):  # the first answer fills memo tables, the second reads them
                    before = copy.deepcopy(first) if group.asgi else first.copy()
                    if group.asgi:
                        answer = asgi_answer(loop, app, first)
                    else:
                        answer = wsgi_answer(app, first.copy() if group.copy_environ else first)
                    if first != before:
                        problems.append(f"{group.name} {contender.name} mutated the request")
                    problems += [f"{group.name} {p}" for p in check(contender, scenario, answer)]
                pending = stream(scenario, first, group.asgi)
                if group.asgi:
                    batch = asgi_batch(loop, app, pending, clock)
                else:
                    batch = wsgi_batch(app, pending, group.copy_environ, clock)
                cells.append(Cell(group, scenario, contender, batch))
    if problems:
        unique = "\n  ".join(dict.fromkeys(problems))
        raise AssertionError(f"broken path, refusing to time it:\n  {unique}")
    return cells


def calibrate(cells: list[Cell], batch_ns: int, fixed: int | None) -> None:
    """Warm each cell up, then size its batch to take about ``batch_ns``."""
    for cell in cells:
        cell.batch(20)  # warm-up: first-call caches, lazy imports, memo tables
        n = 50
        if fixed is not None:
            cell.iterations = fixed
            cell.batch_seconds = fixed * cell.batch(n) / n / 1e9
            continue
        elapsed = cell.batch(n)
        while elapsed < batch_ns // 20 and n < 100_000:  # probe until the timer is trustworthy
            n *= 4
            elapsed = cell.batch(n)
        cell.iterations = max(5, min(1_000_000, round(batch_ns * n / max(elapsed, 1))))
        cell.batch_seconds = cell.iterations * elapsed / n / 1e9


def run_rounds(
    cells: list[Cell], rounds: int, seed: int, progress: Callable[[int], None] | None = None
) -> None:
    """Time every cell once per round: blocks of one scenario's contenders, both shuffled.

    A scenario's contenders run back to back, so each round's samples of them share the
    machine's state of that moment and can be compared pairwise (see :func:`paired_median`).
    """
    blocks: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        blocks.setdefault((cell.group.name, cell.scenario.key), []).append(cell)
    order = list(blocks.values())
    shuffle = random.Random(seed).shuffle
    gc.collect()
    gc.freeze()  # set-up objects out of the collector's way: GC cost is then the code's own
    try:
        for index in range(rounds):
            shuffle(order)
            for block in order:
                shuffle(block)
                for cell in block:
                    cell.samples.append(cell.batch(cell.iterations) / cell.iterations)
            if progress is not None:
                progress(index + 1)
    finally:
        gc.unfreeze()


def paired_median(cell: Cell, base: Cell) -> float:
    """Median over rounds of ``cell - base``, each pair measured moments apart."""
    return statistics.median(a - b for a, b in zip(cell.samples, base.samples, strict=True))


def ratio_median(cell: Cell, unit: Cell, base: Cell | None = None) -> float:
    """Median over rounds of ``(cell - base) / (unit - base)`` (of ``cell / unit`` without base).

    Taken round by round, the ratio cancels what slowed the whole round down (a busy machine
    makes the contender and the floor slower together). Rounds whose unit is not positive are
    skipped; NaN when they are the majority.
    """
    zero = [0.0] * len(cell.samples)
    bases = zero if base is None else base.samples
    ratios = [
        (c - b) / (u - b)
        for c, u, b in zip(cell.samples, unit.samples, bases, strict=True)
        if u - b > 0
    ]
    return statistics.median(ratios) if 2 * len(ratios) > len(cell.samples) else float("nan")
