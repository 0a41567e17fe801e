"""The laptop product: ``cctv-local`` runs the whole CCTV analytics product on this machine.

It composes the other components from a source checkout: the backend (migrated, under gunicorn), a demo
RTSP camera looping real footage, and the operator's sync driving the operator's local runtime (one
``cctv-worker`` process per active camera). No production image installs this package.
"""
