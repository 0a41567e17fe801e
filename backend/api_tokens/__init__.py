"""Users' own API tokens (issue 25): named, expiring, read-only or full, revocable; only a hash of each
secret is stored. The seed's token (``/api-token-auth/``), the operator's service token and the cameras'
ingest tokens are other things and stay as they are."""
