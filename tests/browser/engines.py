"""The three browser engines of the suite, each behind the same thin driver interface.

* **Chromium** (Debian's ``chromium``) through Playwright, as before.
* **Firefox ESR** (Debian's ``firefox-esr``) headless, over WebDriver BiDi with the small client
  in ``bidi.py``: a fresh temporary profile whose ``user.js`` turns on BiDi only
  (``remote.active-protocols=1``) and switches off everything that would call the network.
* **WebKitGTK** (Debian's ``webkit2gtk-driver``): ``WebKitWebDriver`` launches the
  ``MiniBrowser`` of ``libwebkit2gtk-4.1`` under an Xvfb this module starts on a display
  number Xvfb picks itself (``-displayfd``), driven with Selenium.

An :class:`Engine` opens :class:`Tab` s; a tab is one test's fresh browser state (Playwright
context, Firefox user context, WebKit automation session: own cookies). What a test may expect
differently per engine is stated once, in :data:`TRAITS`, and the scenarios read it from there.

Every process this module starts runs under coreutils ``timeout`` in its own process group, so
it dies after ``CORSKIT_BROWSER_LIFETIME`` seconds (default 900) even if pytest is killed, and
is stopped, group and all, at teardown. Playwright owns Chromium's process: it ends with the
Playwright driver, which ends with pytest.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINE_NAMES = ("chromium", "firefox", "webkit")
LIFETIME = int(os.environ.get("CORSKIT_BROWSER_LIFETIME", "900"))
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
FETCH_TIMEOUT_S = 10.0

# The names the suite opens pages on. Chromium maps them with --host-resolver-rules, Firefox
# with network.dns.localDomains; WebKitGTK needs nothing: GLib's resolver answers 'localhost'
# and '*.localhost' with the loopback addresses itself (glibc here does not), and of those
# only 127.0.0.1 accepts the connection.
LOCAL_NAMES = ("localhost", "app.localhost", "a.b.localhost")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1",
    # Spec-strict Fetch: '*' in Access-Control-Allow-Headers does not cover Authorization.
    # Chromium still lets it (with a deprecation warning) unless this feature is on.
    "--enable-features=CorsNonWildcardRequestHeadersSupport",
]

# Firefox: a fresh profile that never calls out (the machine has no internet), BiDi only.
FIREFOX_PREFS: dict[str, bool | int | str] = {
    "remote.active-protocols": 1,  # WebDriver BiDi only (no CDP)
    "network.dns.localDomains": ",".join(LOCAL_NAMES),  # resolved to 127.0.0.1
    "network.proxy.type": 0,
    # updates
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "extensions.update.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "browser.search.update": False,
    "media.gmp-manager.updateEnabled": False,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "security.remote_settings.intermediates.enabled": False,
    "security.remote_settings.crlite_filters.enabled": False,
    # telemetry and studies
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "data:,",
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "browser.ping-centre.telemetry": False,
    "browser.ml.enable": False,
    "browser.translations.enable": False,
    # connectivity probes, safe browsing, prefetching
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "captivedetect.canonicalURL": "",
    "network.trr.mode": 5,  # no DNS over HTTPS
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "network.prefetch-next": False,
    "network.dns.disablePrefetch": True,
    "network.http.speculative-parallel-limit": 0,
    "security.OCSP.enabled": 0,
    "geo.provider.network.url": "",
    "browser.region.network.url": "",
    "dom.push.connection.enabled": False,
    "identity.fxaccounts.enabled": False,
    # no first-run pages
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "startup.homepage_welcome_url": "about:blank",
    "browser.newtabpage.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.urlbar.suggest.searches": False,
    "browser.topsites.contile.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topsites": False,
    "browser.newtabpage.activity-stream.showSponsoredTopSites": False,
    "termsofuse.bypassNotification": True,
    "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
}

MINIBROWSER_GLOBS = (
    "/usr/lib/*/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/*/webkitgtk-6.0/MiniBrowser",
    "/usr/lib/*/webkit2gtk-4.0/MiniBrowser",
)


class EngineUnavailableError(Exception):
    """The engine cannot run here (a browser, driver or Python package is missing)."""


# -------------------------------------------------------------------------------------------
# What differs per engine: stated once, read by the scenarios and by the docs table.


@dataclass(frozen=True)
class Traits:
    name: str
    title: str
    driver: str
    # The rejection a script sees when CORS blocks a fetch.
    fetch_error: str
    # Whether the driver shows the console, where the engine names CORS as the reason.
    console: bool
    # 'Access-Control-Allow-Headers: *' lets a request carry Authorization.
    star_covers_authorization: bool
    # The attributes of the API's session cookie that this engine keeps on http://localhost.
    cookie_attributes: str
    # A Set-Cookie on a credentialed cross-site response is stored (and sent back later).
    stores_cross_site_cookies: bool

    @property
    def secure_cookies_on_localhost(self) -> bool:
        return "Secure" in self.cookie_attributes


CHIPS_COOKIE = "Path=/; SameSite=None; Secure; Partitioned"
PLAIN_COOKIE = "Path=/; SameSite=None"

TRAITS: dict[str, Traits] = {
    "chromium": Traits(
        name="chromium",
        title="Chromium",
        driver="Playwright (CDP)",
        fetch_error="TypeError: Failed to fetch",
        console=True,
        # Only with --enable-features=CorsNonWildcardRequestHeadersSupport (see CHROMIUM_ARGS);
        # Chromium's default still lets '*' cover it.
        star_covers_authorization=False,
        cookie_attributes=CHIPS_COOKIE,
        stores_cross_site_cookies=True,  # partitioned (CHIPS) cookies only
    ),
    "firefox": Traits(
        name="firefox",
        title="Firefox ESR",
        driver="WebDriver BiDi (websocket-client)",
        fetch_error="TypeError: NetworkError when attempting to fetch resource.",
        console=True,
        # network.cors_preflight.authorization_covered_by_wildcard defaults to true.
        star_covers_authorization=True,
        cookie_attributes=CHIPS_COOKIE,
        stores_cross_site_cookies=True,  # Total Cookie Protection partitions them by page site
    ),
    "webkit": Traits(
        name="webkit",
        title="WebKitGTK",
        driver="WebKitWebDriver + Selenium, under Xvfb",
        fetch_error="TypeError: Load failed",
        console=False,  # WebKitWebDriver has no log endpoint and no BiDi
        star_covers_authorization=True,
        # libsoup keeps no Secure cookie for http://localhost (it is not https).
        cookie_attributes=PLAIN_COOKIE,
        # The default cookie policy is 'no third party': a cross-site Set-Cookie is dropped.
        stores_cross_site_cookies=False,
    ),
}


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str
    domain: str
    # An origin on ``domain``: where a driver that can only add first-party cookies goes.
    origin: str
    secure: bool
    # The top-level site the cookie is partitioned under (None: not partitioned).
    partition_site: str | None


# -------------------------------------------------------------------------------------------
# The driver interface


class Tab(ABC):
    """One test's browser state: a page plus its cookie jar."""

    @abstractmethod
    def goto(self, url: str) -> None: ...

    @abstractmethod
    def call(self, function: str, arg: Any) -> Any:
        """Run the async JS ``function(arg)`` in the page; return its JSON-able result."""

    @abstractmethod
    def console(self) -> list[str]:
        """The console messages so far (empty where the driver shows none)."""

    @abstractmethod
    def wait_console(self, predicate: Callable[[str], bool], timeout: float) -> str | None:
        """The first console message accepted by ``predicate``, waiting up to ``timeout``."""

    @abstractmethod
    def add_cookie(self, cookie: Cookie) -> None: ...

    @abstractmethod
    def new_window(self) -> Tab:
        """Another top-level window sharing this tab's browser state (cookies, session).

        Both stay live (a background window keeps running its timers); close the window before
        its tab. WebKitWebDriver allows one session at a time, so a second ``new_tab`` cannot
        stand in for it there.
        """

    @abstractmethod
    def close(self) -> None: ...


