"""The camera network policy at connect time: the stream is opened only at an address the policy allows.

Wraps the source opener: the URL's host is resolved and checked right before each connection attempt and
the connection goes to that checked address (cctv_common.network_policy.pin_url), so neither a DNS change
since the camera was saved nor a name that also points at loopback sends the URL's credentials to a
denied address. A refused URL counts as a stream that cannot be opened (the worker retries later, the
policy or DNS may change), and the log says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from cctv_common.network_policy import AddressNotAllowed, NetworkPolicy, Resolver, pin_url, system_resolver
from cctv_common.redact import mask_text
from cctv_worker.capture.source import OpenedSource, set_open_failure

log = logging.getLogger(__name__)

Opener = Callable[[str, float], OpenedSource | None]


def policy_opener(opener: Opener, policy: NetworkPolicy, resolve: Resolver = system_resolver) -> Opener:
    def open_allowed(url: str, timeout: float) -> OpenedSource | None:
        try:
            pinned = pin_url(url, policy, resolve)
        except AddressNotAllowed as error:
            log.error("camera address refused: %s", mask_text(str(error)))
            set_open_failure(f"address refused by CAMERA_ALLOWED_NETWORKS: {mask_text(str(error))}")
            return None
        except OSError as error:  # the name does not resolve (now)
            log.warning("cannot resolve the camera's host: %s", error)
            set_open_failure(f"cannot resolve the camera's host: {getattr(error, 'strerror', None) or error}")
            return None
        return opener(pinned, timeout)

    return open_allowed
