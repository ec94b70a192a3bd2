"""corskit: the CORS protocol of the Fetch Standard, right the first time.

Operational rules (read these once; most CORS outages break one of them):

1. Put corskit outermost. Preflights carry no credentials: an authentication layer, a router
   that does not know OPTIONS, or a trailing-slash redirect in front of corskit makes every
   preflight fail. corskit answers preflights itself, before the application sees them.
2. Do not stack two CORS layers (corskit and a framework's own CORS, or two corskits): two
   ``Access-Control-Allow-Origin`` headers fail in every browser, even identical ones.
   corskit adds none when the application already set one.
3. Keep the ``Vary`` header corskit adds. The answer depends on ``Origin``; a cache that
   ignores that serves one site's permission to another.
4. CORS protects what a browser lets a script read, not the server. A denied request still
   reaches the application unless the policy sets ``deny_status``. Authorize on the server.

Public names are listed in ``__all__``; everything else is private.
"""

from __future__ import annotations

from . import asgi, wsgi
from ._core.model.origins import Regex
from ._core.model.refinement import Refinement
from ._core.protocol.engine import Decision, Kind
from ._core.protocol.live import LiveConfig
from .config import Config, Route
from .errors import ConfigError, ConfigProblem
from .events import DenialEvent
from .marks import cors_exempt, cors_policy
from .policy import Policy
from .reasons import Reason

__version__ = "0.2.0"

__all__ = [
    "Config",
    "ConfigError",
    "ConfigProblem",
    "Decision",
    "DenialEvent",
    "Kind",
    "LiveConfig",
    "Policy",
    "Reason",
    "Refinement",
    "Regex",
    "Route",
    "__version__",
    "asgi",
    "cors_exempt",
    "cors_policy",
    "wsgi",
]
