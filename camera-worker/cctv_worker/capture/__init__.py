"""Getting frames: opening the stream, sampling, reconnecting (``cctv_worker.backoff``), noticing stalls."""
