"""LiveConfig: the configuration a running server uses, replaceable while it serves.

Every corskit middleware follows one LiveConfig: the one it was given (several middlewares,
even ASGI and WSGI ones, may share it), or a private one made from the static Policy/Config it
was given. ``LiveConfig.replace`` (or ``middleware.reconfigure``) installs a new configuration:

1. the new Config is validated whole (a ``ConfigError`` lists every problem);
2. each follower prepares everything its requests will read (a :class:`CompiledConfig` for its
   string type, its own checks, such as marks naming policies) without touching what serves;
3. only when every follower prepared, each commit swaps the reference(s) its requests read.

A request reads the adapter's reference once, so it sees the old or the new configuration,
never a mix; a refused configuration changes nothing and the old one stays active. The push
model keeps the hot path as it was: an adapter reads its own attribute, not a shared holder.

``LiveConfig.load(path)`` also re-reads the TOML file when it changes (a daemon thread compares
the file's inode, size and modification times every ``interval`` seconds, never on a request),
and, with ``sighup=True``, when the process gets SIGHUP. An invalid file is logged at ERROR
and the old configuration stays active until the file is fixed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, TypeVar

from ...config import Config
from ...errors import ConfigError, ConfigProblem
from ..model.coercion import PolicyOrConfig, as_config
from .compiled import CompiledConfig

__all__ = ["Compile", "Install", "LiveConfig", "attach"]

logger = logging.getLogger("corskit")

W = TypeVar("W", bytes, str)

MIN_INTERVAL = 0.05
MAX_INTERVAL = 3600.0
SETTLE = 0.05
"""Seconds a changed file must stay unchanged before it is read (a write in progress)."""

Customize = Callable[[Config], Config]
Commit = Callable[[], None]


class Compile(Protocol):
    """Compiles the configuration being installed for one string type (shared by followers)."""

    def __call__(self, wire: type[W], sync: bool = False) -> CompiledConfig[W]: ...


Install = Callable[[Config, Compile], Commit]
"""A follower's preparation: build everything for a Config, return the commit that swaps it in.

