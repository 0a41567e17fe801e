"""What counts and when an alert is due: the pure decision stages a detection passes, in order.

``zones`` (which polygons a box is in), ``filters`` (type, confidence, size, zone), ``tracking`` (the
same object across frames), ``events`` (when an alert opens, and the cooldown), ``alert_types`` (the
product's alert names and the class map). No I/O: video, network and metrics stay outside.
"""
