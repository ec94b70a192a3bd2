"""From a store URL to a store: ``sqlite:///path`` or ``postgresql://...``.

Opening does no I/O: the file or the server is reached on first use, so a configuration that
names a store can be loaded (and checked) where the store is not reachable, and an app that
starts while its database is down serves its static origins and recovers by itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError, ConfigProblem
from ._sql import SQLStore

__all__ = ["open_store", "redact"]

_SCHEMES = ("sqlite", "postgresql", "postgres")
_EXAMPLES = "'sqlite:///var/lib/corskit/clients.db' or 'postgresql://user@db.internal:5432/app'"


def open_store(url: object, field: str = "store", **options: Any) -> SQLStore:
    """The store a URL names; a ConfigError (naming ``field``) when it names none.

    ``sqlite:///abs/path.db`` is the file ``/abs/path.db``; ``sqlite:relative.db`` is relative
    to the working directory. ``postgresql://`` (or ``postgres://``) URLs are handed to libpq
    as they are (user, password, host, port, database, ``?sslmode=...``) and need the
    ``corskit[postgres]`` extra. ``options`` go to the store (``timeout``, ``cache_size``...).
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(
            ConfigProblem(field, url, "is not a store URL", f"write a URL such as {_EXAMPLES}")
        )
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        return _sqlite(url, field, options)
    if scheme in ("postgresql", "postgres"):
        return _postgres(url, field, options)
    raise ConfigError(
        ConfigProblem(
            field,
            redact(url),
            f"names no store corskit knows (schemes: {', '.join(_SCHEMES)})",
            f"write a URL such as {_EXAMPLES}",
        )
    )


def _sqlite(url: str, field: str, options: dict[str, Any]) -> SQLStore:
    from .sqlite import SQLiteStore

    parts = urlsplit(url)
    if parts.netloc or parts.query or parts.fragment or not parts.path:
        raise ConfigError(
            ConfigProblem(
                field,
                url,
                "is not a SQLite store URL (a host, a query or no path)",
                "write 'sqlite:///absolute/path/clients.db' or 'sqlite:relative/clients.db'",
            )
        )
    path = unquote(parts.path)
    if path.startswith("//"):  # sqlite:////abs/path, as SQLAlchemy writes it
        path = "/" + path.lstrip("/")
    if path.endswith("/") or path in (":memory:", "/:memory:"):
        raise ConfigError(
            ConfigProblem(
                field,
                url,
                "names no file (a directory, or an in-memory database no other process sees)",
                "name a file, e.g. 'sqlite:///var/lib/corskit/clients.db'; for one process "
                "use corskit.sources.MemoryStore()",
            )
        )
    return SQLiteStore(Path(path), **options)


def _postgres(url: str, field: str, options: dict[str, Any]) -> SQLStore:
    try:
        from .postgres import PostgresStore
    except ImportError as error:
        raise ConfigError(
            ConfigProblem(
                field,
                redact(url),
                f"needs psycopg 3 and psycopg_pool, which are not installed ({error.name})",
                "pip install 'corskit[postgres]'",
            )
        ) from None
    try:
        from psycopg import conninfo

        port = str(conninfo.conninfo_to_dict(url).get("port") or "")
        if port and not all(part.isdigit() for part in port.split(",")):
            raise ValueError(f"the port {port!r} is not a number")
    except Exception as error:  # psycopg.ProgrammingError: what libpq would refuse
        raise ConfigError(
            ConfigProblem(
                field,
                redact(url),
                f"is not a PostgreSQL connection URL ({_first_line(error)})",
                "write 'postgresql://user:password@host:5432/database'",
            )
        ) from None
    return PostgresStore(url, **options)


def redact(url: object) -> object:
    """A URL as messages may show it: the password replaced by '***'."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url
    if not password:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return parts._replace(netloc=f"{name}:***@{host}").geturl()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
