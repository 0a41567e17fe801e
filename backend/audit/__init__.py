"""The audit trail (issue 25): append-only records of who signed in, watched, played, exported or changed
what, when and from where. Other apps call ``audit.services``; nothing here imports them."""
