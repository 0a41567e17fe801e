"""Decides what the sync changes: desired cameras vs the cameras a runtime reports. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cctv_operator.models import DesiredCamera


@dataclass(frozen=True)
class SyncPlan:
    create: tuple[DesiredCamera, ...] = ()
    update: tuple[DesiredCamera, ...] = ()
    delete: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


def plan_sync(desired: Mapping[int, DesiredCamera], actual: Mapping[int, DesiredCamera]) -> SyncPlan:
    """Create what is missing, update what differs, delete what is no longer desired (by id order)."""
    return SyncPlan(
        create=tuple(desired[cid] for cid in sorted(desired.keys() - actual.keys())),
        update=tuple(
            desired[cid] for cid in sorted(desired.keys() & actual.keys()) if desired[cid] != actual[cid]
        ),
        delete=tuple(sorted(actual.keys() - desired.keys())),
    )
