"""Deprecated path: ``corskit.origins`` moved to ``corskit._core.model.origins`` (private) in 0.2.

Import the public names from ``corskit`` itself. This shim goes away in 0.3.
"""

from __future__ import annotations

import warnings

from ._core.model.origins import *  # noqa: F403
from ._core.model.origins import __all__ as __all__

warnings.warn(
    "corskit.origins is deprecated; import from corskit instead",
    DeprecationWarning,
    stacklevel=2,
)
