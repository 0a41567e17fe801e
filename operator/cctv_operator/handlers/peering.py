"""Whether this replica may run the sync, by kopf's own peering rule. Pure.

kopf pauses a replica's handlers while another live peer in the same peering object has a higher
or equal priority; the sync loop is not a kopf handler, so it reads the same object and applies
the same rule (see kopf/_core/engines/peering.py), so that only the acting replica syncs.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any


def may_act(status: Mapping[str, Any], *, identity: str, priority: int, now: datetime.datetime) -> bool:
    """False while any other live peer has a priority higher than or equal to ours."""
    for peer_id, info in status.items():
        if peer_id == identity or not isinstance(info, Mapping):
            continue
        if _is_dead(info, now) or int(info.get("priority", 0)) < priority:
            continue
        return False
    return True


def _is_dead(info: Mapping[str, Any], now: datetime.datetime) -> bool:
    try:
        lastseen = datetime.datetime.fromisoformat(str(info["lastseen"]))
        lifetime = datetime.timedelta(seconds=int(info.get("lifetime", 60)))
    except (KeyError, ValueError, TypeError):
        return True  # an entry we cannot read does not hold us back
    if lastseen.tzinfo is None:
        lastseen = lastseen.replace(tzinfo=datetime.UTC)
    return lastseen + lifetime < now
