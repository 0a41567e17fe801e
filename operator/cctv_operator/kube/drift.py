"""Decides whether a live object still says what the operator wants it to say. Pure.

The API server adds defaults (and other controllers add fields), so "equal" is too strict:
the live object only has to contain every field the operator sets, with the same value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def contains(live: Any, wanted: Any) -> bool:
    """True if `live` has every field of `wanted` with the same value (lists: item by item)."""
    if isinstance(wanted, Mapping):
        return isinstance(live, Mapping) and all(
            key in live and contains(live[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, Sequence) and not isinstance(wanted, str):
        return (
            isinstance(live, Sequence)
            and not isinstance(live, str)
            and len(live) == len(wanted)
            and all(contains(a, b) for a, b in zip(live, wanted, strict=True))
        )
    return bool(live == wanted)


def deployment_drifted(live: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether the live Deployment lost any of the labels, owner references or spec we set."""
    live_meta = live.get("metadata") or {}
    wanted_meta = wanted.get("metadata") or {}
    return not (
        contains(live_meta.get("labels") or {}, wanted_meta.get("labels") or {})
        and contains(live_meta.get("ownerReferences") or [], wanted_meta.get("ownerReferences") or [])
        and contains(live.get("spec") or {}, wanted.get("spec") or {})
    )