class Engine(ABC):
    traits: Traits
    version: str

    @abstractmethod
    def new_tab(self) -> Tab: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def cors_block_message(self, url: str) -> Callable[[str], bool]:
        """Whether a console message is this engine's CORS block of ``url``."""


def launch(name: str) -> Engine:
    """Start engine ``name``; raise :class:`EngineUnavailableError` when it cannot run here."""
    if name == "chromium":
        return ChromiumEngine()
    if name == "firefox":
        return FirefoxEngine()
    if name == "webkit":
        return WebKitEngine()
    raise ValueError(f"unknown engine {name!r}")


# -------------------------------------------------------------------------------------------
# Processes


def _executable(env_var: str, *candidates: str | None) -> str | None:
    configured = os.environ.get(env_var)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def spawn(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own process group, killed after LIFETIME seconds whatever happens."""
    timeout = shutil.which("timeout")
    prefix = [timeout, "--kill-after=5", str(LIFETIME)] if timeout else []
    kwargs.setdefault("stdout", subprocess.DEVNULL)
    kwargs.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(
        prefix + argv, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it after STOP_TIMEOUT; reap the leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT)
    # Children can outlive their leader (Firefox's content processes): none may stay.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -------------------------------------------------------------------------------------------
# Chromium: Playwright


class ChromiumTab(Tab):
    def __init__(self, browser: Any, context: Any = None) -> None:
        self.owns_context = context is None
        self.context = browser.new_context() if context is None else context
        self.page = self.context.new_page()
        self.page.set_default_timeout(FETCH_TIMEOUT_S * 1000)
        self._console: list[str] = []
        self.page.on("console", lambda message: self._console.append(message.text))

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def call(self, function: str, arg: Any) -> Any:
        return self.page.evaluate(function, arg)

    def console(self) -> list[str]:
        return list(self._console)

    def wait_console(self, predicate: Callable[[str], bool], timeout: float) -> str | None:
        for text in self._console:
            if predicate(text):
                return text
        try:
            message = self.page.wait_for_event(
                "console", predicate=lambda m: predicate(m.text), timeout=timeout * 1000
            )
        except Exception:  # Playwright's TimeoutError
            return None
        return str(message.text)

    def add_cookie(self, cookie: Cookie) -> None:
        entry: dict[str, Any] = {
            "name": cookie.name,
            "value": cookie.value,
            "domain": cookie.domain,
            "path": "/",
            "secure": cookie.secure,
            "sameSite": "None",
        }
        if cookie.partition_site:
            entry["partitionKey"] = cookie.partition_site
        self.context.add_cookies([entry])

    def new_window(self) -> Tab:
        return ChromiumTab(self.context.browser, self.context)

    def close(self) -> None:
        if self.owns_context:
            self.context.close()
        else:
            self.page.close()


class ChromiumEngine(Engine):
    traits = TRAITS["chromium"]

    def __init__(self) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise EngineUnavailableError(
                "the playwright package is not installed (pip install playwright)"
            ) from None
        executable = _executable(
            "CORSKIT_CHROMIUM",
            "/usr/bin/chromium",
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
        )
        if executable is None:
            raise EngineUnavailableError(
                "Chromium is not installed (apt-get install chromium, or set CORSKIT_CHROMIUM)"
            )
        self.playwright = sync_playwright().start()
        try:
            # launch() gives every run a fresh temporary profile, removed on close.
            self.browser = self.playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                timeout=START_TIMEOUT * 1000,
            )
        except BaseException:
            self.playwright.stop()
            raise
        self.version = self.browser.version

    def new_tab(self) -> Tab:
        return ChromiumTab(self.browser)

    def cors_block_message(self, url: str) -> Callable[[str], bool]:
        return lambda text: "blocked by CORS policy" in text and f"'{url}'" in text

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self.playwright.stop()


# -------------------------------------------------------------------------------------------
# Firefox ESR: WebDriver BiDi


def _user_js(prefs: dict[str, bool | int | str]) -> str:
    return "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items())


# The page function gets its argument as JSON and returns JSON: no BiDi value serialization.
_BIDI_CALL = "async (json) => JSON.stringify(await ({function})(JSON.parse(json)) ?? null)"


class FirefoxTab(Tab):
    def __init__(self, engine: FirefoxEngine, user_context: str | None = None) -> None:
        self.engine = engine
        self.client = engine.client
        self.owns_user_context = user_context is None
        if user_context is None:
            user_context = self.client.send("browser.createUserContext")["userContext"]
        self.user_context = user_context
        created = self.client.send(
            "browsingContext.create", type="tab", userContext=self.user_context
        )
        self.context = created["context"]

    def _mine(self, params: dict[str, Any]) -> bool:
        return bool(params.get("source", {}).get("context") == self.context)

    def goto(self, url: str) -> None:
        self.client.send("browsingContext.navigate", context=self.context, url=url, wait="complete")

    def call(self, function: str, arg: Any) -> Any:
        answer = self.client.send(
            "script.callFunction",
            timeout=FETCH_TIMEOUT_S * 2,
            functionDeclaration=_BIDI_CALL.format(function=function.strip()),
            arguments=[{"type": "string", "value": json.dumps(arg)}],
            awaitPromise=True,
            target={"context": self.context},
        )
        if answer["type"] == "exception":
            details = answer["exceptionDetails"]
            raise RuntimeError(f"page script raised: {details.get('text')}")
        return json.loads(answer["result"]["value"])

    def console(self) -> list[str]:
        return [e["text"] for e in self.client.events("log.entryAdded", self._mine)]

    def wait_console(self, predicate: Callable[[str], bool], timeout: float) -> str | None:
        found = self.client.wait_event(
            "log.entryAdded",
            lambda params: self._mine(params) and predicate(params.get("text") or ""),
            timeout,
        )
        return None if found is None else str(found["text"])

    def add_cookie(self, cookie: Cookie) -> None:
        partition: dict[str, Any] = {"type": "storageKey", "userContext": self.user_context}
        if cookie.partition_site:
            partition["sourceOrigin"] = cookie.partition_site
        self.client.send(
            "storage.setCookie",
            cookie={
                "name": cookie.name,
                "value": {"type": "string", "value": cookie.value},
                "domain": cookie.domain,
                "path": "/",
                "secure": cookie.secure,
                "httpOnly": False,
                "sameSite": "none",
            },
            partition=partition,
        )

    def new_window(self) -> Tab:
        return FirefoxTab(self.engine, self.user_context)

    def close(self) -> None:
        try:
            if self.owns_user_context:
                self.client.send("browser.removeUserContext", userContext=self.user_context)
            else:
                self.client.send("browsingContext.close", context=self.context)
        finally:
            self.client.forget_events(self._mine)


class FirefoxEngine(Engine):
    traits = TRAITS["firefox"]

    def __init__(self) -> None:
        try:
            import websocket  # noqa: F401 - websocket-client, used by bidi.py
        except ImportError:
            raise EngineUnavailableError(
                "the websocket-client package is not installed (pip install websocket-client)"
            ) from None
        executable = _executable(
            "CORSKIT_FIREFOX",
            "/usr/bin/firefox-esr",
            shutil.which("firefox-esr"),
            shutil.which("firefox"),
        )
        if executable is None:
            raise EngineUnavailableError(
                "Firefox is not installed (apt-get install firefox-esr, or set CORSKIT_FIREFOX)"
            )
        self.dir = Path(tempfile.mkdtemp(prefix="corskit-firefox-"))
        profile = self.dir / "profile"
        profile.mkdir()
        (profile / "user.js").write_text(_user_js(FIREFOX_PREFS))
        self.log = self.dir / "firefox.log"
        env = {
            **os.environ,
            "HOME": str(self.dir),
            "MOZ_CRASHREPORTER_DISABLE": "1",
            "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
        }
        with self.log.open("wb") as log:
            self.proc = spawn(
                [
                    executable,
                    "--headless",
                    "--no-remote",
                    "--profile",
                    str(profile),
                    "--remote-debugging-port=0",
                    "about:blank",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            from .bidi import BiDiClient

            self.client = BiDiClient(self._bidi_url() + "/session")
            session = self.client.send("session.new", capabilities={})
            self.version = str(session["capabilities"]["browserVersion"])
            self.client.send("session.subscribe", events=["log.entryAdded"])
        except BaseException:
            self._stop_process()
            raise

    def _bidi_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(r"WebDriver BiDi listening on (ws://\S+)", _tail(self.log, 200))
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"Firefox exited while starting:\n{_tail(self.log)}")
            time.sleep(0.05)
        raise RuntimeError(f"Firefox did not start BiDi in {START_TIMEOUT}s:\n{_tail(self.log)}")

    def new_tab(self) -> Tab:
        return FirefoxTab(self)

    def cors_block_message(self, url: str) -> Callable[[str], bool]:
        # "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote
        # resource at <url>. (Reason: ...)", the URL sometimes in curly single quotes.
        def is_block(text: str) -> bool:
            return "Cross-Origin Request Blocked" in text and (
                f" at {url}. " in text
                or f"\N{LEFT SINGLE QUOTATION MARK}{url}\N{RIGHT SINGLE QUOTATION MARK}" in text
            )

        return is_block

    def _stop_process(self) -> None:
        try:
            stop(self.proc)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        try:
            with contextlib.suppress(Exception):
                self.client.send("browser.close", timeout=STOP_TIMEOUT)
            self.client.close()
        finally:
            self._stop_process()


# -------------------------------------------------------------------------------------------
# WebKitGTK: WebKitWebDriver + Selenium under Xvfb


def start_xvfb(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a free display it picks itself; returns the process and ':<n>'."""
    executable = _executable("CORSKIT_XVFB", shutil.which("Xvfb"), "/usr/bin/Xvfb")
    if executable is None:
        raise EngineUnavailableError("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    try:
        with log.open("wb") as out:
            proc = spawn(
                [
                    executable,
                    "-displayfd",
                    str(write_fd),
                    "-nolisten",
                    "tcp",
                    "-noreset",
                    "-screen",
                    "0",
                    "1280x800x24",
                ],
                pass_fds=(write_fd,),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    finally:
        os.close(write_fd)
    try:
        number = b""
        deadline = time.monotonic() + START_TIMEOUT
        while not number.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                stop(proc)
                raise RuntimeError(f"Xvfb did not start:\n{_tail(log)}")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(read_fd, 16)
                if not chunk:
                    continue
                number += chunk
    finally:
        os.close(read_fd)
    return proc, ":" + number.decode().strip()


def _minibrowser() -> str | None:
    candidates = [path for pattern in MINIBROWSER_GLOBS for path in sorted(glob.glob(pattern))]
    return _executable("CORSKIT_MINIBROWSER", *candidates)


class WebKitTab(Tab):
    def __init__(self, engine: WebKitEngine) -> None:
        from selenium import webdriver
        from selenium.webdriver.remote.client_config import ClientConfig
        from selenium.webdriver.webkitgtk.options import Options

        options = Options()
        options.binary_location = engine.minibrowser
        options.add_argument("--automation")
        # One automation session per test: a new MiniBrowser with an ephemeral cookie jar.
        with warnings.catch_warnings():
            # Selenium itself passes the deprecated argument down (selenium 4.51).
            warnings.filterwarnings(
                "ignore", "setting remote_server_addr", category=DeprecationWarning
            )
            self.driver = webdriver.Remote(
                command_executor=engine.url,
                options=options,
                client_config=ClientConfig(remote_server_addr=engine.url, timeout=30),
            )
        self.driver.set_script_timeout(FETCH_TIMEOUT_S)
        self.driver.set_page_load_timeout(FETCH_TIMEOUT_S)
        self.handle: str = self.driver.current_window_handle
        # The window the session's commands go to, shared with this tab's windows.
        self.focused = [self.handle]

    def _focus(self) -> None:
        if self.focused[0] != self.handle:
            self.driver.switch_to.window(self.handle)
            self.focused[0] = self.handle

    def goto(self, url: str) -> None:
        self._focus()
        self.driver.get(url)

    def call(self, function: str, arg: Any) -> Any:
        script = (
            "const done = arguments[1];"
            f"Promise.resolve().then(() => ({function.strip()})(JSON.parse(arguments[0])))"
            ".then(v => done({value: JSON.stringify(v ?? null)}), e => done({error: String(e)}));"
        )
        self._focus()
        answer = self.driver.execute_async_script(script, json.dumps(arg))
        if "error" in answer:
            raise RuntimeError(f"page script raised: {answer['error']}")
        return json.loads(answer["value"])

    def console(self) -> list[str]:
        return []

    def wait_console(self, predicate: Callable[[str], bool], timeout: float) -> str | None:
        return None

    def add_cookie(self, cookie: Cookie) -> None:
        # WebDriver adds cookies only for the current document's host: visit the cookie's
        # origin (first-party there), add it, come back. WebKitGTK has no partitioned cookies.
        self._focus()
        back = self.driver.current_url
        self.driver.get(cookie.origin + "/cookie-jar")
        self.driver.add_cookie(
            {
                "name": cookie.name,
                "value": cookie.value,
                "domain": cookie.domain,
                "path": "/",
                "secure": cookie.secure,
                "sameSite": "None",
            }
        )
        if back.startswith("http"):
            self.driver.get(back)

    def new_window(self) -> Tab:
        return WebKitWindow(self)

    def close(self) -> None:
        self.driver.quit()


class WebKitWindow(WebKitTab):
    """A second window of a WebKitTab's automation session (WebKitWebDriver allows one)."""

    def __init__(self, tab: WebKitTab) -> None:  # no super().__init__(): no new session
        self.driver = tab.driver
        self.parent = tab.handle
        self.focused = tab.focused
        self.driver.switch_to.new_window("tab")
        self.handle = self.driver.current_window_handle
        self.focused[0] = self.handle

    def close(self) -> None:
        self._focus()
        self.driver.close()
        self.driver.switch_to.window(self.parent)
        self.focused[0] = self.parent


class WebKitEngine(Engine):
    traits = TRAITS["webkit"]

    def __init__(self) -> None:
        try:
            import selenium  # noqa: F401
        except ImportError:
            raise EngineUnavailableError(
                "the selenium package is not installed (pip install selenium)"
            ) from None
        driver = _executable(
            "CORSKIT_WEBKIT_DRIVER", shutil.which("WebKitWebDriver"), "/usr/bin/WebKitWebDriver"
        )
        minibrowser = _minibrowser()
        if driver is None or minibrowser is None:
            raise EngineUnavailableError(
                "WebKitGTK's WebKitWebDriver or MiniBrowser is not installed "
                "(apt-get install webkit2gtk-driver)"
            )
        if _executable("CORSKIT_XVFB", shutil.which("Xvfb"), "/usr/bin/Xvfb") is None:
            raise EngineUnavailableError("Xvfb is not installed (apt-get install xvfb)")
        self.minibrowser = minibrowser
        self.dir = Path(tempfile.mkdtemp(prefix="corskit-webkit-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        try:
            xvfb, display = start_xvfb(self.dir / "xvfb.log")
            self.procs.append(xvfb)
            port = _free_port()
            env = {
                **os.environ,
                "DISPLAY": display,
                "HOME": str(self.dir),
                "XDG_CACHE_HOME": str(self.dir / "cache"),
                "XDG_DATA_HOME": str(self.dir / "data"),
                "XDG_CONFIG_HOME": str(self.dir / "config"),
                "XDG_RUNTIME_DIR": str(self.dir / "run"),
                "NO_AT_BRIDGE": "1",
                "GTK_A11Y": "none",
            }
            (self.dir / "run").mkdir(mode=0o700)
            self.log = self.dir / "webkitwebdriver.log"
            with self.log.open("wb") as log:
                self.procs.append(
                    spawn(
                        [driver, f"--port={port}", "--host=127.0.0.1"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            self.url = f"http://127.0.0.1:{port}"
            self._wait_ready()
            probe = self.new_tab()
            try:
                self.version = str(probe.driver.capabilities.get("browserVersion", "?"))
            finally:
                probe.close()
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.procs[-1].poll() is not None:
                raise RuntimeError(f"WebKitWebDriver exited while starting:\n{_tail(self.log)}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/status", timeout=2) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.05)
        raise RuntimeError(f"WebKitWebDriver did not start in {START_TIMEOUT}s")

    def new_tab(self) -> WebKitTab:
        return WebKitTab(self)

    def cors_block_message(self, url: str) -> Callable[[str], bool]:
        return lambda text: False  # no console over WebKitWebDriver (traits.console)

    def close(self) -> None:
        try:
            for proc in reversed(self.procs):
                stop(proc)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
