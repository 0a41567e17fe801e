"""Getting frames: opening the stream, sampling, reconnecting with backoff, and noticing stalls."""
