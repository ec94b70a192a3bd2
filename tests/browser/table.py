"""Regenerates docs/browsers.md: the scenario x engine table, from a real run of tests/browser.

    scripts/browser-table                   # run the suite in all engines, write the page
    scripts/browser-table --results R.json  # render the results file of an earlier run

(``scripts/browser-table`` runs ``python -m browser.table`` with ``tests/`` on the path.) The
run is the browser suite itself (``pytest tests/browser``) with ``CORSKIT_BROWSER_RESULTS`` set,
so the conftest writes what each test saw per engine. It exits non-zero when a test failed or an
engine did not run (the page is still written, failures marked).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .engines import ENGINE_NAMES, TRAITS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "browsers.md"


def run_suite(results: Path, pytest_args: list[str]) -> int:
    env = {**os.environ, "CORSKIT_BROWSER_RESULTS": str(results)}
    command = [sys.executable, "-m", "pytest", "tests/browser", "-q", "-p", "no:cacheprovider"]
    return subprocess.call([*command, *pytest_args], cwd=ROOT, env=env)


def _scenario_title(scenario: str) -> str:
    name, _, params = scenario.partition("[")
    title = name.removeprefix("test_").replace("_", " ")
    return f"{title} [{params}" if params else title


def _cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    text = "; ".join(result["notes"]) or "-"
    if result["outcome"] == "failed":
        return f"FAILED: {text}"
    if result["outcome"] == "skipped":
        return "skipped"
    return text


def _differences() -> list[str]:
    t = [TRAITS[name] for name in ENGINE_NAMES]
    rows = [
        ("Driven by", [x.driver for x in t]),
        ("Text of the TypeError of a blocked fetch", [f"`{x.fetch_error}`" for x in t]),
        (
            "Says in the console that CORS blocked (checked by the suite)",
            [
                "yes: `... has been blocked by CORS policy: ...`",
                "yes: `Cross-Origin Request Blocked: ... (Reason: ...)`",
                "not over WebKitWebDriver (no log endpoint, no BiDi): the recorder proves the "
                "request reached the server",
            ],
        ),
        (
            "`Access-Control-Allow-Headers: *` covers `Authorization`",
            [
                "no, as the Fetch Standard says, with the flag the suite turns on "
                "(`--enable-features=CorsNonWildcardRequestHeadersSupport`); yes by default",
                "yes, by default (`network.cors_preflight.authorization_covered_by_wildcard`)",
                "yes",
            ],
        ),
        (
            "Session cookie of `http://localhost` the suite uses",
            [f"`{x.cookie_attributes}`" for x in t],
        ),
        (
            "How the suite adds it",
            [
                "Playwright `add_cookies` with `partitionKey` = the page's site",
                "BiDi `storage.setCookie`, partition `sourceOrigin` = the page's site "
                "(Total Cookie Protection: without it the cookie is not sent)",
                "WebDriver `add_cookie` while the tab is on the API's origin (first-party); "
                "libsoup keeps no `Secure` cookie on http",
            ],
        ),
        (
            "Keeps a cookie set by a credentialed cross-site response",
            [
                "yes (partitioned)",
                "yes (partitioned)",
                "no: the default cookie policy is 'no third party'",
            ],
        ),
        (
            "Pages on `app.localhost`, `a.b.localhost`",
            [
                "`--host-resolver-rules` maps them to 127.0.0.1",
                "`network.dns.localDomains` maps them to 127.0.0.1",
                "GLib resolves `*.localhost` to loopback itself",
            ],
        ),
        (
            "Profile; fresh state per test",
            [
                "Playwright's temporary profile; a new context",
                "a temporary profile whose `user.js` (`engines.FIREFOX_PREFS`) turns on BiDi "
                "only and off updates, telemetry, captive portal, safe browsing, prefetching; "
                "a new user context",
                "a new automation session (MiniBrowser, ephemeral)",
            ],
        ),
        ("Display", ["headless", "headless", "Xvfb started by the fixture (`-displayfd`)"]),
    ]
    lines = [
        "| | " + " | ".join(x.title for x in t) + " |",
        "| --- |" + " --- |" * len(t),
    ]
    lines += [f"| {what} | " + " | ".join(values) + " |" for what, values in rows]
    return lines


def render(data: dict[str, Any]) -> str:
    engines: dict[str, Any] = data["engines"]
    by_key = {(r["scenario"], r["engine"]): r for r in data["results"]}
    scenarios = list(dict.fromkeys(r["scenario"] for r in data["results"]))
    titles = [TRAITS[name].title for name in ENGINE_NAMES]
    out = [
        "# Browser engines",
        "",
        "<!-- Generated by scripts/browser-table from a run of tests/browser. "
        "Do not edit by hand. -->",
        "",
        "corskit's browser suite (`tests/browser`) runs every scenario in three engines, all "
        "from Debian's packages, against real uvicorn servers: Chromium (`chromium`), Firefox "
        "ESR (`firefox-esr`) and WebKitGTK (`webkit2gtk-driver`, with `xvfb`). "
        "`scripts/ensure-browsers` installs whichever is missing; no browser build is ever "
        "downloaded. The page is served from `http://127.0.0.1:<port>` (or `*.localhost`), "
        "the API from `http://localhost:<port>`: every fetch is cross-origin and cross-site.",
        "",
        "Each test asserts what a script could read in that engine; where engines "
        "legitimately differ, the test states each engine's behaviour (`engines.TRAITS` in "
        "`tests/browser/engines.py`), and corskit's answers must be accepted by all three. "
        "With `CI` set, a missing engine fails the suite instead of skipping it.",
        "",
        "Regenerate this page with `scripts/browser-table` (it runs the browser suite; "
        "`PYTHON=...` picks the interpreter, `.venv/bin/python` by default).",
        "",
        "## Engines of this run",
        "",
        "| Engine | Version | Tests | Time (start, tests, stop) |",
        "| --- | --- | --- | --- |",
    ]
    total = 0.0
    for name in ENGINE_NAMES:
        results = [r for r in data["results"] if r["engine"] == name]
        counts: dict[str, int] = {}
        for r in results:
            counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
        tally = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none"
        run = engines.get(name)
        if run is None:
            out.append(f"| {TRAITS[name].title} | not run | {tally} | - |")
            continue
        total += run["seconds"]
        out.append(
            f"| {run['title']} | {run['version']} | {tally} | {run['seconds']:.0f} s "
            f"(start {run['start_seconds']:.1f} s) |"
        )
    out += [
        "",
        f"All engines: {total:.0f} s on a 2-core machine (one engine at a time).",
        "",
        "## Scenario by engine",
        "",
        "Each cell lists what the script saw, in order (`allowed`, `allowed 500`, `blocked`), "
        "the requests the server received where the test counts them, and the engine's "
        "behaviour where it differs. **Bold** cells are those where the engines do not agree.",
        "",
        "| Scenario | " + " | ".join(titles) + " |",
        "| --- |" + " --- |" * len(titles),
    ]
    for scenario in scenarios:
        cells = [_cell(by_key.get((scenario, name))) for name in ENGINE_NAMES]
        if len(set(cells)) > 1:
            cells = [f"**{cell}**" for cell in cells]
        out.append(f"| {_scenario_title(scenario)} | " + " | ".join(cells) + " |")
    out += [
        "",
        "## Where the engines differ, and what the suite does about it",
        "",
        *_differences(),
        "",
        "Preflight cache: in all three engines a preflight answered with "
        "`Access-Control-Max-Age` is reused from the second request on, "
        "`Access-Control-Max-Age: 0` is not cached, and an entry expires after its max age "
        "(the preflight-cache rows above).",
        "",
    ]
    return "\n".join(out)


def failures(data: dict[str, Any]) -> list[str]:
    problems = [
        f"{r['scenario']}[{r['engine']}]" for r in data["results"] if r["outcome"] != "passed"
    ]
    problems += [f"{name}: not run" for name in ENGINE_NAMES if name not in data["engines"]]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, help="render this results file, run nothing")
    parser.add_argument("--output", type=Path, default=DOC)
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    args = parser.parse_args(argv)
    if args.results is None:
        with tempfile.TemporaryDirectory(prefix="corskit-table-") as tmp:
            results = Path(tmp) / "results.json"
            code = run_suite(results, args.pytest_args)
            if not results.exists():
                print(f"the browser suite wrote no results (pytest exit {code})", file=sys.stderr)
                return code or 1
            data = json.loads(results.read_text())
    else:
        data = json.loads(args.results.read_text())
    args.output.write_text(render(data))
    print(f"wrote {args.output}")
    problems = failures(data)
    for problem in problems:
        print(f"not passed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
