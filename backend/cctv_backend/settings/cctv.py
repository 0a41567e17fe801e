"""Product limits of the CCTV backend: each is an environment variable with a documented default."""

from cctv_backend.env import env_bool, env_float, env_int

# Largest snapshot accepted by /api/send-alert/ (decoded bytes). Bigger answers 413.
ALERT_IMAGE_MAX_BYTES = env_int("ALERT_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
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
# Event clips (MP4 from the workers). Uploads past CLIP_MAX_BYTES answer 413; a clip's stated duration
# past CLIP_MAX_SECONDS is refused (400) as not one event's clip.
CLIP_MAX_BYTES = env_int("CLIP_MAX_BYTES", 200 * 1024 * 1024, minimum=64 * 1024)
CLIP_MAX_SECONDS = env_int("CLIP_MAX_SECONDS", 3 * 3600, minimum=10)
# Clips checked at once per backend process (each check reads the file's packets); more answer 503.
CLIP_CHECK_CONCURRENCY = env_int("CLIP_CHECK_CONCURRENCY", 2, minimum=1, maximum=64)
# All clips together stay under this many bytes: the oldest clips of closed events are deleted first.
# 0: no cap (then only purge_alerts deletes clips).
CLIP_STORAGE_MAX_BYTES = env_int("CLIP_STORAGE_MAX_BYTES", 20 * 1024**3, minimum=0)
