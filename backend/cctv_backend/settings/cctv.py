"""Product limits of the CCTV backend: each is an environment variable with a documented default."""

import os
import tempfile

from cctv_backend.env import env_bool, env_float, env_int, env_list, env_str

# Largest snapshot accepted by /api/send-alert/ (decoded bytes). Bigger answers 413.
ALERT_IMAGE_MAX_BYTES = env_int("ALERT_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# Most pixels a snapshot may have, checked in its header before decoding (16 MP: above a 4K or 12 MP
# camera's frame; decoding takes about 4 bytes a pixel).
ALERT_IMAGE_MAX_PIXELS = env_int("ALERT_IMAGE_MAX_PIXELS", 16_777_216, minimum=64 * 64, maximum=100_000_000)
# Snapshot decodes at once per server process, and how long one waits for a slot before answering 503.
ALERT_DECODE_CONCURRENCY = env_int("ALERT_DECODE_CONCURRENCY", 2, minimum=1, maximum=64)
ALERT_DECODE_WAIT_SECONDS = env_float("ALERT_DECODE_WAIT_SECONDS", 10.0, minimum=0.1, maximum=60)
# Largest request body Django reads; a little over the image limit once base64 (4/3) is counted.
DATA_UPLOAD_MAX_MEMORY_SIZE = ALERT_IMAGE_MAX_BYTES * 4 // 3 + 256 * 1024
# `manage.py purge_alerts` deletes alerts (and their snapshot files) older than this many days.
ALERT_RETENTION_DAYS = env_int("ALERT_RETENTION_DAYS", 30, minimum=1)
# A camera counts as online while its worker's last heartbeat is younger than this: 3 heartbeat
# intervals of the worker (HEARTBEAT_INTERVAL, 15 s), per docs/contracts.md.
CAMERA_ONLINE_SECONDS = env_int("CAMERA_ONLINE_SECONDS", 45, minimum=5)
# Serve snapshot files from Django, each only to who may see its alert. Off: something else serves
# MEDIA_ROOT (and must do its own access control).
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Seconds between an open dashboard feed's polls for new alerts (the camera list refreshes every 5 polls).
DASHBOARD_POLL_SECONDS = env_float("DASHBOARD_POLL_SECONDS", 3.0, minimum=0.1, maximum=300)

# Ingest limits (docs: README "Limits"). A camera's worker sending faster than this gets 429 with
# Retry-After and keeps the alert in its spool.
ALERT_RATE_PER_MINUTE = env_int("ALERT_RATE_PER_MINUTE", 60, minimum=1, maximum=100_000)
# Event updates (PUT /api/cameras/<id>/events/<key>/) per camera per minute; more answer 429.
EVENT_UPDATE_RATE_PER_MINUTE = env_int("EVENT_UPDATE_RATE_PER_MINUTE", 60, minimum=1, maximum=100_000)
# Snapshot bytes stored per camera and per team (0: no limit); past either, ingest answers 507.
CAMERA_STORAGE_QUOTA_BYTES = env_int("CAMERA_STORAGE_QUOTA_BYTES", 5 * 1024**3, minimum=0)
USER_STORAGE_QUOTA_BYTES = env_int("USER_STORAGE_QUOTA_BYTES", 50 * 1024**3, minimum=0)
# Ingest answers 507 while the media volume has less free space than this (the database and other
# writers keep room to work).
MEDIA_MIN_FREE_BYTES = env_int("MEDIA_MIN_FREE_BYTES", 1024**3, minimum=0)
# An alert's timestamp must lie within this window around the server's clock: a worker's spool may hold
# alerts for a few days of outage, and clocks drift a little ahead.
ALERT_TIMESTAMP_MAX_AGE_SECONDS = env_int("ALERT_TIMESTAMP_MAX_AGE_SECONDS", 7 * 86_400, minimum=60)
ALERT_TIMESTAMP_MAX_FUTURE_SECONDS = env_int("ALERT_TIMESTAMP_MAX_FUTURE_SECONDS", 300, minimum=0)

# Cameras per team, and active cameras per team (each active camera runs a worker), whoever of its members
# added them; the names are from before teams (a user on their own has their personal team). Staff may set
# other limits per team in the admin ("Team quotas").
MAX_CAMERAS_PER_USER = env_int("MAX_CAMERAS_PER_USER", 100, minimum=0)
MAX_ACTIVE_CAMERAS_PER_USER = env_int("MAX_ACTIVE_CAMERAS_PER_USER", 32, minimum=0)

# Event clips (MP4 from the workers). Uploads past CLIP_MAX_BYTES answer 413; a clip's stated duration
# past CLIP_MAX_SECONDS is refused (400) as not one event's clip.
CLIP_MAX_BYTES = env_int("CLIP_MAX_BYTES", 200 * 1024 * 1024, minimum=64 * 1024)
CLIP_MAX_SECONDS = env_int("CLIP_MAX_SECONDS", 3 * 3600, minimum=10)
# The address space of the child process that opens a clip with FFmpeg (surveillance.events.clip_probe): a
# hostile file makes that child fail, never the backend's own process grow.
CLIP_CHECK_MEMORY_BYTES = env_int("CLIP_CHECK_MEMORY_BYTES", 1024 * 1024 * 1024, minimum=256 * 1024 * 1024)
# Clips checked at once per backend process (each check reads the file's packets); more answer 503.
CLIP_CHECK_CONCURRENCY = env_int("CLIP_CHECK_CONCURRENCY", 2, minimum=1, maximum=64)
# Each owner's (a camera's team's) clips stay under this many bytes: past it that owner's oldest clips of
# closed events are deleted (never another owner's, never one of an open event), and a clip that cannot fit
# that way answers 507. MEDIA_MIN_FREE_BYTES is the volume's floor for clips too. 0: no quota (only
# purge_alerts deletes).
CLIP_STORAGE_PER_USER_BYTES = env_int("CLIP_STORAGE_PER_USER_BYTES", 5 * 1024**3, minimum=0)

# Requests of one server process running Django code at once (in that many long-lived threads, each with
# its database connection); more wait their turn on the event loop. A client still sending its request or
# reading its answer holds no such slot (cctv_backend.asgi_guard), so slow clients cannot use them up.
REQUEST_CONCURRENCY = env_int("REQUEST_CONCURRENCY", 8, minimum=1, maximum=256)
# A request body's pace (cctv_backend.asgi_guard.BodyPace): anything within the grace period, then at
# least REQUEST_BODY_MIN_RATE bytes a second on average, all of it within REQUEST_BODY_MAX_SECONDS;
# slower answers 408. At the defaults a 200 MiB clip needs about 230 KB/s.
REQUEST_BODY_GRACE_SECONDS = env_float("REQUEST_BODY_GRACE_SECONDS", 30.0, minimum=0.1, maximum=3600)
REQUEST_BODY_MIN_RATE = env_int("REQUEST_BODY_MIN_RATE", 16 * 1024, minimum=1)
REQUEST_BODY_MAX_SECONDS = env_float("REQUEST_BODY_MAX_SECONDS", 900.0, minimum=1, maximum=86_400)

# Live view (surveillance.cameras.live): the networks a worker's reported live address may lie in (the backend
# dials it, so a worker cannot point it elsewhere; link-local, where cloud metadata lives, is not in the
# default), live streams one server process proxies at once (more answer 503), and how long the backend
# waits for a worker to answer.
LIVE_WORKER_NETWORKS = env_list(
    "LIVE_WORKER_NETWORKS",
    ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
LIVE_MAX_SESSIONS = env_int("LIVE_MAX_SESSIONS", 100, minimum=1, maximum=10_000)
LIVE_CONNECT_TIMEOUT_SECONDS = env_float("LIVE_CONNECT_TIMEOUT_SECONDS", 3.0, minimum=0.1, maximum=60)

# Recordings (the recordings app, issue 23): segments of about 10 s that workers upload with the camera's
# ingest token. A segment past RECORDING_SEGMENT_MAX_BYTES answers 413 before a byte of it is read; one
# stated longer than RECORDING_SEGMENT_MAX_SECONDS is refused (400), as are MP4s the clip checks refuse.
RECORDING_SEGMENT_MAX_BYTES = env_int("RECORDING_SEGMENT_MAX_BYTES", 64 * 1024 * 1024, minimum=64 * 1024)
RECORDING_SEGMENT_MAX_SECONDS = env_int("RECORDING_SEGMENT_MAX_SECONDS", 600, minimum=10, maximum=3600)
# Storage caps applied by the retention pass (`manage.py purge_recordings`, also run by purge_alerts):
# each owner's segments stay under RECORDING_STORAGE_PER_USER_BYTES, and all owners' under
# RECORDING_STORAGE_TOTAL_BYTES, where an owner over an equal share loses their own oldest segments
# first, never another owner's. 0: no cap (only the cameras' retention days delete).
RECORDING_STORAGE_PER_USER_BYTES = env_int("RECORDING_STORAGE_PER_USER_BYTES", 0, minimum=0)
RECORDING_STORAGE_TOTAL_BYTES = env_int("RECORDING_STORAGE_TOTAL_BYTES", 0, minimum=0)
# The longest window one GET /api/cameras/<id>/recordings/ answers (a day of 10 s segments: 8,640 rows).
RECORDINGS_QUERY_MAX_SECONDS = env_int("RECORDINGS_QUERY_MAX_SECONDS", 86_400, minimum=60, maximum=7 * 86_400)
# Stored objects deleted per storage call by the retention pass (S3's DeleteObjects takes up to 1,000).
RECORDING_DELETE_BATCH = env_int("RECORDING_DELETE_BATCH", 500, minimum=1, maximum=1000)
# Event clips the recording segments hold are built on request (recordings.clips) into this scratch
# folder, least recently used out past RECORDING_CLIP_CACHE_BYTES: a cache, never a second copy kept.
RECORDING_CLIP_CACHE_DIR = env_str(
    "RECORDING_CLIP_CACHE_DIR", os.path.join(tempfile.gettempdir(), "cctv-recording-clips")
)
RECORDING_CLIP_CACHE_BYTES = env_int("RECORDING_CLIP_CACHE_BYTES", 512 * 1024 * 1024, minimum=0)
