"""The local runtime: worker processes on this machine, supervised and restarted with backoff."""