It raises ConfigError to refuse the configuration (nothing is swapped anywhere then)."""


class LiveConfig:
    """A configuration that can be replaced while serving, shared by any number of middlewares.

    ``LiveConfig(policy_or_config)`` for one changed from Python; ``LiveConfig.load(path)``
    for a TOML file that is re-read when it changes (and on SIGHUP with ``sighup=True``).
    Pass it where a middleware takes a policy: ``CORSMiddleware(app, live)``. Thread-safe.
    """

    def __init__(self, config: PolicyOrConfig) -> None:
        if isinstance(config, LiveConfig):
            raise ConfigError(
                ConfigProblem(
                    "config",
                    config,
                    "is a LiveConfig already",
                    "share that LiveConfig itself between the middlewares",
                )
            )
        self._config = as_config(config, {})
        self._lock = threading.RLock()
        self._followers: list[Callable[[], Install | None]] = []
        self._path: Path | None = None
        self._customize: Customize | None = None
        self._watcher: _Watcher | None = None
        self._previous_sighup: Any = None
        self._sighup = False

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        watch: bool = True,
        interval: float = 1.0,
        sighup: bool = False,
        customize: Customize | None = None,
    ) -> LiveConfig:
        """Read a TOML file (as ``Config.load``) and follow its changes.

        ``watch``: re-read the file when it changes, checked every ``interval`` seconds off the
        request path. ``sighup``: re-read it when the process gets SIGHUP (call this from the
        main thread; other SIGHUP handlers still run). ``customize(config) -> config`` finishes
        every configuration read from the file with what a file cannot hold (``policy_for``,
        an ``origin_source``): ``lambda c: dataclasses.replace(c, policy_for=tenants)``.
        """
        _check_load_options(watch, interval, sighup, customize)
        file = Path(path)
        live = cls(_read(file, customize))
        live._path = file
        live._customize = customize
        if sighup:
            live._handle_sighup()
        if watch:
            live._watcher = _Watcher(live, file, float(interval))
            # A forked worker (gunicorn, multiprocessing) inherits no thread: start it again.
            os.register_at_fork(after_in_child=partial(_after_fork, weakref.ref(live)))
        return live

    # -- what users call -------------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The configuration in force."""
        return self._config

    @property
    def path(self) -> Path | None:
        """The TOML file this LiveConfig reads (None: changed from Python only)."""
        return self._path

    def replace(self, config: PolicyOrConfig | None = None, **policy_options: Any) -> Config:
        """Install ``config`` (a Policy, a Config, a dict, or Policy keywords) everywhere.

        Raises ConfigError (also logged at ERROR) when it is invalid, or when a middleware
        following this LiveConfig cannot run it; the configuration in force then stays.
        """
        try:
            if isinstance(config, LiveConfig):
                raise ConfigError(
                    ConfigProblem(
                        "config",
                        config,
                        "is a LiveConfig",
                        "pass a corskit.Policy, a corskit.Config or a dict",
                    )
                )
            new = as_config(config, policy_options)
            self._install(new)
        except ConfigError as error:
            logger.error(
                "corskit: the new configuration is refused; the previous one stays active: %s",
                error,
            )
            raise
        return new

    def reload(self) -> Config:
        """Read the file again now and install it; raises ConfigError (old one stays)."""
        path = self._path
        if path is None:
            raise ConfigError(
                ConfigProblem(
                    "path",
                    None,
                    "is not set: this LiveConfig was not loaded from a file",
                    "build it with corskit.LiveConfig.load(path), or call replace(config)",
                )
            )
        try:
            new = _read(path, self._customize)
            self._install(new)
        except ConfigError as error:
            logger.error(
                "corskit: the configuration in %s is refused; the previous one stays active: %s",
                path,
                error,
            )
            raise
        logger.info("corskit: configuration reloaded from %s", path)
        return new

    def close(self) -> None:
        """Stop watching the file and give SIGHUP back to its previous handler."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if self._sighup and threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGHUP) == self._on_sighup:
                signal.signal(signal.SIGHUP, self._previous_sighup or signal.SIG_DFL)
            self._sighup = False

    def __enter__(self) -> LiveConfig:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"file={str(self._path)!r}, " if self._path is not None else ""
        return f"LiveConfig({where}policies={sorted(self._config.policies)})"

    # -- followers -------------------------------------------------------------------------

    def _follow(self, install: Install) -> None:
        """Install the configuration in force on a new follower, then keep it informed.

        Followers are held weakly (a bound method's object), so a middleware that is gone
        stops being prepared for.
        """
        with self._lock:
            install(self._config, _compiler(self._config))()
            if hasattr(install, "__self__") and hasattr(install, "__func__"):
                self._followers.append(weakref.WeakMethod(install))
            else:
                self._followers.append(lambda: install)

    def _install(self, config: Config) -> None:
        with self._lock:
            compile = _compiler(config)
            installs = [install for ref in self._followers if (install := ref()) is not None]
            self._followers = [ref for ref in self._followers if ref() is not None]
            commits = [install(config, compile) for install in installs]  # may refuse: raise
            for commit in commits:
                commit()
            self._config = config

    # -- the file --------------------------------------------------------------------------

    def _reload_quietly(self) -> None:
        """A reload from the watcher or SIGHUP: errors are logged, never raised."""
        try:
            self.reload()
        except ConfigError:
            pass  # logged by reload(); the old configuration stays
        except Exception:
            logger.exception(
                "corskit: reloading %s failed; the previous configuration stays", self._path
            )

    def _handle_sighup(self) -> None:
        if not hasattr(signal, "SIGHUP"):
            raise ConfigError(
                ConfigProblem("sighup", True, "is not available on this platform", "use watch=True")
            )
        if threading.current_thread() is not threading.main_thread():
            raise ConfigError(
                ConfigProblem(
                    "sighup",
                    True,
                    "is set outside the main thread, where Python cannot install signal handlers",
                    "call LiveConfig.load(..., sighup=True) at import time (in the main thread), "
                    "or rely on watch=True",
                )
            )
        self._previous_sighup = signal.signal(signal.SIGHUP, self._on_sighup)
        self._sighup = True

    def _on_sighup(self, signum: int, frame: FrameType | None) -> None:
        # A signal handler runs on the main thread, often the event loop's: read and compile
        # in a thread of its own instead, so no request waits for the reload.
        threading.Thread(
            target=self._reload_quietly, name="corskit-sighup-reload", daemon=True
        ).start()
        previous = self._previous_sighup
        if callable(previous):
            previous(signum, frame)

    def _poll(self, watcher: _Watcher) -> None:
        """One look at the file (from the watcher thread): reload when it changed."""
        seen = _identity(watcher.path)
        if seen == watcher.seen:
            return
        time.sleep(SETTLE)
        if _identity(watcher.path) != seen:
            return  # still being written: look again next time
        watcher.seen = seen
        if seen is None:
            logger.error(
                "corskit: %s cannot be read; the previous configuration stays active",
                watcher.path,
            )
            return
        self._reload_quietly()


def attach(
    given: PolicyOrConfig | LiveConfig | None, options: Mapping[str, Any], install: Install
) -> LiveConfig:
    """The LiveConfig a middleware follows, ``install`` run once for what is in force now.

    ``given`` is what the user passed where a policy goes: a LiveConfig is shared; anything
    else (a Policy, a Config, a dict, Policy keywords) becomes the middleware's own.
    """
    if isinstance(given, LiveConfig):
        if options:
            raise ConfigError(
                ConfigProblem(
                    "policy",
                    sorted(options),
                    "are given next to a LiveConfig",
                    "put the settings in the LiveConfig's configuration",
                )
            )
        live = given
    else:
        live = LiveConfig(as_config(given, options))
    live._follow(install)
    return live


def _compiler(config: Config) -> Compile:
    """One CompiledConfig per (string type, sync) for all followers of one installation."""
    built: dict[tuple[type, bool], CompiledConfig[Any]] = {}

    def compile(wire: type[W], sync: bool = False) -> CompiledConfig[W]:
        key = (wire, sync)
        compiled = built.get(key)
        if compiled is None:
            compiled = built[key] = CompiledConfig(config, wire, sync=sync)
        return compiled

    return compile


def _read(path: Path, customize: Customize | None) -> Config:
    config = Config.load(path)
    if customize is None:
        return config
    customized = customize(config)
    if not isinstance(customized, Config):
        raise ConfigError(
            ConfigProblem(
                "customize",
                customized,
                "returned something other than a corskit.Config",
                "return the Config it was given, changed with dataclasses.replace(...)",
            )
        )
    return customized


def _check_load_options(watch: object, interval: object, sighup: object, customize: object) -> None:
    problems = []
    for name, value in (("watch", watch), ("sighup", sighup)):
        if not isinstance(value, bool):
            problems.append(ConfigProblem(name, value, "is not a boolean", "write True or False"))
    if (
        isinstance(interval, bool)
        or not isinstance(interval, int | float)
        or not MIN_INTERVAL <= interval <= MAX_INTERVAL
    ):
        problems.append(
            ConfigProblem(
                "interval",
                interval,
                f"is not a number of seconds from {MIN_INTERVAL} to {MAX_INTERVAL:g}",
                "write how often to look at the file, e.g. 1.0",
            )
        )
    if customize is not None and not callable(customize):
        problems.append(
            ConfigProblem(
                "customize",
                customize,
                "is not callable",
                "pass a function (config: corskit.Config) -> corskit.Config",
            )
        )
    if problems:
        raise ConfigError(problems)


Identity = tuple[int, int, int, int, int] | None


def _identity(path: Path) -> Identity:
    """What changes when the file is rewritten or replaced; None when it cannot be read."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class _Watcher:
    """A daemon thread that looks at one file every ``interval`` seconds.

    It holds its LiveConfig weakly: a LiveConfig nobody uses any more stops its thread.
    """

    def __init__(self, live: LiveConfig, path: Path, interval: float) -> None:
        self.path = path
        self.seen = _identity(path)
        self._live = weakref.ref(live)
        self._interval = interval
        self._stop = threading.Event()
        self.start()

    def start(self) -> None:
        threading.Thread(target=self._run, name="corskit-config-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            live = self._live()
            if live is None:
                return
            try:
                live._poll(self)
            except Exception:
                logger.exception("corskit: watching %s failed; still watching", self.path)
            del live


def _after_fork(ref: weakref.ref[LiveConfig]) -> None:
    """In a forked child (gunicorn workers, ...): fresh lock, and the watcher's thread again."""
    live = ref()
    if live is None:
        return
    live._lock = threading.RLock()
    watcher = live._watcher
    if watcher is not None and not watcher.stopped:
        watcher.start()
