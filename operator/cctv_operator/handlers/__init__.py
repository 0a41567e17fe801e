"""The kopf side: handler registration (``registry``) and the peering rule the sync obeys (``peering``)."""
