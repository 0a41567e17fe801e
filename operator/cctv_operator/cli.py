"""`cctv-operator`: check the configuration, then run kopf with the operator's handlers."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TypedDict, cast

import kopf

from cctv_operator.config import ConfigError, OperatorSettings, load_settings
from cctv_operator.handlers.registry import build_registry, new_identity

if TYPE_CHECKING:  # kopf.run takes this NewType of str but does not export it
    from kopf._core.engines.peering import Identity


class RunOptions(TypedDict, total=False):
    """The kopf.run/kopf.operator keyword arguments the operator sets (typed: kopf checks each one)."""

    liveness_endpoint: str
    priority: int
    identity: Identity
    clusterwide: bool
    namespaces: list[str]
    peering_name: str
    standalone: bool


def run_options(settings: OperatorSettings, *, identity: str) -> RunOptions:
    """kopf.run/kopf.operator keyword arguments for these settings (scope, peering, liveness)."""
    options: RunOptions = {
        "liveness_endpoint": f"http://0.0.0.0:{settings.operator_health_port}/healthz",
        "priority": settings.operator_priority,
        # The sync's peering gate must recognise this replica in the peering object: same id.
        "identity": cast("Identity", identity),
    }
    if settings.clusterwide:
        options["clusterwide"] = True
    else:
        options["namespaces"] = [settings.watch_namespace]
    if settings.operator_peering_name:
        options["peering_name"] = settings.operator_peering_name
    else:
        options["standalone"] = True  # no peering unless asked for: see OPERATOR_PEERING_NAME
    return options


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"cctv-operator: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    kopf.configure(verbose=settings.log_level == "DEBUG")
    identity = new_identity()
    kopf.run(
        registry=build_registry(settings, identity=identity),
        **run_options(settings, identity=identity),
    )
    return 0
