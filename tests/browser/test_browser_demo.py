"""``corskit demo`` in real browsers: the page's rows turn blocked and allowed again, live.

The demo runs as a user runs it (``python -m corskit.cli demo`` in its own process, on
ephemeral ports of 127.0.0.1, with a throwaway SQLite store), under ``engines.spawn``: its own
process group, killed after ``CORSKIT_BROWSER_LIFETIME`` seconds whatever happens, and stopped
at the end of the test. Its page (127.0.0.1:<page port>) and its API (127.0.0.1:<api port>)
are cross-origin and same-site. The test opens the page in the engine, reads the verdict the
page shows per row (``data-verdict`` and the reason from the API's denial feed), then removes
the page's origin from the client on the admin page (API/admin, same-origin, driven in a second
window of the same browser state: ``Tab.new_window``), watches the store-backed rows turn
blocked, adds the origin back on the same page and watches them turn allowed again: no restart
in between.

Engine differences: none. The notes call sends ``credentials: 'include'`` but needs no cookie,
so WebKitGTK's cookie policy (it drops cross-site cookies, see conftest.py) changes nothing here,
and no row sends Authorization under ``Access-Control-Allow-Headers: *`` (corskit names it).

``CORSKIT_DEMO_SCREENSHOT=<path>`` saves a screenshot of the page after the first round
(Chromium only: the other drivers of the suite have no screenshot in their interface).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .engines import Engine, Tab, spawn, stop

pytestmark = pytest.mark.browser

START_TIMEOUT = 20.0
FIRST_ROUND_TIMEOUT = 15.0
# The page calls every 2 s; the store change is seen by the next request: two rounds at most.
CHANGE_LIMIT = 6.0
POLL_S = 0.2

STORE_BACKED = ("token", "userinfo", "notes")
ALWAYS_ALLOWED = ("discovery",)
ALWAYS_BLOCKED = ("custom-header", "admin")


@dataclass
class Demo:
    page: str
    api: str


def _wait_for_urls(proc: subprocess.Popen[bytes], log: Path) -> Demo:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        page = re.search(r"the page \(another origin\): (http://\S+)/", text)
        api = re.search(r"the API: +(http://[^/\s]+)", text)
        if page and api:
            return Demo(page.group(1), api.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"the demo did not print its URLs:\n{log.read_text(errors='replace')}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    log = tmp_path / "demo.log"
    command = [
        sys.executable,
        "-m",
        "corskit.cli",
        "demo",
        "--api-port",
        "0",
        "--page-port",
        "0",
        "--store",
        f"sqlite:///{tmp_path / 'clients.db'}",
    ]
    with log.open("wb") as out:  # a file, not a pipe: nothing can block on a full pipe
        proc = spawn(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield _wait_for_urls(proc, log)
    finally:
        stop(proc)


# -- the client page --------------------------------------------------------------------------

_ROWS_JS = """
async () => {
  const rows = {};
  for (const row of document.querySelectorAll('tr[id^="row-"]')) {
    rows[row.id.slice(4)] = {
      verdict: row.dataset.verdict || null,
      why: row.querySelector('.why').textContent,
    };
  }
  return {rounds: Number(document.body.dataset.rounds || 0), rows};
}
"""

Rows = dict[str, dict[str, Any]]


def _rows(tab: Tab) -> tuple[int, Rows]:
    state = tab.call(_ROWS_JS, None)
    return int(state["rounds"]), state["rows"]


def _wait_rows(tab: Tab, accept: Callable[[int, Rows], bool], timeout: float, what: str) -> Rows:
    deadline = time.monotonic() + timeout
    while True:
        rounds, rows = _rows(tab)
        if accept(rounds, rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen in {timeout}s; the page shows {rows}")
        time.sleep(POLL_S)


def _all(rows: Rows, names: tuple[str, ...], verdict: str, reason: str | None = None) -> bool:
    return all(
        rows[name]["verdict"] == verdict
        and (reason is None or rows[name]["why"].startswith(reason + ":"))
        for name in names
    )


# -- the admin page (same origin as the API) --------------------------------------------------

_REMOVE_JS = """
async ([origin]) => {
  const deadline = Date.now() + 5000;
  const pause = () => new Promise(resolve => setTimeout(resolve, 50));
  let button;
  while (!(button = [...document.querySelectorAll('button[data-origin]')]
             .find(b => b.dataset.origin === origin && b.dataset.client === 'demo-spa'))) {
    if (Date.now() > deadline) return 'no remove button for ' + origin;
    await pause();
  }
  const message = document.getElementById('message');
  message.textContent = '';
  button.click();
  while (message.textContent === '') {
    if (Date.now() > deadline) return 'no answer';
    await pause();
  }
  return message.textContent;
}
"""

_ADD_JS = """
async ([origin]) => {
  const deadline = Date.now() + 5000;
  const pause = () => new Promise(resolve => setTimeout(resolve, 50));
  const message = document.getElementById('message');
  message.textContent = '';
  document.getElementById('client').value = 'demo-spa';
  document.getElementById('new').value = origin;
  document.getElementById('add').requestSubmit();
  while (message.textContent === '') {
    if (Date.now() > deadline) return 'no answer';
    await pause();
  }
  return message.textContent;
}
"""

_LISTED_JS = """
async ([origin]) => [...document.querySelectorAll('#clients code')]
  .some(code => code.textContent === origin)
