"""Fork a child that reports one line, and never wait for it without a bound.

A child that hangs (a lock inherited held, a deadlock in a C library) must fail its test with
what is known, not hold CI until its time runs out: once it did, for 90 minutes.
"""

from __future__ import annotations

import os
import select
import signal
import time
import warnings
from collections.abc import Callable

import pytest

CHILD_LIMIT = 60.0
"""Seconds a forked child may take: far above what any of these children needs (< 5 s)."""


def run_in_child(
    check: Callable[[], str],
    within: float = CHILD_LIMIT,
    meanwhile: Callable[[], object] | None = None,
) -> str:
    """Run ``check()`` in a child made by ``os.fork()``; its report, once it exited with 0.

    ``meanwhile()`` runs in the parent once the child exists (a change the child must see).

    Fails the test, and kills the child, when it has not finished ``within`` seconds; fails
    it with the child's report (or the exception it raised) when it did not exit with 0.
    """
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:  # the child: write its report, never return into pytest
        code = 1
        try:
            os.close(read)
            try:
                report = check()
                code = 0
            except BaseException as error:  # reported to the parent, as text
                report = f"the child raised {error!r}"
            os.write(write, report.encode())
        finally:
            os._exit(code)
    os.close(write)
    try:
        if meanwhile is not None:
            meanwhile()
        report = _read_until_closed(read, time.monotonic() + within)
    finally:
        os.close(read)
    if report is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"the forked child was still running after {within:g} s and was killed")
    status = _reap(pid, time.monotonic() + within)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"the forked child reported {report!r} but did not exit; it was killed")
    assert os.waitstatus_to_exitcode(status) == 0, report
    return report


def _read_until_closed(fd: int, deadline: float) -> str | None:
    """Everything written to ``fd`` until the writer closed it; None at the deadline."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks).decode(errors="replace")
        chunks.append(chunk)


def _reap(pid: int, deadline: float) -> int | None:
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    return None
