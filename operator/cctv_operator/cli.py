"""`cctv-operator`: check the configuration, then run kopf with the operator's handlers."""

from __future__ import annotations

import logging
import sys

import kopf

from cctv_operator.config import ConfigError, OperatorSettings, load_settings
from cctv_operator.handlers.registry import build_registry, new_identity


def run_options(settings: OperatorSettings, *, identity: str) -> dict[str, object]:
    """kopf.run/kopf.operator keyword arguments for these settings (scope, peering, liveness)."""
    options: dict[str, object] = {
        "liveness_endpoint": f"http://0.0.0.0:{settings.operator_health_port}/healthz",
        "priority": settings.operator_priority,
        # The sync's peering gate must recognise this replica in the peering object: same id.
        "identity": identity,
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
    kopf.run(registry=build_registry(settings, identity=identity),  # type: ignore[arg-type]
             **run_options(settings, identity=identity))
    return 0
