"""Deprecated path: ``corskit.engine`` moved to ``corskit._core.protocol.engine`` (private) in 0.2.

Import the public names from ``corskit`` itself. This shim goes away in 0.3.
"""

from __future__ import annotations

import warnings

from ._core.protocol.engine import *  # noqa: F403
from ._core.protocol.engine import __all__ as __all__

warnings.warn(
    "corskit.engine is deprecated; import from corskit instead",
    DeprecationWarning,
    stacklevel=2,
)
