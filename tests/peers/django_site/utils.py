"""``tests.utils`` for the suite: middleware order and a check_request_enabled receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from corsheaders.signals import check_request_enabled
from django.test.utils import modify_settings


def prepend_middleware(path: str) -> modify_settings:
    return modify_settings(MIDDLEWARE={"prepend": path})


def append_middleware(path: str) -> modify_settings:
    return modify_settings(MIDDLEWARE={"append": path})


@contextmanager
def temporary_check_request_hander(handler: Callable[..., bool]) -> Iterator[None]:
    check_request_enabled.connect(handler)
    try:
        yield
    finally:
        check_request_enabled.disconnect(handler)
