"""The benchmark command still runs, and its correctness check still passes for every contender.

Timing is not judged here (see benchmarks/README.md): this only keeps `python -m benchmarks.run`
working, since it refuses to time a contender whose answers are wrong.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_command_checks_every_answer_and_prints_the_targets() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--rounds", "1", "--batch-ms", "0.2", "--no-extra"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "every answer is right" in run.stdout
    for group in ("corskit ASGI", "corskit WSGI"):
        for scenario in ("no Origin", "allowed GET", "allowed preflight", "10k origins, last"):
            assert any(
                line.startswith(group) and scenario in line for line in run.stdout.splitlines()
            ), (group, scenario)
    assert "lean floor" in run.stdout
