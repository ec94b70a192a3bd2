"""Compatibility constructors: a peer library's CORS options in, a corskit Policy or Config out.

Each ``from_*`` function takes the option names and defaults of a peer unchanged:
starlette's ``CORSMiddleware`` (also FastAPI's), flask-cors, or django-cors-headers' settings.
It returns the :class:`corskit.Policy` (or :class:`corskit.Config`, when the peer scoped CORS
to some paths) that corskit will run with. It does not copy the peer's mistakes silently:

- An insecure combination raises :class:`corskit.ConfigError`, listing every problem under
  the peer's own option names. The main one is ``*`` with credentials, where all three peers
  reflect any origin and corskit does not.
- A meaningless option, an ignored option, and any behaviour that will change are each
  reported once with a :class:`CompatWarning`, pointing at the line that called the function.

The migration guides in ``docs/`` explain every difference and why corskit's behaviour
follows the Fetch Standard. :func:`to_dict` writes the result in the shape of
``Config.from_dict``, ready to paste into a TOML file or Django's ``CORSKIT`` setting.
"""

from __future__ import annotations

from .._core.model.serialize import to_dict
from ._common import CompatWarning
from .django_cors_headers import from_django_cors_headers
from .flask_cors import FlaskCorsOptions, from_flask_cors
from .starlette import from_starlette

__all__ = [
    "CompatWarning",
    "FlaskCorsOptions",
    "from_django_cors_headers",
    "from_flask_cors",
    "from_starlette",
    "to_dict",
]
