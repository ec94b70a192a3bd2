"""Deprecated path: ``corskit.browser`` moved to ``corskit._tools.browser`` (private) in 0.2.

Import the public names from ``corskit`` itself. This shim goes away in 0.3.
"""

from __future__ import annotations

import warnings

from ._tools.browser import *  # noqa: F403
from ._tools.browser import __all__ as __all__

warnings.warn(
    "corskit.browser is deprecated; import from corskit instead",
    DeprecationWarning,
    stacklevel=2,
)