"""


def _wait_listed(admin: Tab, origin: str, listed: bool) -> None:
    deadline = time.monotonic() + 5.0
    while admin.call(_LISTED_JS, [origin]) != listed:
        assert time.monotonic() < deadline, f"the admin page never showed {origin} listed={listed}"
        time.sleep(0.05)


# -- the scenario -----------------------------------------------------------------------------


def test_demo_page_rows_follow_the_client_store_changed_on_the_admin_page(
    harness: Any, engine: Engine, demo: Demo
) -> None:
    page = harness.tab
    page.goto(demo.page + "/")
    assert page.call("async () => location.origin", None) == demo.page

    # First round, with the first-run store (the page's origin registered for the client).
    rows = _wait_rows(page, lambda rounds, _: rounds >= 1, FIRST_ROUND_TIMEOUT, "a first round")
    for name in ALWAYS_ALLOWED + STORE_BACKED:
        assert rows[name]["verdict"] == "allowed", (name, rows[name])
    for name in ALWAYS_BLOCKED:
        assert rows[name]["verdict"] == "blocked", (name, rows[name])
    assert rows["custom-header"]["why"].startswith("header_not_allowed:"), rows["custom-header"]
    # The admin API is excluded from CORS: no denial is logged, the page says why.
    assert "excluded" in rows["admin"]["why"], rows["admin"]
    harness.note("first round: discovery, token, userinfo, notes allowed")
    harness.note("custom-header blocked (header_not_allowed), admin blocked (excluded)")
    screenshot = os.environ.get("CORSKIT_DEMO_SCREENSHOT")
    if screenshot and engine.traits.name == "chromium":
        page.page.screenshot(path=screenshot, full_page=True)  # type: ignore[attr-defined]

    admin = page.new_window()
    try:
        admin.goto(demo.api + "/admin")
        _wait_listed(admin, demo.page, listed=True)

        # Remove the page's origin on the admin page: the store-backed rows turn blocked.
        assert admin.call(_REMOVE_JS, [demo.page]) == "saved"
        removed = time.monotonic()
        _wait_listed(admin, demo.page, listed=False)
        rows = _wait_rows(
            page,
            lambda _, rows: _all(rows, STORE_BACKED, "blocked", "origin_not_allowed"),
            CHANGE_LIMIT,
            "token, userinfo, notes blocked with origin_not_allowed",
        )
        took = time.monotonic() - removed
        assert _all(rows, ALWAYS_ALLOWED, "allowed"), rows
        assert _all(rows, ALWAYS_BLOCKED, "blocked"), rows
        harness.note(
            f"origin removed on the admin page: blocked (origin_not_allowed) in {took:.1f}s"
        )

        # Add it back on the same page: they turn allowed again, the demo never restarted.
        assert admin.call(_ADD_JS, [demo.page]) == "saved"
        added = time.monotonic()
        _wait_listed(admin, demo.page, listed=True)
        rows = _wait_rows(
            page,
            lambda _, rows: _all(rows, STORE_BACKED, "allowed"),
            CHANGE_LIMIT,
            "token, userinfo, notes allowed again",
        )
        took = time.monotonic() - added
        assert _all(rows, ALWAYS_ALLOWED, "allowed"), rows
        assert _all(rows, ALWAYS_BLOCKED, "blocked"), rows
        assert rows["custom-header"]["why"].startswith("header_not_allowed:"), rows
        harness.note(f"added back: allowed again in {took:.1f}s")
    finally:
        admin.close()
