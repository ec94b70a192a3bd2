"""A minimal WebDriver BiDi client over ``websocket-client``: just what the suite needs.

Commands are sent from the test thread and answered on a reader thread, which also keeps every
event (``log.entryAdded``) so a test can wait for one. Every wait is bounded.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

COMMAND_TIMEOUT = 20.0


class BiDiError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class BiDiClient:
    def __init__(self, url: str, connect_timeout: float = 10.0) -> None:
        import websocket  # websocket-client; imported here so a missing package is reported

        # websocket-client sends an Origin header by default; Firefox refuses a handshake
        # that carries one (it only accepts clients that are not web pages).
        self._ws = websocket.create_connection(url, timeout=connect_timeout, suppress_origin=True)
        self._ws.settimeout(None)
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._answers: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._closed: BaseException | None = None
        self._reader = threading.Thread(target=self._read, name="bidi-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                raw = self._ws.recv()
                if not raw:
                    raise ConnectionError("the BiDi connection was closed")
                message = json.loads(raw)
                with self._lock:
                    if "id" in message:
                        self._answers[message["id"]] = message
                    elif message.get("type") == "event":
                        self._events.append(message)
                    self._lock.notify_all()
        except BaseException as exc:  # the socket closed: wake every waiter
            with self._lock:
                self._closed = exc
                self._lock.notify_all()

    def send(self, method: str, timeout: float = COMMAND_TIMEOUT, **params: Any) -> Any:
        """Send one command and return its ``result``; raise BiDiError on error or time-out."""
        command_id = next(self._ids)
        with self._lock:
            if self._closed is not None:
                raise BiDiError(f"{method}: connection closed ({self._closed!r})")
        self._ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        with self._lock:
            while command_id not in self._answers:
                remaining = deadline - time.monotonic()
                if self._closed is not None:
                    raise BiDiError(f"{method}: connection closed ({self._closed!r})")
                if remaining <= 0:
                    raise BiDiError(f"{method}: no answer in {timeout}s")
                self._lock.wait(remaining)
            answer = self._answers.pop(command_id)
        if answer.get("type") == "error":
            raise BiDiError(f"{method}: {answer.get('error')}: {answer.get('message')}")
        return answer.get("result")

    def events(self, method: str, predicate: Callable[[dict[str, Any]], bool]) -> list[Any]:
        """The ``params`` of every event so far named ``method`` that ``predicate`` accepts."""
        with self._lock:
            found = [e["params"] for e in self._events if e.get("method") == method]
        return [params for params in found if predicate(params)]

    def wait_event(
        self, method: str, predicate: Callable[[dict[str, Any]], bool], timeout: float
    ) -> Any | None:
        """The first event's ``params`` matching, waiting up to ``timeout``; None if none."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self._events:
                    if event.get("method") == method and predicate(event["params"]):
                        return event["params"]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed is not None:
                    return None
                self._lock.wait(remaining)

    def forget_events(self, predicate: Callable[[dict[str, Any]], bool]) -> None:
        with self._lock:
            self._events = [e for e in self._events if not predicate(e.get("params", {}))]

    def close(self) -> None:
        try:
            self._ws.close(timeout=2)
        finally:
            self._reader.join(5)
