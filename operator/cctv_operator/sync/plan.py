"""Decides what the sync changes: desired cameras vs the cameras a runtime reports. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
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


def plan_sync(
    desired: Mapping[int, DesiredCamera],
    actual: Mapping[int, DesiredCamera],
    *,
    keep: AbstractSet[int] = frozenset(),
) -> SyncPlan:
    """Create what is missing, update what differs, delete what is no longer desired (by id order).

    Cameras in `keep` (active, but with settings we could not accept) are left exactly as they are.
    """
    actual = {cid: camera for cid, camera in actual.items() if cid not in keep}
    desired = {cid: camera for cid, camera in desired.items() if cid not in keep}
    return SyncPlan(
        create=tuple(desired[cid] for cid in sorted(desired.keys() - actual.keys())),
        update=tuple(
            desired[cid] for cid in sorted(desired.keys() & actual.keys()) if desired[cid] != actual[cid]
        ),
        delete=tuple(sorted(actual.keys() - desired.keys())),
    )
