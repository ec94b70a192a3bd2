"""Run every benchmark in one process and print the table: ``python -m benchmarks.run``.

Reports, per scenario and contender, nanoseconds per request, the overhead over the bare app,
and the ratio of that overhead to the header floor's (see ``baselines``), then judges corskit
against its targets. ``--quick`` takes well under 20 s; the default run a few minutes at most.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: import the package from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.harness import (
    CLOCKS,
    Cell,
    build_cells,
    calibrate,
    paired_median,
    ratio_median,
    run_rounds,
)
from benchmarks.scenarios import GROUPS, SCENARIOS, Group, Scenario
from benchmarks.stores import STORE_GROUPS

# corskit's targets, judged in the plain ASGI and WSGI groups.
RATIO_TARGETS = {"no_origin": 1.5, "allowed_get": 2.0, "allowed_preflight": 2.0}
MANY_ORIGINS_SLACK = 1.10  # the 10k-origin allowed GET within 10% of the one-origin one


@dataclass(frozen=True)
class Verdict:
    """One corskit target: ``value`` (in ``unit``) must be at most ``limit``."""

    group: str
    scenario: str
    unit: str
    value: float
    limit: float

    @property
    def passed(self) -> bool:
        return self.value <= self.limit

    def short(self) -> str:
        return f"{self.value:.2f} <= {self.limit:g} {'PASS' if self.passed else 'FAIL'}"

    def line(self) -> str:
        return f"corskit {self.group:<5} {self.scenario:<18} {self.unit:<20} {self.short()}"


class Results:
    """Medians by (group, scenario, contender), and what they mean."""

    def __init__(self, cells: list[Cell]) -> None:
        self.cells = cells
        self.by_key = {(c.group.name, c.scenario.key, c.contender.name): c for c in cells}
        self.ns = {key: c.median for key, c in self.by_key.items()}
        self.groups = {c.group.name: c.group for c in cells}

    def overhead(self, group: Group, scenario: Scenario, name: str) -> float:
        """Paired: the median over rounds of (this contender - the bare app) in that round."""
        bare = group.contenders[0].name
        cell = self.by_key[group.name, scenario.key, name]
        return paired_median(cell, self.by_key[group.name, scenario.key, bare])

    def unit_group(self, group: Group) -> Group:
        """Whose floor is the unit: ``group.floor_from`` when it was measured, else its own."""
        return self.groups.get(group.floor_from or group.name, group)

    def ratio(self, group: Group, scenario: Scenario, name: str) -> float:
        """Overhead in floor overheads: per round in one group, else of the two medians."""
        source = self.unit_group(group)
        floor = next(c.name for c in source.contenders if c.role == "floor")
        if source is group:
            cell, unit, bare = (
                self.by_key[group.name, scenario.key, n]
                for n in (name, floor, group.contenders[0].name)
            )
            return ratio_median(cell, unit, bare)
        unit_ns = self.overhead(source, scenario, floor)
        return self.overhead(group, scenario, name) / unit_ns if unit_ns > 0 else float("nan")

    def verdicts(self, group: Group, scenarios: tuple[Scenario, ...]) -> list[Verdict]:
        if not group.targets:
            return []
        name = next(c.name for c in group.contenders if c.corskit)
        by_key = {s.key: s for s in scenarios}
        out = []
        for key, limit in RATIO_TARGETS.items():
            if key in by_key:
                value = self.ratio(group, by_key[key], name)
                out.append(Verdict(group.name, by_key[key].title, "x floor overhead", value, limit))
        if "many_origins" in by_key and "allowed_get" in by_key:
            many = self.by_key[group.name, "many_origins", name]
            value = ratio_median(many, self.by_key[group.name, "allowed_get", name])
            title = by_key["many_origins"].title
            out.append(Verdict(group.name, title, "x allowed GET ns", value, MANY_ORIGINS_SLACK))
        return out


def store_verdicts(results: Results) -> list[Verdict]:
    """A warm store GET within 20% of the static GET (see benchmarks/stores.py)."""
    from benchmarks import stores

    return [
        Verdict(group, "store GET, 100k", "x static GET ns", value, limit)
        for group, value, limit in stores.verdict(results)
    ]


def _ratio(value: float) -> str:
    if value != value:  # NaN: the floor's overhead was not positive
        return "-"
    return f"{value:.0f}x" if abs(value) >= 100 else f"{value:.2f}x"


def table(results: Results, group: Group, scenarios: tuple[Scenario, ...], how: str) -> str:
    """One row per scenario; each layer shows ns/request, +overhead ns, and x floor overhead."""
    names = [c.name for c in group.contenders]
    unit = results.unit_group(group)
    verdicts = {v.scenario: v for v in results.verdicts(group, scenarios)}
    lines = [
        f"{group.name}: ns/request ({how}); +ns = overhead over {names[0]}; "
        f"x = overhead / {'' if unit is group else unit.name + ' '}floor overhead",
        f"{'scenario':<24}{names[0]:>8}"
        + "".join(f"{n:>25}" for n in names[1:])
        + ("   corskit target" if group.targets else ""),
    ]
    for s in scenarios:
        if group.only is not None and s.key not in group.only:
            continue
        row = f"{s.title:<24}{results.ns[group.name, s.key, names[0]]:>8.0f}"
        for n in names[1:]:
            ns = results.ns[group.name, s.key, n]
            row += f"{ns:>9.0f}{results.overhead(group, s, n):>+9.0f}"
            row += f"{_ratio(results.ratio(group, s, n)):>7}"
        v = verdicts.get(s.title)
        if v is not None:
            row += f"   {v.short()}"
        lines.append(row)
    return "\n".join(lines)


def environment() -> dict[str, str]:
    """What the numbers belong to: interpreter, machine, corskit revision, peer versions."""

    def git(*args: str) -> str | None:
        root = Path(__file__).resolve().parent.parent
        try:
            out = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return out.stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "?"
    if git("status", "--porcelain", "--untracked-files=no", "--", "src"):
        revision += " + uncommitted changes in src/"
    return {
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        "corskit": f"{version('corskit')} @ {revision}",
        "peers": ", ".join(f"{p} {version(p)}" for p in ("starlette", "flask", "flask-cors")),
    }


def to_json(results: Results, verdicts: list[Verdict]) -> dict[str, Any]:
    """Every cell with its samples, and the verdicts; NaN ratios become null."""

    def number(value: float) -> float | None:
        return None if value != value else value

    cells = [
        {
            "group": c.group.name,
            "scenario": c.scenario.key,
            "contender": c.contender.name,
            "iterations": c.iterations,
            "ns": c.median,
            "overhead_ns": results.overhead(c.group, c.scenario, c.contender.name),
            "ratio": number(results.ratio(c.group, c.scenario, c.contender.name)),
            "samples": c.samples,
        }
        for c in results.cells
    ]
    targets = [{**v.__dict__, "passed": v.passed} for v in verdicts]
    return {
        "command": " ".join(["python", "-m", "benchmarks.run", *sys.argv[1:]]),
        "cells": cells,
        "targets": targets,
    }


def profile(cells: list[Cell], seconds: float) -> None:
    """cProfile corskit's cells: a pointer to hot spots (cProfile inflates small calls ~3x)."""
    for cell in cells:
        if not cell.contender.corskit or not cell.group.targets:
            continue
        n = max(1, round(cell.iterations * seconds / cell.batch_seconds))
        profiler = cProfile.Profile()
        profiler.runcall(cell.batch, n)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(12)
        text = out.getvalue()
        rows = text[text.find("   ncalls") :].rstrip()
        print(f"\n== {cell.group.name} corskit, {cell.scenario.title}: {n} requests ==\n{rows}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="9 short rounds: under ~20 s")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 31; quick 9)")
    parser.add_argument("--batch-ms", type=float, help="time per cell per round (default 10)")
    parser.add_argument("--iterations", type=int, help="fixed requests per batch (else sized)")
    parser.add_argument(
        "--group",
        action="append",
        choices=[g.name for g in GROUPS + STORE_GROUPS],
        help="only these groups (repeatable)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.key for s in SCENARIOS],
        help="only these scenarios (repeatable)",
    )
    parser.add_argument("--no-extra", action="store_true", help="skip the cycled-origin rows")
    parser.add_argument(
        "--no-stores", action="store_true", help="skip the client-store groups and measurements"
    )
    parser.add_argument(
        "--spray", type=int, default=100_000, help="unknown origins in the store spray"
    )
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="thread CPU time (default) or wall"
    )
    parser.add_argument("--seed", type=int, default=1, help="shuffle seed for round order")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, cProfile corskit's ASGI/WSGI cells",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (9 if args.quick else 31)
    batch_ms = args.batch_ms or (2.0 if args.quick else 10.0)
    everything = GROUPS if args.no_stores else GROUPS + STORE_GROUPS
    groups = tuple(g for g in everything if not args.group or g.name in args.group)
    scenarios = tuple(
        s
        for s in SCENARIOS
        if (not args.scenario or s.key in args.scenario) and not (args.no_extra and s.extra)
    )

    started = time.monotonic()
    env = environment()
    print(" | ".join(f"{k} {v}" for k, v in env.items()))
    loop = asyncio.new_event_loop()
    try:
        cells = build_cells(groups, scenarios, loop, CLOCKS[args.clock])
        print(f"checked {len(cells)} cells: every answer is right; calibrating...", flush=True)
        calibrate(cells, round(batch_ms * 1e6), args.iterations)
        if args.profile:
            profile(cells, 0.3)
            return 0
        eta = len(cells) * rounds * batch_ms / 1000
        print(f"timing {rounds} rounds x {len(cells)} cells x ~{batch_ms:g} ms (~{eta:.0f} s)")

        def progress(done: int) -> None:
            end = "\n" if done == rounds else ""
            print(f"\r  round {done}/{rounds}", end=end, flush=True, file=sys.stderr)

        run_rounds(cells, rounds, args.seed, progress if sys.stderr.isatty() else None)
    finally:
        loop.close()

    results = Results(cells)
    verdicts = [v for g in groups for v in results.verdicts(g, scenarios)]
    for group in groups:
        how = f"median of {rounds} rounds, {args.clock} time"
        print("\n" + table(results, group, scenarios, how))
    store_groups = [g for g in groups if g in STORE_GROUPS]
    if store_groups:
        verdicts += store_verdicts(results)
    if verdicts:
        print("\ncorskit targets:")
        print("\n".join(v.line() for v in verdicts))
    if store_groups:
        from benchmarks import stores

        print("\nclient stores:")
        print("\n".join(stores.measure(args.spray).lines()))
    elapsed = time.monotonic() - started
    print(f"\n{len(cells)} cells, {rounds} rounds, {elapsed:.0f} s")
    if args.json:
        document = {"environment": env, "rounds": rounds, "clock": args.clock}
        document |= to_json(results, verdicts)
        Path(args.json).write_text(json.dumps(document, indent=1) + "\n")
    return 1 if args.strict and not all(v.passed for v in verdicts) else 0


if __name__ == "__main__":
    raise SystemExit(main())
