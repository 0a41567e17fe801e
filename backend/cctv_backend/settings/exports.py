"""Settings of footage review (issue 24): exports and the HLS playback playlists.

Every value is an environment variable with a documented default (README "Configuration", and
docs/contracts.md "Exports").
"""

from cctv_backend.env import env_clock_times, env_float, env_int

# The longest range one export may cover. A longer one is refused (400) when it is asked for.
EXPORT_MAX_SECONDS = env_int("EXPORT_MAX_SECONDS", 7200, minimum=60, maximum=7 * 86_400)
# Exports of one user waiting or being made at a time; one more is refused (429) until one finishes:
# each is a job's time and a file in the store.
EXPORT_ACTIVE_PER_USER = env_int("EXPORT_ACTIVE_PER_USER", 4, minimum=1, maximum=100)
# Exports one user may keep (done, failed or in progress); one more is refused (400) until one is deleted.
EXPORT_KEPT_PER_USER = env_int("EXPORT_KEPT_PER_USER", 200, minimum=1, maximum=100_000)
# How often the export job (manage.py run_exports) looks for new exports when it found none.
EXPORT_POLL_SECONDS = env_float("EXPORT_POLL_SECONDS", 2.0, minimum=0.05, maximum=60)
# A running export whose job has not written progress for this long was left by a job that died (a
# deploy, an OOM kill): the next job starts it again.
EXPORT_STALE_SECONDS = env_int("EXPORT_STALE_SECONDS", 300, minimum=30, maximum=86_400)
# Recording segments one backend process remuxes to fMP4 for HLS playback at a time (each held in memory,
# up to RECORDING_SEGMENT_MAX_BYTES); one more answers 503 + Retry-After.
PLAYBACK_REMUX_CONCURRENCY = env_int("PLAYBACK_REMUX_CONCURRENCY", 4, minimum=1, maximum=64)
# When shifts start, as local times of day (TIME_ZONE): the dashboard's and the API's count of events left
# to review covers the last shift (the one before the shift in progress) and the current one, so whoever
# takes over sees what the previous shift left undone (surveillance.events.shifts).
REVIEW_SHIFT_STARTS = env_clock_times("REVIEW_SHIFT_STARTS", ["06:00", "18:00"])
