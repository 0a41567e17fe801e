"""Cameras: their configuration and lifecycle, the live view, and the API a camera's worker calls.

The top domain of the app: a camera's lifecycle reaches its events (deactivating closes them, deleting
removes their files) and its worker's calls store them, so this package uses ``surveillance.events``
and ``surveillance.accounts``; neither imports it (backend/.importlinter).
"""
