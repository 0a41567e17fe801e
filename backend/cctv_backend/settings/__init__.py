"""Settings of the CCTV backend, read from the environment and validated at start-up.

Split by concern: ``django`` (core, database, security), ``rest`` (DRF, OpenAPI), ``cctv`` (product
limits), ``media`` (the media store), ``exports`` (footage review), ``security`` (abuse limits),
``audit`` (the audit trail, users' API tokens), ``sso`` (single sign-on, local passwords), ``teams``
(team sizes). Every value has a documented default in README.md "Configuration".
"""

from .audit import *  # noqa: F403
from .cctv import *  # noqa: F403
from .django import *  # noqa: F403
from .exports import *  # noqa: F403
from .media import *  # noqa: F403
from .notifications import *  # noqa: F403
from .rest import *  # noqa: F403
from .security import *  # noqa: F403
from .sso import *  # noqa: F403
from .teams import *  # noqa: F403
