"""Accounts: who is calling (camera ingest tokens, the operator's service user, signed-in users), logins
and their throttle, and what belongs to a user (their saved camera wall). The bottom domain of the app:
it imports neither ``surveillance.cameras`` nor ``surveillance.events`` (backend/.importlinter).
"""
