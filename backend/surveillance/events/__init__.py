"""Events: alerts and their snapshots and clips, acknowledgements, reviews and shifts.

Uses ``surveillance.accounts`` and never ``surveillance.cameras`` (backend/.importlinter): an event
reaches its camera through the model alone.
"""
